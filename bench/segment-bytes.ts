import type { Log, LogEvent } from '../src/index.ts';
import { encodeSegment } from '../src/log/segment-codec.ts';
import { textUpdateOf } from '../src/doc/doc-events.ts';

/** Events per segment when measuring: the order of magnitude issue 14 proposes. */
export const SEGMENT_EVENTS = 1024;

export interface SegmentBytes {
  events: number;
  /** Columnar segments, before compression. */
  raw: number;
  /** The same, each segment compressed with deflate-raw (CompressionStream). */
  compressed: number;
  /** Of the events' own content: Yjs update bytes, and ids (16 raw bytes each). */
  updates: number;
  ids: number;
}

async function deflate(bytes: Uint8Array): Promise<number> {
  const stream = new Blob([bytes.slice()])
    .stream()
    .pipeThrough(new CompressionStream('deflate-raw'));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

/**
 * What the log's events take packed into columnar segments of one stream each
 * (src/log/segment-codec.ts), runs of SEGMENT_EVENTS in arrival order: the layout
 * issue 14 moves storage to, measured on the events before any store holds them.
 */
export async function segmentBytes(log: Log): Promise<SegmentBytes> {
  const runs = new Map<string, LogEvent[]>();
  const out: SegmentBytes = {
    events: 0,
    raw: 0,
    compressed: 0,
    updates: 0,
    ids: 0,
  };
  const flush = async (run: LogEvent[]) => {
    const segment = encodeSegment(run);
    out.raw += segment.byteLength;
    out.compressed += await deflate(segment);
    run.length = 0;
  };
  for await (const event of log.since({})) {
    out.events++;
    out.ids += 16;
    out.updates += textUpdateOf(event)?.byteLength ?? 0;
    let run = runs.get(event.stream);
    if (!run) runs.set(event.stream, (run = []));
    run.push(event);
    if (run.length === SEGMENT_EVENTS) await flush(run);
  }
  for (const run of runs.values()) if (run.length > 0) await flush(run);
  return out;
}
