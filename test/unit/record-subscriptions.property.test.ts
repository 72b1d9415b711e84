// A subscription to one stream's records (a tab's open document, worker/log-service.ts)
// is handed what the log commits as it commits it, past a read. The property: each
// stream's subscriber hears exactly its stream's events, in position order, whatever
// the other streams' appends around them (QA pass 16: a document left open heard
// another document's deletion as a version of its own).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openLogOn } from '../../src/index.ts';
import { storeOf, subscribeRecords } from '../../src/log/log.ts';
import { memoryStore } from '../../src/log/memory-store.ts';
import { streamPagesAfter } from '../../src/log/subscriptions.ts';
import { collect } from '../support/records.ts';
import { assertProperty } from '../support/property.ts';

const STREAMS = ['doc/a', 'doc/b', 'doc/c'];

describe('a subscription to one stream', () => {
  it('is delivered its own stream’s events only, in order, however appends to others interleave', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.array(
          fc.record({
            stream: fc.nat(STREAMS.length - 1),
            count: fc.integer({ min: 1, max: 3 }),
            // A subscriber may start late, from where the log is then.
            subscribe: fc.boolean(),
          }),
          { minLength: 1, maxLength: 25 },
        ),
        async (steps) => {
          const log = await openLogOn(memoryStore(), { actor: 'desk' });
          const store = storeOf(log);
          const heard = new Map<string, { stream: string; pos: number }[]>();
          const started = new Map<string, number>();
          const stops: (() => Promise<void>)[] = [];
          let position = 0;
          const subscribe = (stream: string) => {
            started.set(stream, position);
            heard.set(stream, []);
            stops.push(
              subscribeRecords(log, {
                after: position,
                read: streamPagesAfter(store, stream),
                stream,
                deliver: (records) => {
                  for (const r of records)
                    heard
                      .get(stream)!
                      .push({ stream: r.event.stream, pos: r.pos });
                },
              }),
            );
          };
          for (const step of steps) {
            const stream = STREAMS[step.stream]!;
            if (step.subscribe && !heard.has(stream)) subscribe(stream);
            const results = await log.append(
              stream,
              Array.from({ length: step.count }, (_, i) => ({
                type: 't',
                data: i,
              })),
            );
            position = results[results.length - 1]!.position;
          }
          await Promise.all(stops.map((stop) => stop()));
          const all = (await collect(log.since({}))) as { stream: string }[];
          for (const [stream, got] of heard) {
            const expected = [];
            let pos = 0;
            for (const event of all) {
              pos++;
              if (event.stream === stream && pos > started.get(stream)!)
                expected.push({ stream, pos });
            }
            expect(got).toEqual(expected);
          }
          await log.close();
        },
      ),
      200,
    );
  });
});
