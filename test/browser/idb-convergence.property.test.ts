// The convergence property again, now with real log workers on IndexedDB: one
// database per replica, some replicas with two workers (two tabs of one profile)
// on the same database, events exchanged with since/ingest in random order.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  openLog,
  type AppendResult,
  type EventId,
  type LogEvent,
} from '../../src/index.ts';
import type { LogWorker } from '../../src/ui/log-client.ts';
import {
  ancestorsBruteForce,
  command,
  permute,
  STREAMS,
  type Command,
} from '../support/convergence.ts';
import { assertProperty, propertyTimeout } from '../support/property.ts';
import { verifyDatabase, workerPool } from '../support/workers.ts';

/** A test's time: its sample's in `npm test`; a fuzz run's, with FC_RUNS. */
const TIMEOUT = propertyTimeout(120_000);

const pool = workerPool();
afterEach(() => pool.cleanup());

/** Two workers append at once, each against what it last saw. */
type Race = { kind: 'race'; a: number; b: number; stream: number };

const step: fc.Arbitrary<Command | Race> = fc.oneof(
  { weight: 6, arbitrary: command },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('race' as const),
      a: fc.nat(),
      b: fc.nat(),
      stream: fc.nat(),
    }),
  },
);

/** Workers per database: 2–3 databases, 2–4 workers in all. */
const layout = fc
  .array(fc.integer({ min: 1, max: 2 }), { minLength: 2, maxLength: 3 })
  .filter((l) => l.reduce((a, b) => a + b, 0) <= 4);

interface Tab {
  worker: LogWorker;
  database: string;
  /** Heads this tab has observed per stream, oldest first. */
  views: EventId[][][];
}

async function syncAll(tabs: Tab[]): Promise<void> {
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < tabs.length; i++) {
      const from = tabs[i]!.worker.service;
      const to = tabs[(i + 1) % tabs.length]!.worker.service;
      await to.ingest(await from.since(await to.versionVector()));
    }
  }
}

describe('log workers on IndexedDB exchanging events in random order', () => {
  it(
    'converge to the same heads, canonical order and version vector; stale ledger writes are refused; every database verifies',
    async () => {
      let counter = 0;
      await assertProperty(
        fc.asyncProperty(
          layout,
          fc.array(step, { minLength: 1, maxLength: 30 }),
          async (perDatabase, steps) => {
            const tabs: Tab[] = [];
            for (const [d, count] of perDatabase.entries()) {
              const database = pool.database(`converge-${d}`);
              for (let k = 0; k < count; k++)
                tabs.push({
                  worker: await pool.start(database),
                  database,
                  views: STREAMS.map(() => [[]]),
                });
            }
            const n = tabs.length;
            const observe = async (tab: Tab) => {
              for (const [s, stream] of STREAMS.entries())
                tab.views[s]!.push(await tab.worker.service.heads(stream));
            };
            try {
              for (const c of steps) {
                if (c.kind === 'append') {
                  const tab = tabs[c.replica % n]!;
                  const s = c.stream % STREAMS.length;
                  const stream = STREAMS[s]!;
                  const seen = tab.views[s]!;
                  const expected =
                    seen[Math.max(0, seen.length - 1 - c.staleness)]!;
                  const stored = new Map(
                    (await tab.worker.service.readStream(stream)).map((e) => [
                      e.id,
                      e,
                    ]),
                  );
                  const unseen = [...stored.keys()].filter(
                    (id) => !ancestorsBruteForce(stored, expected).has(id),
                  );
                  const inputs = Array.from({ length: c.batch }, () => ({
                    type: 'test.appended',
                    data: { n: counter++ },
                  }));
                  const appending = tab.worker.service.append(stream, inputs, {
                    expected,
                  });
                  if (stream.startsWith('ledger/') && unseen.length > 0) {
                    const refusal: unknown = await appending.then(
                      () => 'stored',
                      (error: unknown) => error,
                    );
                    expect(refusal).toMatchObject({
                      code: 'WRONG_EXPECTED_HEADS',
                      stream,
                      actual: await tab.worker.service.heads(stream),
                    });
                    expect(
                      (await tab.worker.service.readStream(stream)).length,
                    ).toBe(stored.size);
                  } else {
                    for (const result of await appending)
                      expect(new Set(result.concurrent)).toEqual(
                        new Set(unseen),
                      );
                  }
                  await observe(tab);
                } else if (c.kind === 'race') {
                  const stream = STREAMS[c.stream % 2]!; // keep-both streams only
                  const racers = [tabs[c.a % n]!, tabs[c.b % n]!];
                  const results: AppendResult[][] = await Promise.all(
                    racers.map((tab) =>
                      tab.worker.service.append(
                        stream,
                        { type: 'test.raced', data: { n: counter++ } },
                        { expected: tab.views[c.stream % 2]!.at(-1)! },
                      ),
                    ),
                  );
                  const ids = results.map((r) => r[0]!.event.id);
                  expect(new Set(ids).size).toBe(2);
                  for (const tab of racers) await observe(tab);
                } else {
                  const from = tabs[c.from % n]!.worker.service;
                  const to = tabs[c.to % n]!;
                  const missing: LogEvent[] = await from.since(
                    await to.worker.service.versionVector(),
                  );
                  const batch =
                    c.kind === 'sync'
                      ? missing.slice(0, Math.ceil(missing.length * c.prefix))
                      : missing;
                  await to.worker.service.ingest(
                    c.kind === 'sync'
                      ? permute(batch, c.shuffle)
                      : [...batch, ...batch],
                  );
                  await observe(to);
                }
              }
              await syncAll(tabs);

              const reference = tabs[0]!.worker.service;
              const vector = await reference.versionVector();
              // The conflict index each database kept as events arrived, against one
              // a memory log keeps when given everything at once.
              const memory = await openLog();
              await memory.ingest(
                (
                  await Promise.all(STREAMS.map((s) => reference.readStream(s)))
                ).flat(),
              );
              for (const stream of STREAMS) {
                const events = await reference.readStream(stream);
                const heads = await reference.heads(stream);
                const conflicts = await memory.conflicts(stream);
                for (const tab of tabs) {
                  expect(await tab.worker.service.heads(stream)).toEqual(heads);
                  expect(await tab.worker.service.conflicts(stream)).toEqual(
                    conflicts,
                  );
                  expect(
                    (await tab.worker.service.readStream(stream)).map(
                      (e) => e.data,
                    ),
                  ).toEqual(events.map((e) => e.data));
                  expect(await tab.worker.service.versionVector()).toEqual(
                    vector,
                  );
                }
                const index = new Map(events.map((e, i) => [e.id, i]));
                for (const e of events)
                  for (const p of e.parents) {
                    expect(index.get(p)!).toBeLessThan(index.get(e.id)!);
                    expect(events[index.get(p)!]!.hlc < e.hlc).toBe(true);
                  }
              }
              for (const database of new Set(tabs.map((t) => t.database)))
                expect((await verifyDatabase(database)).problems).toEqual([]);
            } finally {
              await pool.cleanup();
            }
          },
        ),
        6,
      );
    },
    TIMEOUT,
  );
});
