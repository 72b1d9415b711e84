import { inflateSync } from 'fflate';
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
}

/**
 * What the log's events take packed into columnar segments of one stream each
 * (src/log/segment-codec.ts), runs of SEGMENT_EVENTS in arrival order: the layout
 * issue 14 moves storage to, measured on the events before any store holds them.
 */
export async function segmentBytes(log: Log): Promise<SegmentBytes> {
  const runs = new Map<string, EventRecord[]>();
  const out: SegmentBytes = {
    events: 0,
    raw: 0,
    compressed: 0,
    updates: 0,
    ids: 0,
  };
  const flush = (run: EventRecord[]) => {
    const { ids, body } = encodeSegment(run);
    out.raw += ids.byteLength + inflateSync(body).byteLength;
    out.compressed += ids.byteLength + body.byteLength;
    run.length = 0;
  };
  for await (const event of log.since({})) {
    out.events++;
    out.ids += 16;
    out.updates += textUpdateOf(event)?.byteLength ?? 0;
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
