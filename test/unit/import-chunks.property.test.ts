// A streamed import stores a file a chunk at a time inside one transaction, carrying
// the events still waiting for a parent (or an earlier seq) into the next chunk. The
// property: whatever the chunk size and the order of the lines (any causally complete
// order), it stores exactly what one batch of the same events stores, and a file
// that is not complete is refused whole.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ImportError,
  memoryStore,
  openLog,
  openLogOn,
  type Log,
  type LogEvent,
  type Store,
} from '../../src/index.ts';
import type { ActorForkError } from '../../src/log/errors.ts';
import { importInto } from '../../src/log/import.ts';
import { assertProperty, propertyTimeout } from '../support/property.ts';
import { collect } from '../support/records.ts';

/** A test's time: its sample's in `npm test`; a fuzz run's, with FC_RUNS. */
const TIMEOUT = propertyTimeout(120_000);

const STREAMS = ['doc/a', 'doc/b', 'ledger/c'];

type Step =
  | { kind: 'append'; replica: number; stream: number; batch: number }
  | { kind: 'sync'; from: number; to: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      replica: fc.nat(2),
      stream: fc.nat(2),
      batch: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('sync' as const),
      from: fc.nat(2),
      to: fc.nat(2),
    }),
  },
);

/** Three replicas running `steps`, then everything gathered into the first: its export. */
async function history(steps: Step[]): Promise<string[]> {
  const clock = { now: 1_000 };
  const logs = await Promise.all(
    [0, 1, 2].map((i) =>
      openLog({ actor: `replica-${i}`, now: () => (clock.now += 7) }),
    ),
  );
  let n = 0;
  for (const s of steps) {
    if (s.kind === 'append') {
      await logs[s.replica]!.append(
        STREAMS[s.stream]!,
        Array.from({ length: s.batch }, () => ({ type: 't', data: n++ })),
      );
    } else if (s.from !== s.to) {
      const to = logs[s.to]!;
      await to.ingest(
        await collect(logs[s.from]!.since(await to.versionVector())),
      );
    }
  }
  for (const other of logs.slice(1))
    await logs[0]!.ingest(
      await collect(other.since(await logs[0]!.versionVector())),
    );
  return (await collect(logs[0]!.export())).map((line) => line.trimEnd());
}

async function state(log: Log) {
  const streams: Record<string, { heads: string[]; order: string[] }> = {};
  for (const stream of await log.streams())
    streams[stream] = {
      heads: await log.heads(stream),
      order: (await collect(log.read(stream))).map((e: LogEvent) => e.id),
    };
  return { vector: await log.versionVector(), streams };
}

const importInChunks = (store: Store, lines: string[], chunk: number) =>
  importInto(store, lines, {
    now: 1e12,
    chunk,
    forked: async (error: ActorForkError) => error,
  });

describe('a streamed import', () => {
  it(
    'stores what one batch stores, whatever the chunk size and the order of the lines',
    async () => {
      await assertProperty(
        fc.asyncProperty(
          fc.array(step, { minLength: 1, maxLength: 25 }),
          fc.integer({ min: 1, max: 6 }),
          fc.array(fc.nat(), { maxLength: 40 }),
          fc.array(fc.nat(), { maxLength: 3 }),
          async (steps, chunk, order, repeats) => {
            const exported = await history(steps);
            if (exported.length === 0) return;
            // Lines shuffled (the file is complete, so any order is causally
            // complete), some repeated.
            const lines = [...exported];
            order.forEach((k, i) => {
              const a = i % lines.length;
              const b = k % lines.length;
              [lines[a], lines[b]] = [lines[b]!, lines[a]!];
            });
            for (const k of repeats) lines.push(lines[k % lines.length]!);

            const reference = await openLog({ actor: 'reader' });
            const expected = await reference.import(lines);
            const store = memoryStore();
            const result = await importInChunks(store, lines, chunk);
            const log = await openLogOn(store, { actor: 'reader' });
            expect(result).toEqual(expected);
            expect(result).toMatchObject({
              lines: lines.length,
              stored: exported.length,
              duplicates: repeats.length,
              // Every duplicate repeats a line before it: none was here before.
              repeated: repeats.length,
            });
            expect(await state(log)).toEqual(await state(reference));
            expect((await log.verify()).ok).toBe(true);
            // Idempotent: the same file again stores nothing, and its repeats
            // are told apart from the events that were here before it.
            expect(await importInChunks(store, lines, chunk)).toMatchObject({
              stored: 0,
              duplicates: lines.length,
              repeated: repeats.length,
            });
          },
        ),
        150,
      );
    },
    TIMEOUT,
  );

  it(
    'refuses a file missing an event that others need, naming a line, and stores nothing',
    async () => {
      await assertProperty(
        fc.asyncProperty(
          fc.array(step, { minLength: 4, maxLength: 25 }),
          fc.integer({ min: 1, max: 6 }),
          fc.nat(),
          async (steps, chunk, dropped) => {
            const exported = await history(steps);
            if (exported.length === 0) return;
            const at = dropped % exported.length;
            const lines = exported.filter((_, i) => i !== at);
            const reference = await openLog({ actor: 'reader' });
            let expected: unknown;
            await reference.import(lines).catch((error) => (expected = error));
            const store = memoryStore();
            let refused: unknown;
            await importInChunks(store, lines, chunk).catch(
              (error) => (refused = error),
            );
            // Refused exactly when one batch is refused (the dropped event may be a
            // tip nothing depends on).
            expect(refused === undefined).toBe(expected === undefined);
            if (refused === undefined) return;
            expect(refused).toBeInstanceOf(ImportError);
            const line = (refused as ImportError).line;
            expect(line).toBeGreaterThanOrEqual(1);
            expect(line).toBeLessThanOrEqual(lines.length);
            expect(
              await collect((await openLogOn(store, { actor: 'x' })).since({})),
            ).toEqual([]);
          },
        ),
        100,
      );
    },
    TIMEOUT,
  );
});
