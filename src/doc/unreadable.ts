import type { EventId, Log, LogEvent } from '../log/types.ts';
import {
  DOC_PREFIX,
  FIELD_SET,
  fieldWritesOf,
  TEXT_EDITED,
  textUpdateOf,
  VERSION_RESTORED,
} from './doc-events.ts';
import { emptyScan, scanUpdate, type ScannedUpdate } from './update-scan.ts';

/** A document change the document model cannot read: where it is, and why. */
export interface UnreadableChange {
  stream: string;
  id: EventId;
  reason: string;
}

/** The events that change a document, and so must read as one. */
const CHANGES = [TEXT_EDITED, FIELD_SET, VERSION_RESTORED];
const scanned: ScannedUpdate = emptyScan();

/**
 * Why the document model cannot read `event` (a change of a document: a text edit,
 * a field set, a restore), or undefined when it can, or it is no such change. The
 * log stores what its rules allow (ids, parents, seqs, clocks), whatever the data
 * says; a document folds such an event as nothing (`DocState.apply`) or, for a Yjs
 * update, as much as Yjs takes of it.
 */
export function unreadableReason(event: LogEvent): string | undefined {
  if (!event.stream.startsWith(DOC_PREFIX) || !CHANGES.includes(event.type))
    return undefined;
  // Without the prefixes that name what is already said: the event, the update.
  const plain = (error: unknown) =>
    (error as Error).message.replace(/^(event \S+|the update): /, '');
  try {
    fieldWritesOf(event);
  } catch (error) {
    return `its field change does not read: ${plain(error)}`;
  }
  let update: Uint8Array | undefined;
  try {
    update = textUpdateOf(event);
  } catch (error) {
    return `its text change does not read: ${plain(error)}`;
  }
  if (!update) return undefined;
  try {
    // Strict, within its bytes (where lib0's decoder reads past the end).
    scanUpdate(update, scanned);
  } catch (error) {
    return `its text change is not a Yjs update: ${plain(error)}`;
  }
  return undefined;
}

/** Events read a page at a time. */
const PAGE = 1000;

/**
 * The document changes of `log` that do not read, in the log's order: at most
 * `limit` of them, and how many there are in all. A document folds such a change
 * as nothing, or (a Yjs update strict reading refuses, which Yjs's own lenient
 * decoder may take in part) as much of it as Yjs takes.
 */
export async function unreadableChanges(
  log: Log,
  limit = 10,
): Promise<{ count: number; first: UnreadableChange[] }> {
  const first: UnreadableChange[] = [];
  let count = 0;
  let after: string | undefined;
  do {
    const page = await log.query(
      { streams: DOC_PREFIX, types: CHANGES },
      { limit: PAGE, ...(after === undefined ? {} : { after }) },
    );
    for (const event of page.events) {
      const reason = unreadableReason(event);
      if (reason === undefined) continue;
      count++;
      if (first.length < limit)
        first.push({ stream: event.stream, id: event.id, reason });
    }
    after = page.next;
  } while (after !== undefined);
  return { count, first };
}
