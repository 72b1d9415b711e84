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
      ? `text edit: a ${data.byteLength}-byte Yjs update`
      : `${data.byteLength} bytes`;
  const d = data as Record<string, unknown> | null;
  if (event.type === FIELD_SET && typeof d?.field === 'string')
    return clip(`${d.field} = ${JSON.stringify(d.value) ?? 'nothing'}`);
  if (event.type === VERSION_RESTORED && Array.isArray(d?.from))
    return clip(`restored the version at ${d.from.join(', ')}`);
  return clip(JSON.stringify(data) ?? '');
}

const clip = (text: string) =>
  text.length > SUMMARY_LENGTH ? `${text.slice(0, SUMMARY_LENGTH - 1)}…` : text;
