import * as Y from 'yjs';
import { authorOf } from '../log/event-filter.ts';
import type { EventId, LogEvent } from '../log/types.ts';
import { FIELD_SET, TEXT_EDITED, VERSION_RESTORED } from './doc-events.ts';

/** An event as a row of the event explorer: what it is, in a line of text. */
export interface EventRow {
  id: EventId;
  time: string;
  author: string;
  actor: string;
  stream: string;
  type: string;
  summary: string;
}

/** Characters of a summary at most. */
const SUMMARY_LENGTH = 80;

export const rowOf = (event: LogEvent): EventRow => ({
  id: event.id,
  time: event.time,
  author: authorOf(event),
  actor: event.actor,
  stream: event.stream,
  type: event.type,
  summary: summaryOf(event),
});

/**
 * A short account of an event's data. Events come from other replicas: whatever
 * the data holds, this says something short and never throws.
 */
export function summaryOf(event: LogEvent): string {
  const { data } = event;
  if (data instanceof Uint8Array)
    return event.type === TEXT_EDITED
      ? textEditSummary(data)
      : `${data.byteLength} bytes`;
  const d = data as Record<string, unknown> | null;
  if (event.type === FIELD_SET && typeof d?.field === 'string')
    return clip(`${d.field} = ${JSON.stringify(d.value) ?? 'nothing'}`);
  if (event.type === VERSION_RESTORED && Array.isArray(d?.from))
    return clip(`restored the version at ${d.from.join(', ')}`);
  return clip(JSON.stringify(data) ?? '');
}

/**
 * What a text edit did, from its Yjs update: the text it inserted, in the order
 * its update holds it, and how many characters it deleted. A person reading the
 * log wants the words, not "a 135-byte Yjs update".
 */
function textEditSummary(update: Uint8Array): string {
  let decoded: ReturnType<typeof Y.decodeUpdate>;
  try {
    decoded = Y.decodeUpdate(update);
  } catch {
    return `text edit: a ${update.byteLength}-byte update that does not decode`;
  }
  let inserted = '';
  for (const struct of decoded.structs)
    if (struct instanceof Y.Item && struct.content instanceof Y.ContentString) {
      inserted += struct.content.str;
      // Enough for a line: a whole document's update (an import) can be megabytes.
      if (inserted.length > SUMMARY_LENGTH) break;
    }
  let deleted = 0;
  for (const ranges of decoded.ds.clients.values())
    for (const range of ranges) deleted += range.len;
  const parts = [
    ...(inserted
      ? [`inserted ${JSON.stringify(cut(inserted, INSERTED))}`]
      : []),
    ...(deleted
      ? [`deleted ${deleted} ${deleted === 1 ? 'character' : 'characters'}`]
      : []),
  ];
  return clip(parts.length ? parts.join(', ') : 'text edit: no change');
}

/** Characters of inserted text shown: room is left for what was deleted. */
const INSERTED = 48;

/** `text` in at most `length` characters, its end cut to "…", never inside a pair. */
function cut(text: string, length: number): string {
  if (text.length <= length) return text;
  let end = length - 1;
  if (/[\ud800-\udbff]/.test(text[end - 1]!)) end--;
  return `${text.slice(0, end)}…`;
}

const clip = (text: string) => cut(text, SUMMARY_LENGTH);
