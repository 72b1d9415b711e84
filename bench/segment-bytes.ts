import { deflateSync, inflateSync } from 'fflate';
import type { EventRecord, Log } from '../src/index.ts';
import { encodeSegment } from '../src/log/segment-codec.ts';
import { textUpdateOf } from '../src/doc/doc-events.ts';

import { SEGMENT_EVENTS } from '../worker/idb-segments.ts';

export { SEGMENT_EVENTS };

export interface SegmentBytes {
  events: number;
  /** Columnar segments, before compression. */
  raw: number;
  /** The same, as stored: ids raw, the other columns deflated (fflate). */
  compressed: number;
  /** Of the events' own content: Yjs update bytes, and ids (16 raw bytes each). */
  updates: number;
  ids: number;
  /** The Yjs updates of each segment deflated alone, as its data column is stored. */
  updatesPacked: number;
}

/**
 * What the log's events take packed into columnar segments of one stream each
 * (src/log/segment-codec.ts), runs of SEGMENT_EVENTS in arrival order, as the
 * IndexedDB store packs them (issue 14): the codec's bytes, without what IndexedDB
 * adds, measured on the events before any store holds them. Of those, the Yjs
 * updates: the segment's data column, deflated here on its own.
 */
export async function segmentBytes(log: Log): Promise<SegmentBytes> {
  const runs = new Map<string, EventRecord[]>();
  const out: SegmentBytes = {
    events: 0,
    raw: 0,
    compressed: 0,
    updates: 0,
    ids: 0,
    updatesPacked: 0,
  };
  const flush = (run: EventRecord[]) => {
    const { ids, body } = encodeSegment(run);
    out.raw += ids.byteLength + inflateSync(body).byteLength;
    out.compressed += ids.byteLength + body.byteLength;
    out.updatesPacked += deflateSync(
      concatenated(run.map(updateOf)),
    ).byteLength;
    run.length = 0;
  };
  for await (const event of log.since({})) {
    out.events++;
    out.ids += 16;
    out.updates += updateOf({ event }).byteLength;
    let run = runs.get(event.stream);
    if (!run) runs.set(event.stream, (run = []));
    // The bookkeeping a store adds, as an import would set it.
    run.push({
      event,
      pos: out.events,
      recordedAt: Date.now(),
      gen: run.length + 1,
    });
    if (run.length === SEGMENT_EVENTS) flush(run);
  }
  for (const run of runs.values()) if (run.length > 0) flush(run);
  return out;
}

const NONE = new Uint8Array(0);

/** The Yjs update an event carries; none for other events (a title, a deletion). */
const updateOf = ({ event }: Pick<EventRecord, 'event'>) =>
  textUpdateOf(event) ?? NONE;

function concatenated(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}
