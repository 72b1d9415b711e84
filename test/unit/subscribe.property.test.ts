import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  InvalidQueryError,
  memoryStore,
  openLog,
  openLogOn,
  type Log,
  type LogEvent,
  type VersionVector,
} from '../../src/index.ts';
import { wakeSubscribers } from '../../src/log/log.ts';
import { assertProperty } from '../support/property.ts';
import { collect } from '../support/records.ts';

const STREAMS = ['doc/a', 'doc/b', 'notes/x'];
const TYPES = ['edit', 'title', 'note'];

type Step =
  | { kind: 'append'; stream: number; type: number; count: number }
  | { kind: 'peer-append'; stream: number; type: number; count: number }
  | { kind: 'tab-append'; stream: number; type: number; count: number }
  | { kind: 'sync'; chunk: number }
  | {
      kind: 'subscribe';
      from: 'now' | { lower: number[] };
      streams: string | undefined;
      types: readonly string[] | undefined;
    };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('append' as const),
    stream: fc.nat(2),
    type: fc.nat(2),
    count: fc.integer({ min: 1, max: 4 }),
  }),
  fc.record({
    kind: fc.constant('peer-append' as const),
    stream: fc.nat(2),
    type: fc.nat(2),
    count: fc.integer({ min: 1, max: 4 }),
  }),
  fc.record({
    kind: fc.constant('tab-append' as const),
    stream: fc.nat(2),
    type: fc.nat(2),
    count: fc.integer({ min: 1, max: 4 }),
  }),
  fc.record({
    kind: fc.constant('sync' as const),
    chunk: fc.integer({ min: 1, max: 5 }),
  }),
  fc.record({
    kind: fc.constant('subscribe' as const),
    from: fc.oneof(
      fc.constant('now' as const),
      fc.record({ lower: fc.array(fc.nat(6), { minLength: 2, maxLength: 2 }) }),
    ),
    streams: fc.constantFrom(undefined, 'doc/', 'doc/a', 'notes/', 'none/'),
    types: fc.constantFrom(undefined, ['edit'], ['title', 'note'], []),
  }),
);

interface Watcher {
  matches: (e: LogEvent) => boolean;
  /** Ids stored before subscribe() was called, that it must deliver before caughtUp. */
  before: string[];
  /** Every id stored when subscribe() was called. */
  storedBefore: Set<string>;
  fromNow: boolean;
  delivered: string[];
  atCaughtUp: string[] | undefined;
  caughtUps: number;
  expected?: number;
  reached?: () => void;
}

/** Lowers each actor's seq in the log's vector: a subscriber that is behind. */
async function behind(log: Log, lower: number[]): Promise<VersionVector> {
  const vector = await log.versionVector();
  const from: VersionVector = {};
  Object.keys(vector)
    .sort()
    .forEach((actor, i) => {
      from[actor] = Math.max(0, vector[actor]! - (lower[i] ?? 0));
    });
  return from;
}

describe('log.subscribe', () => {
  it('delivers catch-up then live, in store order, with no gap and no duplicate', async () => {
    await assertProperty(
      fc.asyncProperty(fc.array(step, { maxLength: 30 }), async (steps) => {
        const store = memoryStore();
        const log = await openLog({ store, actor: 'here' });
        // Another tab over the same store: its commits are announced, as the
        // worker's tab channel does, after they land.
        const tab = await openLogOn(store, { actor: 'tab' });
        const peer = await openLog({ actor: 'peer' });
        const watchers: Watcher[] = [];
        const stops: (() => Promise<void>)[] = [];
        const pending: Promise<unknown>[] = [];
        for (const s of steps) {
          if (s.kind === 'tab-append') {
            pending.push(
              tab
                .append(STREAMS[s.stream]!, {
                  type: TYPES[s.type]!,
                  data: s.count,
                })
                // A channel message comes in a later task, after this log's own commits.
                .then(() => new Promise((resolve) => setImmediate(resolve)))
                .then(() => wakeSubscribers(log)),
            );
          } else if (s.kind === 'append' || s.kind === 'peer-append') {
            const writer = s.kind === 'append' ? log : peer;
            const events = Array.from({ length: s.count }, (_, i) => ({
              type: TYPES[s.type]!,
              data: i,
            }));
            // Not awaited: writes race the subscriptions' reads.
            pending.push(writer.append(STREAMS[s.stream]!, events));
            if (s.kind === 'peer-append') await pending.at(-1);
          } else if (s.kind === 'sync') {
            const lacking = await collect(
              peer.since(await log.versionVector()),
            );
            for (let i = 0; i < lacking.length; i += s.chunk)
              pending.push(log.ingest(lacking.slice(i, i + s.chunk)));
            await Promise.all(pending);
          } else {
            await Promise.all(pending);
            const vector =
              s.from === 'now' ? undefined : await behind(log, s.from.lower);
            const matches = (e: LogEvent) =>
              (s.streams === undefined || e.stream.startsWith(s.streams)) &&
              (s.types === undefined || s.types.includes(e.type)) &&
              (vector === undefined || e.seq > (vector[e.actor] ?? 0));
            const stored = await collect(log.since({}));
            const w: Watcher = {
              matches,
              before: vector ? stored.filter(matches).map((e) => e.id) : [],
              storedBefore: new Set(stored.map((e) => e.id)),
              fromNow: vector === undefined,
              delivered: [],
              atCaughtUp: undefined,
              caughtUps: 0,
            };
            watchers.push(w);
            stops.push(
              await log.subscribe(
                {
                  from: vector ?? 'now',
                  ...(s.streams !== undefined ? { streams: s.streams } : {}),
                  ...(s.types !== undefined ? { types: [...s.types] } : {}),
                },
                (events) => {
                  w.delivered.push(...events.map((e) => e.id));
                  if (
                    w.expected !== undefined &&
                    w.delivered.length >= w.expected
                  )
                    w.reached?.();
                },
                () => {
                  w.caughtUps++;
                  w.atCaughtUp = [...w.delivered];
                },
              ),
            );
          }
        }
        await Promise.all(pending);
        // Every event in arrival order (positions): what each watcher is owed.
        const all = await collect(log.since({}));
        for (const w of watchers) {
          const owed = all
            .filter(
              (e) => w.matches(e) && !(w.fromNow && w.storedBefore.has(e.id)),
            )
            .map((e) => e.id);
          w.expected = owed.length;
          if (w.delivered.length < w.expected)
            await new Promise<void>((resolve) => (w.reached = resolve));
          expect(w.delivered).toEqual(owed);
          expect(w.caughtUps).toBe(1);
          expect(w.atCaughtUp).toEqual(expect.arrayContaining(w.before));
        }
        await Promise.all(stops.map((stop) => stop()));
        for (const w of watchers) expect(w.delivered).toHaveLength(w.expected!);
        await log.close();
        await peer.close();
      }),
      120,
      { timeout: 2_000 },
    );
  });

  it('delivers nothing once unsubscribed', async () => {
    const log = await openLog();
    const seen: string[] = [];
    const stop = await log.subscribe({ from: 'now' }, (events) =>
      seen.push(...events.map((e) => e.id)),
    );
    const [first] = await log.append('doc/a', { type: 'edit', data: 1 });
    const write = log.append('doc/a', { type: 'edit', data: 2 });
    await stop();
    await write;
    await log.append('doc/a', { type: 'edit', data: 3 });
    // Whatever was under way when stop() was called may have come; nothing after.
    expect(seen.slice(0, 1)).toEqual(seen.length > 0 ? [first!.event.id] : []);
    expect(seen.length).toBeLessThanOrEqual(2);
    await log.close();
  });

  it('catches up from an empty vector in pages, and says when it has', async () => {
    const log = await openLog();
    for (let i = 0; i < 5; i++)
      await log.append(
        'doc/a',
        Array.from({ length: 400 }, (_, k) => ({ type: 'edit', data: k })),
      );
    const batches: number[] = [];
    let caughtUp!: () => void;
    const done = new Promise<void>((resolve) => (caughtUp = resolve));
    const stop = await log.subscribe(
      { from: {} },
      (events) => batches.push(events.length),
      caughtUp,
    );
    await done;
    expect(batches.reduce((a, b) => a + b, 0)).toBe(2000);
    expect(Math.max(...batches)).toBeLessThan(2000);
    await stop();
    await log.close();
  });

  it('refuses options it cannot use, saying which', async () => {
    const log = await openLog();
    const bad: unknown[] = [
      { from: 'later' },
      { from: { a: -1 } },
      { from: { a: 1.5 } },
      { from: 'now', streams: 7 },
      { from: 'now', types: 'edit' },
      { from: 'now', types: [3] },
    ];
    for (const options of bad) {
      const attempt = log.subscribe(
        options as Parameters<Log['subscribe']>[0],
        () => {},
      );
      await expect(attempt).rejects.toBeInstanceOf(InvalidQueryError);
      await expect(attempt).rejects.toMatchObject({
        code: 'INVALID_QUERY',
        option: expect.stringMatching(/^(from|streams|types)/),
      });
    }
    await log.close();
  });
});
