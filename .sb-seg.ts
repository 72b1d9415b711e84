import { encodeSegment, segmentLines, inflateBody, decodeSegment } from '/work/main/src/log/segment-codec.ts';
import { computeEventId } from '/work/main/src/log/event-id.ts';
import { formatHlc } from '/work/main/src/log/hlc.ts';
import type { EventRecord, LogEvent } from '/work/main/src/index.ts';
import { inflateSync } from 'fflate';

export async function run() {
  const records: EventRecord[] = [];
  let prev: string | undefined;
  const wall0 = 1_700_000_000_000;
  for (let i = 0; i < 2048; i++) {
    const wall = wall0 + i * 150;
    const data = new Uint8Array(30).map((_, k) => (i * 7 + k * 13) & 255);
    const e: Omit<LogEvent, 'id'> & { id?: string } = {
      stream: 'doc/x', type: 'doc.text', data, parents: prev ? [prev] : [],
      actor: 'AAAAAAAAAAAAAAAA', seq: i + 1, hlc: formatHlc({ wall, counter: 0 }),
      time: new Date(wall).toISOString(),
    };
    const id = computeEventId(e as LogEvent);
    const event = { ...e, id } as LogEvent;
    prev = id;
    records.push({ event, pos: i + 1, recordedAt: wall, gen: i + 1 });
  }
  const packed = encodeSegment(records);
  const inflated = inflateSync(packed.body);
  let t = performance.now();
  let bytes = 0;
  const N = 200;
  for (let r = 0; r < N; r++) { const out = segmentLines(packed, 'doc/x', 'urn:forkline:log', inflated); if (r === 0) bytes = out.bytes.length; }
  let ms = (performance.now() - t) / N;
  console.log(`segmentLines: ${ms.toFixed(2)} ms/segment, ${(ms * 1000 / 2048).toFixed(2)} us/line, ${(bytes / 1e6 / (ms / 1000)).toFixed(0)} MB/s, line ${bytes / 2048} B`);
  t = performance.now();
  for (let r = 0; r < N; r++) inflateSync(packed.body);
  ms = (performance.now() - t) / N;
  console.log(`inflateSync: ${ms.toFixed(2)} ms/segment (body ${packed.body.length} B)`);
  t = performance.now();
  for (let r = 0; r < 50; r++) encodeSegment(records);
  ms = (performance.now() - t) / 50;
  console.log(`encodeSegment: ${ms.toFixed(2)} ms/segment, ${(ms * 1000 / 2048).toFixed(2)} us/event`);
  t = performance.now();
  for (let r = 0; r < N; r++) decodeSegment(packed, 'doc/x', inflated);
  ms = (performance.now() - t) / N;
  console.log(`decodeSegment: ${ms.toFixed(2)} ms/segment`);
  t = performance.now();
  for (let r = 0; r < 20; r++) for (const rec of records) computeEventId(rec.event);
  ms = (performance.now() - t) / 20;
  console.log(`computeEventId: ${(ms * 1000 / 2048).toFixed(2)} us/event`);
  const lines = new TextDecoder().decode(segmentLines(packed, "doc/x", "urn:forkline:log", inflated).bytes).split("\n").slice(0, -1);
  t = performance.now();
  for (let r = 0; r < 20; r++) for (const l of lines) JSON.parse(l);
  ms = (performance.now() - t) / 20;
  console.log(`JSON.parse line: ${(ms * 1000 / 2048).toFixed(2)} us/line`);
}
