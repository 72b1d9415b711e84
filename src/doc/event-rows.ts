import * as Y from 'yjs';
import { authorOf } from '../log/event-filter.ts';
import type { EventId, LogEvent } from '../log/types.ts';
import {
  DELETED_FIELD,
  FIELD_SET,
  TEXT_EDITED,
  VERSION_RESTORED,
  textUpdateOf,
} from './doc-events.ts';
import { writerKey, writerNames } from './writers.ts';

/**
 * Who typed a Yjs client's text, as a writerKey (./writers.ts), where the history
 * says (./client-owners.ts): an event may carry another tab's early typing.
 */
export type ClientOwnerOf = (client: number) => string | undefined;

/** An event as a row of the event explorer: what it is, in a line of text. */
export interface EventRow {
  id: EventId;
  time: string;
  author: string;
  actor: string;
  stream: string;
  type: string;
  summary: string;
  /**
   * Its text came from several Yjs clients and not every one's typist is known yet
   * (ClientOwners.typist): the summary credits the row's writer with that text until
   * the typist's own event arrives, and asked again then, the row says who typed it.
   */
  unsettled?: true;
}

/** Characters of a summary at most. */
const SUMMARY_LENGTH = 80;

export const rowOf = (event: LogEvent, ownerOf?: ClientOwnerOf): EventRow => ({
  id: event.id,
  time: event.time,
  author: authorOf(event),
  actor: event.actor,
  stream: event.stream,
  type: event.type,
  summary: summaryOf(event, ownerOf),
});

/**
 * A short account of an event's data. Events come from other replicas: whatever
 * the data holds, this says something short and never throws. With `ownerOf`, text
 * another writer typed is said to be carried, with their name: the row's author
 * did not write it.
 */
export function summaryOf(event: LogEvent, ownerOf?: ClientOwnerOf): string {
  const { data } = event;
  if (data instanceof Uint8Array) {
    if (event.type !== TEXT_EDITED) return `${data.byteLength} bytes`;
    const change = textChangeOf(data, writerKey(event), ownerOf);
    return change === undefined
      ? `text edit: a ${data.byteLength}-byte update that does not decode`
      : clip(change || 'text edit: no change');
  }
  const d = data as Record<string, unknown> | null;
  // Deletion's own field in the words the history uses, not its key (QA pass 16).
  if (event.type === FIELD_SET && d?.field === DELETED_FIELD)
    return d.value === true
      ? 'deleted the document'
      : 'brought the document back';
  if (event.type === FIELD_SET && typeof d?.field === 'string')
    return clip(`${d.field} = ${JSON.stringify(d.value) ?? 'nothing'}`);
  if (event.type === VERSION_RESTORED && Array.isArray(d?.from)) {
    // What the restore changed, as a text edit says it: its event ids say nothing.
    let update: Uint8Array | undefined;
    try {
      update = textUpdateOf(event);
    } catch {
      update = undefined;
    }
    const change = update && textChangeOf(update, writerKey(event), ownerOf);
    return clip(`restored an earlier version${change ? `: ${change}` : ''}`);
  }
  return clip(JSON.stringify(data) ?? '');
}

/**
 * What a text update did: the text it inserted, in the order its update holds it,
 * and how many characters it deleted ('' for neither), or undefined when it does not
 * decode. A person reading the log wants the words, not "a 135-byte Yjs update".
 * Text of a Yjs client that `ownerOf` says another writer typed is told apart, as
 * carried: attributed by client, not by which event held it.
 */
function textChangeOf(
  update: Uint8Array,
  writer: string,
  ownerOf: ClientOwnerOf | undefined,
): string | undefined {
  let decoded: ReturnType<typeof Y.decodeUpdate>;
  try {
    decoded = Y.decodeUpdate(update);
  } catch {
    return undefined;
  }
  let inserted = '';
  const carried = new Map<string, string>();
  let shown = 0;
  for (const struct of decoded.structs) {
    if (!(
      struct instanceof Y.Item && struct.content instanceof Y.ContentString
    ))
      continue;
    const owner = ownerOf?.(struct.id.client);
    const { str } = struct.content;
    if (owner === undefined || owner === writer) inserted += str;
    else carried.set(owner, (carried.get(owner) ?? '') + str);
    // Enough for a line: a whole document's update (an import) can be megabytes.
    if ((shown += str.length) > 2 * SUMMARY_LENGTH) break;
  }
  const names = writerNames([writer, ...carried.keys()]);
  let deleted = 0;
  for (const ranges of decoded.ds.clients.values())
    for (const range of ranges) deleted += range.len;
  return [
    ...(inserted
      ? [`inserted ${JSON.stringify(cut(inserted, INSERTED))}`]
      : []),
    ...[...carried].map(
      ([owner, text]) =>
        `carried ${JSON.stringify(cut(text, CARRIED))} typed by ${names.get(owner)}`,
    ),
    ...(deleted
      ? [`deleted ${deleted} ${deleted === 1 ? 'character' : 'characters'}`]
      : []),
  ].join(', ');
}

/** Characters of inserted text shown: room is left for what was deleted. */
const INSERTED = 48;
/** Characters of another writer's carried text shown. */
const CARRIED = 24;

/** `text` in at most `length` characters, its end cut to "…", never inside a pair. */
function cut(text: string, length: number): string {
  if (text.length <= length) return text;
  let end = length - 1;
  if (/[\ud800-\udbff]/.test(text[end - 1]!)) end--;
  return `${text.slice(0, end)}…`;
}

const clip = (text: string) => cut(text, SUMMARY_LENGTH);
