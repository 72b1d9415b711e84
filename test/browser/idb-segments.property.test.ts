// Packing events into segments is a rewrite of storage only (issue 14): a history
// written into two IndexedDB stores, one left as one record per event and the other
// compacted at random points (and fed large batches that go straight to segments),
// must read back identically, before and after reopening.
import fc from 'fast-check';
import { deleteDB } from 'idb';
import { describe, expect, it } from 'vitest';
import {
  memoryStore,
  openLogOn,
  type EventRecord,
  type Log,
  type LogEvent,
  type Store,
} from '../../src/index.ts';
import { eventLine } from '../../src/log/jsonl.ts';
import { MAX_BODY_BYTES } from '../../worker/idb-segments.ts';
import { openIdbStore, type IdbStore } from '../../worker/idb-store.ts';
import { storeContract } from '../contract/store-contract.ts';
import { assertProperty, propertyTimeout } from '../support/property.ts';
import { collect } from '../support/records.ts';

/** A test's time: its sample's in `npm test`; a fuzz run's, with FC_RUNS. */
const TIMEOUT = propertyTimeout(120_000);

const STREAMS = ['doc/a', 'doc/b', 'ledger/c'];
const ACTORS = ['desk', 'laptop', 'phone'];
/** Tiny segments, so that a short history makes many, merges them and overlaps them. */
const SMALL = { segmentEvents: 4, directSegmentMin: 5, compaction: false };

let n = 0;
const fresh = (what: string) => `${what}-${Date.now()}-${n++}`;

/** An IndexedDB store that packs everything it can after every write. */
function compactingAfterWrites(store: IdbStore): Store {
  return {
    ...store,
    async write(body) {
      const result = await store.write(body);
      await store.compact();
      return result;
    },
  };
}

let current = '';
storeContract(
  'IndexedDB, packed into segments after every write',
  async () =>
    compactingAfterWrites(
      await openIdbStore((current = fresh('segments-contract')), SMALL),
    ),
  () => deleteDB(current),
);

const step = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      replica: fc.nat(2),
      stream: fc.nat(2),
      // Now and then a batch large enough to be written packed.
      size: fc.oneof(
        { weight: 6, arbitrary: fc.integer({ min: 1, max: 3 }) },
        { weight: 1, arbitrary: fc.integer({ min: 5, max: 12 }) },
      ),
      stale: fc.boolean(),
      tick: fc.integer({ min: -3000, max: 3000 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('sync' as const),
      from: fc.nat(2),
      to: fc.nat(2),
      prefix: fc.double({ min: 0.2, max: 1, noNaN: true }),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'compact' as const }) },
);
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

/** Every read the Store offers, of everything stored, in one comparable value. */
async function everything(store: Store, events: LogEvent[]) {
  const streams = await Promise.all(
    STREAMS.map(async (s) => ({
      record: await store.stream(s),
      canonical: await collect(store.streamEvents(s)),
      since: await Promise.all(
        [0, 3, 7, 20].map((pos) => store.streamEventsSince(s, pos)),
      ),
    })),
  );
  const fromEach = await Promise.all(
    [1, 2, 5, 9, 17].map((pos) => collect(store.eventsFrom(pos))),
  );
  const byId = await Promise.all(events.map((e) => store.event(e.id)));
  const bySeq = await Promise.all(
    events.map((e) => store.actorEvent(e.actor, e.seq)),
  );
  return {
    streams,
    fromEach,
    byId,
    bySeq,
    vector: await store.versionVector(),
    replica: await store.replica(),
    unknown: await store.event('AAAAAAAAAAAAAAAAAAAAAA'),
    beyond: await store.actorEvent(ACTORS[0]!, 10_000),
  };
}

async function segmentCount(name: string): Promise<number> {
  const { openDB } = await import('idb');
  const db = await openDB(name);
  try {
    return await db.count('segments');
  } finally {
    db.close();
  }
}

describe('an IndexedDB store packing its events into segments', () => {
  it(
    'reads back exactly what a store that never packed reads, before and after reopening',
    async () => {
      await assertProperty(
        fc.asyncProperty(
          fc.array(step, { minLength: 1, maxLength: 40 }),
          async (steps: Step[]) => {
            let now = Date.UTC(2026, 10, 30);
            const clock = () => now;
            const names = [fresh('plain'), fresh('packed')];
            const plain = await openIdbStore(names[0], SMALL);
            const packed = await openIdbStore(names[1], SMALL);
            // Replica 0 is the two IndexedDB stores in lockstep; 1 and 2 are in memory.
            const twins: Log[] = await Promise.all(
              [plain, packed].map((s) =>
                openLogOn(s, { actor: ACTORS[0], now: clock }),
              ),
            );
            const others = await Promise.all(
              ACTORS.slice(1).map((actor) =>
                openLogOn(memoryStore(), { actor, now: clock }),
              ),
            );
            const replicas = [twins[0]!, ...others];
            const views = replicas.map(() =>
              STREAMS.map(() => [[]] as string[][]),
            );
            let counter = 0;
            try {
              for (const s of steps) {
                if (s.kind === 'compact') {
                  await packed.compact();
                  continue;
                }
                if (s.kind === 'append') {
                  // Clocks that run behind make late arrivals on the others.
                  now += s.tick;
                  const stream = STREAMS[s.stream]!;
                  const seen = views[s.replica]![s.stream]!;
                  const inputs = Array.from({ length: s.size }, () => ({
                    type: 'test.appended',
                    data:
                      counter % 3 === 0
                        ? new Uint8Array([counter++ % 256, 7])
                        : { n: counter++, text: 'é😀' },
                  }));
                  const options = {
                    expected: s.stale ? seen[0]! : seen.at(-1)!,
                  };
                  const targets =
                    s.replica === 0 ? twins : [replicas[s.replica]!];
                  const outcomes = await Promise.all(
                    targets.map((log) =>
                      log.append(stream, inputs, options).then(
                        (r) => r.map((x) => x.event.id),
                        (e: unknown) => (e as Error).name,
                      ),
                    ),
                  );
                  if (outcomes.length === 2)
                    expect(outcomes[1]).toEqual(outcomes[0]);
                  seen.push(await targets[0]!.heads(stream));
                  continue;
                }
                if (s.from === s.to) continue;
                const to = s.to === 0 ? twins : [replicas[s.to]!];
                const missing = await collect(
                  replicas[s.from]!.since(await to[0]!.versionVector()),
                );
                const batch = missing.slice(
                  0,
                  Math.ceil(missing.length * s.prefix),
                );
                for (const log of to) await log.ingest(batch);
                for (const [i, stream] of STREAMS.entries())
                  views[s.to]![i]!.push(await to[0]!.heads(stream));
              }
              const events = await collect(twins[0]!.since({}));
              const expected = await everything(plain, events);
              expect(await everything(packed, events)).toEqual(expected);
              const exported = (log: Log) => collect(log.export());
              expect(await exported(twins[1]!)).toEqual(
                await exported(twins[0]!),
              );
              // Lines written from the columns are those written from the events.
              const records = await collect(plain.eventsFrom(1));
              expect(await exported(twins[1]!)).toEqual(
                records.map((r) => eventLine(r.event)),
              );
              expect((await twins[1]!.verify()).ok).toBe(true);

              // Pack what is left and reopen: still the same, and writable.
              await packed.compact();
              await packed.close();
              const reopened = await openIdbStore(names[1], SMALL);
              try {
                expect(await everything(reopened, events)).toEqual(expected);
                const log = await openLogOn(reopened, {
                  actor: ACTORS[0],
                  now: clock,
                });
                expect((await log.verify()).ok).toBe(true);
                await log.append(STREAMS[0]!, { type: 'test.after', data: 1 });
                expect(await reopened.replica()).toMatchObject({
                  lastPos: expected.replica.lastPos + 1,
                });
              } finally {
                await reopened.close();
              }
            } finally {
              await plain.close();
              await packed.close();
              await Promise.all(names.map((name) => deleteDB(name)));
            }
          },
        ),
        25,
      );
    },
    TIMEOUT,
  );

  it('writes a large batch as segments, and keeps only the hot tail as records', async () => {
    const name = fresh('direct');
    const store = await openIdbStore(name, { compaction: false });
    try {
      const log = await openLogOn(store, { actor: 'desk' });
      const source = await openLogOn(memoryStore(), { actor: 'laptop' });
      await source.append(
        'doc/big',
        Array.from({ length: 3000 }, (_, i) => ({ type: 't', data: i })),
      );
      await source.append('doc/small', { type: 't', data: 'one' });
      await log.ingest(await collect(source.since({})));
      const records: EventRecord[] = await collect(store.eventsFrom(1));
      expect(records.map((r) => r.pos)).toEqual(
        Array.from({ length: 3001 }, (_, i) => i + 1),
      );
      // What is stored as one record per event: only the small stream's event.
      const { openDB } = await import('idb');
      const db = await openDB(name);
      expect(await db.count('hot')).toBe(1);
      expect(await db.count('segments')).toBe(2);
      db.close();
      expect((await log.verify()).ok).toBe(true);
    } finally {
      await store.close();
      await deleteDB(name);
    }
  });

  it('keeps every segment body under the size IndexedDB stores inline, and merges without churn', async () => {
    const name = fresh('bounded');
    const store = await openIdbStore(name, { compaction: false });
    try {
      const log = await openLogOn(store, { actor: 'desk' });
      // Incompressible text: about 70 bytes of body per event, 2048 events are 140 KB.
      const text = () =>
        Array.from(crypto.getRandomValues(new Uint8Array(60)), (b) =>
          b.toString(16).padStart(2, '0'),
        ).join('');
      const appended = await log.append(
        'doc/big',
        Array.from({ length: 3000 }, (_, i) => ({
          type: 't',
          data: { i, text: text() },
        })),
      );
      const direct = await segmentCount(name);
      // Small appends, each packed alone, then merged into one segment.
      for (let i = 0; i < 40; i++) {
        await log.append('doc/big', { type: 't', data: { i, text: text() } });
        await store.compact();
      }
      expect(await segmentCount(name)).toBe(direct + 1);
      const { openDB } = await import('idb');
      const db = await openDB(name);
      const sizes = async () =>
        (await db.getAll('segments')).map(
          (s: { body: Uint8Array }) => s.body.length,
        );
      const first = await sizes();
      expect(first.length).toBeGreaterThan(3);
      for (const size of first)
        expect(size).toBeLessThanOrEqual(MAX_BODY_BYTES);
      await store.compact();
      expect(await sizes()).toEqual(first);
      db.close();
      const stored = await collect(store.eventsFrom(1));
      expect(stored.slice(0, 3000).map((r) => r.event)).toEqual(
        appended.map((r) => r.event),
      );
      expect(stored).toHaveLength(3040);
      expect((await log.verify()).ok).toBe(true);
    } finally {
      await store.close();
      await deleteDB(name);
    }
  });
});
