import type { EventRecord } from '../src/index.ts';
import { encodeEvent } from '../src/sync/messages.ts';
import { LogQuotaError } from './relay-errors.ts';

/** Bytes events take against a log's quota: each CloudEvent line and its newline. */
export function quotaBytes(records: readonly EventRecord[]): number {
  let bytes = 0;
  for (const r of records) bytes += encodeEvent(r.event).bytes + 1;
  return bytes;
}

/**
 * The quota check of one group of writes, from what the log holds (`used`): each
 * write's events are counted after those of the writes before it, and one that
 * would pass a bound is refused alone (LogQuotaError, naming the log as `where`).
 */
export function admitting(
  used: { events: number; bytes: number },
  limits: { maxEvents: number; maxBytes: number },
  where: string,
): (added: readonly EventRecord[]) => void {
  let { events, bytes } = used;
  return (added) => {
    const size = quotaBytes(added);
    if (events + added.length > limits.maxEvents)
      throw new LogQuotaError(where, 'events', limits.maxEvents);
    if (bytes + size > limits.maxBytes)
      throw new LogQuotaError(where, 'bytes', limits.maxBytes);
    events += added.length;
    bytes += size;
  };
}
