import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openLog } from '../../src/index.ts';
import { collect } from '../support/records.ts';
import { assertProperty, propertyTimeout } from '../support/property.ts';
import {
  ancestorsBruteForce,
  command,
  runCommands,
  STREAMS,
  syncAll,
} from '../support/convergence.ts';

/** A test's time: its sample's in `npm test`; a fuzz run's, with FC_RUNS. */
const TIMEOUT = propertyTimeout(120_000);

describe('replicas exchanging events in random order', () => {
  it(
    'converge to the same heads, canonical order and fold, with exact concurrent sets',
    async () => {
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
            await runCommands(logs, commands, {
              appended(results, expected, stored) {
                const unseen = [...stored.keys()].filter(
                  (id) => !ancestorsBruteForce(stored, expected).has(id),
                );
                for (const result of results)
                  expect(new Set(result.concurrent)).toEqual(new Set(unseen));
              },
            });
            await syncAll(logs);

            const reference = logs[0]!;
            expect(
              await Promise.all(logs.map((l) => l.versionVector())),
            ).toEqual(logs.map(() => expect.anything()));
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
    },
    TIMEOUT,
  );
});
