import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openLog } from '../../src/index.ts';
import type { EventId, Log } from '../../src/index.ts';
import { collect } from '../support/records.ts';
import { assertProperty } from '../support/property.ts';
import {
  ancestorsBruteForce,
  command,
  permute,
  STREAMS,
} from '../support/convergence.ts';

async function syncAll(logs: Log[]): Promise<void> {
  // Two passes round a ring reach every replica with everything.
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < logs.length; i++) {
      const from = logs[i]!;
      const to = logs[(i + 1) % logs.length]!;
      await to.ingest(await collect(from.since(await to.versionVector())));
    }
  }
}

describe('replicas exchanging events in random order', () => {
  it('converge to the same heads, canonical order and fold, with exact concurrent sets', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 5 }),
        fc.array(command, { minLength: 1, maxLength: 60 }),
        async (n, commands) => {
          const logs = await Promise.all(
            Array.from({ length: n }, (_, i) =>
              openLog({ actor: `replica-${i}` }),
            ),
          );
          // Heads each replica has observed per stream, oldest first: the stale views writers use.
          const views = logs.map(() => STREAMS.map(() => [[]] as EventId[][]));
          let counter = 0;
          for (const c of commands) {
            if (c.kind === 'append') {
              const r = c.replica % n;
              const s = c.stream % STREAMS.length;
              const log = logs[r]!;
              const stream = STREAMS[s]!;
              const seen = views[r]![s]!;
              const expected =
                seen[Math.max(0, seen.length - 1 - c.staleness)]!;
              const stored = new Map(
                (await collect(log.read(stream))).map((e) => [e.id, e]),
              );
              const results = await log.append(
                stream,
                Array.from({ length: c.batch }, () => ({
                  type: 'test.appended',
                  data: { n: counter++ },
                })),
                { expected },
              );
              const unseen = [...stored.keys()].filter(
                (id) => !ancestorsBruteForce(stored, expected).has(id),
              );
              for (const result of results)
                expect(new Set(result.concurrent)).toEqual(new Set(unseen));
              seen.push(await log.heads(stream));
            } else {
              const from = logs[c.from % n]!;
              const to = logs[c.to % n]!;
              const missing = await collect(
                from.since(await to.versionVector()),
              );
              const batch =
                c.kind === 'sync'
                  ? missing.slice(0, Math.ceil(missing.length * c.prefix))
                  : missing;
              await to.ingest(
                c.kind === 'sync'
                  ? permute(batch, c.shuffle)
                  : [...batch, ...batch],
              );
              const r = c.to % n;
              for (let s = 0; s < STREAMS.length; s++)
                views[r]![s]!.push(await to.heads(STREAMS[s]!));
            }
          }
          await syncAll(logs);

          const reference = logs[0]!;
          expect(await Promise.all(logs.map((l) => l.versionVector()))).toEqual(
            logs.map(() => expect.anything()),
          );
          for (const stream of STREAMS) {
            const order = (await collect(reference.read(stream))).map(
              (e) => e.id,
            );
            const fold = await reference.fold(stream, {
              initial: () => [] as unknown[],
              evolve: (s, e) => [...s, e.data],
            });
            for (const log of logs) {
              expect(await log.heads(stream)).toEqual(
                await reference.heads(stream),
              );
              expect(
                (await collect(log.read(stream))).map((e) => e.id),
              ).toEqual(order);
              expect(
                await log.fold(stream, {
                  initial: () => [] as unknown[],
                  evolve: (s, e) => [...s, e.data],
                }),
              ).toEqual(fold);
              expect(await log.versionVector()).toEqual(
                await reference.versionVector(),
              );
            }
            // Canonical order is topological: every parent comes first and has a smaller HLC.
            const events = await collect(reference.read(stream));
            const index = new Map(events.map((e, i) => [e.id, i]));
            for (const e of events) {
              for (const p of e.parents) {
                expect(index.get(p)!).toBeLessThan(index.get(e.id)!);
                expect(events[index.get(p)!]!.hlc < e.hlc).toBe(true);
              }
            }
          }
          await Promise.all(logs.map((l) => l.close()));
        },
      ),
      500,
    );
  }, 120_000);
});
