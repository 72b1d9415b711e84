import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openLog, type EventId, type LogEvent } from '../../src/index.ts';
import { compareCanonical } from '../../src/log/store.ts';
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

describe('reading a stream at some heads', () => {
  it(
    'yields exactly what the heads reach, in canonical order',
    async () => {
      await assertProperty(
        fc.asyncProperty(
          fc.integer({ min: 2, max: 4 }),
          fc.array(command, { minLength: 1, maxLength: 50 }),
          fc.array(fc.array(fc.nat(), { maxLength: 4 }), {
            minLength: 1,
            maxLength: 6,
          }),
          async (n, commands, choices) => {
            const logs = await Promise.all(
              Array.from({ length: n }, (_, i) =>
                openLog({ actor: `replica-${i}` }),
              ),
            );
            await runCommands(logs, commands);
            await syncAll(logs);
            for (const stream of STREAMS) {
              const all: LogEvent[] = await collect(logs[0]!.read(stream));
              if (all.length === 0) continue;
              const events = new Map(all.map((e) => [e.id, e]));
              // Any set of the stream's events as heads: one event, concurrent ones,
              // an event beside its own ancestor.
              for (const picks of choices) {
                const at = [
                  ...new Set(picks.map((i) => all[i % all.length]!.id)),
                ];
                const expected = [...ancestorsBruteForce(events, at)]
                  .map((id) => events.get(id)!)
                  .sort(compareCanonical)
                  .map((e) => e.id);
                for (const log of logs) {
                  const read = await collect(log.read(stream, { at }));
                  expect(read.map((e: LogEvent) => e.id as EventId)).toEqual(
                    expected,
                  );
                }
              }
            }
            await Promise.all(logs.map((l) => l.close()));
          },
        ),
        100,
      );
    },
    TIMEOUT,
  );
});
