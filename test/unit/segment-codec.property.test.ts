import fc from 'fast-check';
import { deflateSync, inflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import {
  computeEventId,
  openLog,
  type EventRecord,
  type Json,
  type LogEvent,
} from '../../src/index.ts';
import {
  decodeSegment,
  encodeSegment,
  SegmentFormatError,
  segmentLines,
  segmentRuns,
} from '../../src/log/segment-codec.ts';
import { matcherOf, type EventFilter } from '../../src/log/event-filter.ts';
import { isoOf } from '../../src/log/event-time.ts';
import {
  DEFAULT_SOURCE,
  eventLine,
  fromCloudEvent,
  toCloudEvent,
} from '../../src/log/jsonl.ts';
import { assertProperty } from '../support/property.ts';
import { collect } from '../support/records.ts';

const STREAM = 'doc/segment';
const ACTORS = ['desk', 'laptop', 'phone'];

const data = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc
    .jsonValue({ maxDepth: 2 })
    .map((v) => JSON.stringify(v))
    // The log refuses a "__proto__" key (a prototype-pollution vector): not data here.
    .filter((text) => !text.includes('"__proto__"'))
    .map((text) => JSON.parse(text) as Json),
);

/** One writer's step: append at its current view, or at a stale one, or sync. */
const step = fc.record({
  writer: fc.nat(2),
  batch: fc.array(
    fc.record({
      type: fc.constantFrom('doc.text.edited', 'doc.field.set', 'x.é'),
      data,
      author: fc.option(fc.constantFrom('Tab 1', 'Ana', '😀'), {
        nil: undefined,
      }),
      time: fc.option(
        fc.constantFrom('2026-01-01T00:00:00Z', '2026-11-30T12:00:00.5+01:00'),
        { nil: undefined },
      ),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  stale: fc.boolean(),
  syncFrom: fc.option(fc.nat(2), { nil: undefined }),
  tick: fc.integer({ min: 0, max: 5000 }),
});

/** A stream written by three replicas with stale views, synced at random: concurrent heads, several actors. */
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

async function history(steps: Step[]) {
  let now = Date.UTC(2026, 10, 30);
  const logs = await Promise.all(
    ACTORS.map((actor) => openLog({ actor, now: () => now })),
  );
  const views: string[][][] = logs.map(() => [[]]);
  for (const s of steps) {
    now += s.tick;
    const log = logs[s.writer]!;
    const seen = views[s.writer]!;
    const expected = s.stale ? seen[0]! : seen[seen.length - 1]!;
    await log.append(
      STREAM,
      s.batch.map(({ author, time, ...rest }) => ({
        ...rest,
        ...(author ? { author } : {}),
        ...(time ? { time } : {}),
      })),
      { expected },
    );
    seen.push(await log.heads(STREAM));
    if (s.syncFrom !== undefined && s.syncFrom !== s.writer) {
      const from = logs[s.syncFrom]!;
      await log.ingest(await collect(from.since(await log.versionVector())));
    }
  }
  for (const log of logs.slice(1))
    await logs[0]!.ingest(
      await collect(log.since(await logs[0]!.versionVector())),
    );
  return logs[0]!;
}

/** Stored records for `events`, with local bookkeeping that varies as a store's does. */
function asRecords(events: LogEvent[], seed: number): EventRecord[] {
  let pos = seed % 1000;
  return events.map((event, i) => ({
    event,
    pos: (pos += 1 + ((seed >> (i % 8)) & 3)),
    recordedAt: Date.UTC(2026, 10, 30) + ((seed * (i + 1)) % 5000),
    gen: 1 + i + (seed % 3),
  }));
}

const utf8Length = (text: string) => new TextEncoder().encode(text).length;

describe('a segment', () => {
  it('gives back every event exactly, in its order, with ids that recompute', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 25 }),
        fc.nat(),
        fc.nat(),
        async (steps, a, b) => {
          const log = await history(steps);
          const all = await collect(log.read(STREAM));
          // Any run of the stream, in canonical or in arrival order.
          const [from, to] = [a % all.length, b % (all.length + 1)].sort(
            (x, y) => x - y,
          );
          for (const run of [
            all.slice(from, to),
            (await collect(log.since({}))).slice(from, to),
          ]) {
            const records = asRecords(run, a);
            const packed = encodeSegment(records);
            const back = decodeSegment(packed, STREAM);
            expect(back).toEqual(records);
            // Export lines straight from the columns: the bytes an event writes.
            const lines = segmentLines(packed, STREAM, DEFAULT_SOURCE);
            expect(lines.positions).toEqual(records.map((r) => r.pos));
            const expected = run.map((e) => eventLine(e));
            const text = new TextDecoder().decode(lines.bytes);
            expect(text).toBe(expected.join(''));
            expect([...lines.ends]).toEqual(
              expected.map((_, i) =>
                utf8Length(expected.slice(0, i + 1).join('')),
              ),
            );
            for (const { event } of back)
              expect(computeEventId(event)).toBe(event.id);
          }
        },
      ),
      150,
    );
  });

  it('read a few runs at a time, gives the records a whole decode gives there, and every one a filter matches', async () => {
    const keys = {
      streams: fc.constantFrom('doc/', 'doc/segment', 'other/'),
      types: fc.subarray(['doc.text.edited', 'doc.field.set', 'x.é'], {
        minLength: 1,
      }),
      actor: fc.constantFrom(...ACTORS),
      author: fc.constantFrom('Tab 1', 'Ana', ...ACTORS),
      from: fc.constantFrom('2026-01-01T00:00:00Z', '2026-11-30T00:00:02Z'),
      // The first events are written at 00:00:00 exactly: a bound on them.
      to: fc.constantFrom(
        '2026-11-30T00:00:00Z',
        '2026-11-30T00:00:05Z',
        '2026-11-30T11:00:00.5Z',
      ),
    };
    // One field at a time mostly (each rules out a part), sometimes several.
    const filter = fc.oneof(
      ...Object.entries(keys).map(([key, value]) =>
        (value as fc.Arbitrary<unknown>).map((v) => ({ [key]: v })),
      ),
      fc.record(keys, { requiredKeys: [] }),
    );
    await assertProperty(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 20 }),
        fc.nat(),
        fc.option(filter, { nil: undefined }),
        fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 8 }),
        // A time bound at an event's own time: where an off-by-one shows.
        fc.option(fc.tuple(fc.constantFrom('from', 'to'), fc.nat()), {
          nil: undefined,
        }),
        async (steps, seed, chosen, cuts, at) => {
          const log = await history(steps);
          const records = asRecords(await collect(log.since({})), seed);
          const only: EventFilter | undefined = at
            ? {
                ...chosen,
                [at[0]]: records[at[1] % records.length]!.event.time,
              }
            : chosen;
          const packed = encodeSegment(records);
          const whole = decodeSegment(packed, STREAM);
          const reader = segmentRuns(
            packed,
            STREAM,
            inflateSync(packed.body),
            only,
          );
          expect(reader.positions).toEqual(records.map((r) => r.pos));
          // Runs mostly in order, as a reader asks; a run before the last walks again.
          const n = records.length;
          for (const [a, b] of cuts) {
            const [from, to] = [a % (n + 1), b % (n + 1)].sort((x, y) => x - y);
            const run = reader.run(from!, to!);
            const span = whole.slice(from, to);
            const matches = only ? matcherOf(only) : () => true;
            // Never drops a match; whatever it builds is the record as stored.
            expect(run.filter((r) => matches(r.event))).toEqual(
              span.filter((r) => matches(r.event)),
            );
            for (const r of run) expect(span).toContainEqual(r);
            if (!only) expect(run).toEqual(span);
          }
        },
      ),
      150,
    );
  });

  it('writes export lines that read back as the event, and mean what toCloudEvent says', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 10 }),
        async (steps) => {
          const log = await history(steps);
          for (const event of await collect(log.read(STREAM))) {
            const line = eventLine(event);
            expect(line.endsWith('\n')).toBe(true);
            const parsed: unknown = JSON.parse(line);
            expect(parsed).toEqual(
              JSON.parse(JSON.stringify(toCloudEvent(event))),
            );
            expect(fromCloudEvent(parsed)).toEqual(event);
          }
        },
      ),
      100,
    );
  });

  it('writes a wall clock as Date#toISOString does, second after second and minute after minute', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.integer({ min: 0, max: 253402300799999 }),
            // Seconds of one minute, and minutes of one hour, one after another:
            // what is kept from the last call must not leak into the next.
            fc.integer({ min: 1_700_000_000_000, max: 1_700_000_002_000 }),
            fc.integer({ min: 1_700_000_000_000, max: 1_700_000_180_000 }),
          ),
          { minLength: 1, maxLength: 20 },
        ),
        async (walls) => {
          for (const wall of walls)
            expect(isoOf(wall)).toBe(new Date(wall).toISOString());
        },
      ),
      300,
    );
    expect(isoOf(253402300800000)).toBeUndefined();
  });

  it('holds the events of one stream only', async () => {
    const log = await openLog();
    await log.append('doc/a', { type: 't', data: 1 });
    await log.append('doc/b', { type: 't', data: 2 });
    const both = await collect(log.since({}));
    expect(() => encodeSegment(asRecords(both, 0))).toThrow(SegmentFormatError);
  });

  it('refuses bytes it did not write, saying so', async () => {
    const log = await openLog();
    await log.append(STREAM, [
      { type: 't', data: 'a' },
      { type: 't', data: 'b' },
    ]);
    const segment = encodeSegment(
      asRecords(await collect(log.read(STREAM)), 0),
    );
    const { ids, body } = segment;
    for (const broken of [
      { ids, body: new Uint8Array([1, 2, 3]) },
      { ids, body: body.subarray(0, 20) },
      { ids: ids.subarray(16), body },
      { ids, body: deflateSync(inflateSync(body).subarray(0, 30)) },
    ])
      expect(() => decodeSegment(broken, STREAM)).toThrow(SegmentFormatError);
  });
});
