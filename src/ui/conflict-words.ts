import { isolated } from '../doc/writers.ts';
import { BUTTON_SHOWN, clipped } from './clipped.ts';

/**
 * The log's conflict an event is part of, in words: "One of 3 events on sides
 * written at the same time; a later event saw both sides". Not the engine's
 * names ("concurrent-appends, resolved"), a third vocabulary beside the timeline's
 * and the insights' (QA pass 9). A kind another replica's log may name is said as it is.
 * `textEdit`: the event is an edit of a document's text, which the text merges
 * whether or not a later event joined the sides: the conflict timeline says
 * "auto-merged" of it, and the explorer said only "not joined yet".
 */
export function conflictWords(
  others: number,
  state: string,
  kind: string,
  textEdit = false,
): string {
  // The group is every event on the sides since their fork point: this event's
  // own later ones on its side too, so not "written at the same time as" each.
  const events = `${others + 1} events`;
  const what =
    kind === 'concurrent-appends'
      ? `One of ${events} on sides written at the same time`
      : `${kind}, one of ${events}`;
  // Said of the log's sides, not of what they wrote: a later event that saw both
  // may leave a field with both values (QA pass 18 read "joined" as settled).
  return state === 'unresolved'
    ? textEdit
      ? `${what}; merged in the text, no event has seen both sides yet`
      : `${what}; no event has seen both sides yet`
    : state === 'auto-merged'
      ? `${what}; merged`
      : `${what}; a later event saw both sides`;
}

/**
 * A document's field as the page names it: "Title", or another field by its name,
 * quoted (QA pass 15 read the engine's key, "title: 2 concurrent values", beside
 * "Text: …"). Another replica names its fields: clipped, and a bidi control in it
 * ends with the name, as in writers' names.
 */
export const fieldName = (field: string): string =>
  field === 'title'
    ? 'Title'
    : `Field “${isolated(clipped(field, BUTTON_SHOWN))}”`;
