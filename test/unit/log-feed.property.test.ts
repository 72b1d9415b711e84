import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openLog, type LogEvent, type VersionVector } from '../../src/index.ts';
import { withEvents } from '../../src/log/version-vector.ts';
import { storeOf } from '../../src/log/log.ts';
import { memoryStore } from '../../src/log/memory-store.ts';
import { LogFeed } from '../../server/log-feed.ts';
import { collect } from '../support/records.ts';
import { assertProperty } from '../support/property.ts';

const step = fc.oneof(
  fc.record({
    kind: fc.constant('append' as const),
    n: fc.integer({ min: 1, max: 30 }),
    actor: fc.nat(2),
    // What the feed is told: nothing (another process wrote: a refresh reads it),
    // the records stored (this process wrote), or them past a gap.
    told: fc.constantFrom('nothing', 'written', 'after a gap'),
  }),
  fc.record({ kind: fc.constant('refresh' as const) }),
  // A push that takes at most `take` events, as a session whose batch filled up.
  fc.record({
    kind: fc.constant('push' as const),
    take: fc.integer({ min: 0, max: 40 }),
  }),
);

describe("a relay's feed of a log", () => {
  it('gives a session every event its peer lacks exactly once, in position order, however its pushes stop, the feed lags or is handed writes, and the session falls behind the feed', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.array(step, { maxLength: 40 }),
        fc.nat(50),
        // A tail this short, against pushes of up to 40: readers fall behind it.
        fc.integer({ min: 1, max: 64 }),
        async (steps, early, tailEvents) => {
          const log = await openLog({ actor: 'relay' });
          const writers = await Promise.all(
            [0, 1, 2].map((i) => openLog({ actor: `w${i}` })),
          );
          const write = async (actor: number, n: number) => {
            const w = writers[actor]!;
            for (let k = 0; k < n; k++)
              await w.append('doc/x', { type: 't', data: k });
            await log.ingest(await collect(w.since(await log.versionVector())));
          };
          // Some events stored before the feed opened: a new reader catches up from the log.
          for (let i = 0; i < early; i++) await write(i % 3, 1);
          const feed = await LogFeed.open(log, { tail: tailEvents });
          const store = storeOf(log);
          const since = feed.reader();
          let sent: VersionVector = {};
          const taken: LogEvent[] = [];
          const push = async (take: number) => {
            let got = 0;
            pushing: for await (const run of since(sent))
              for (const event of run) {
                if (got === take) break pushing;
                taken.push(event);
                sent = withEvents(sent, [event]);
                got++;
              }
          };
          for (const s of steps) {
            if (s.kind === 'append') {
              const w = writers[s.actor]!;
              const made = [];
              for (let i = 0; i < s.n; i++)
                made.push(
                  (await w.append('doc/x', { type: 't', data: i }))[0]!.event,
                );
              const before = (await store.replica()).lastPos;
              await log.ingest(
                await collect(w.since(await log.versionVector())),
              );
              const records = await collect(store.eventsFrom(before + 1));
              const told =
                s.told === 'written'
                  ? records
                  : s.told === 'after a gap'
                    ? records.slice(1)
                    : undefined;
              if (told && !feed.written(told)) await feed.refresh();
            } else if (s.kind === 'refresh') await feed.refresh();
            else await push(s.take);
          }
          await feed.refresh();
          await push(Infinity);
          const all = await collect(log.since({}));
          expect(taken.map((e) => e.id).sort()).toEqual(
            all.map((e) => e.id).sort(),
          );
          expect(new Set(taken.map((e) => e.id)).size).toBe(taken.length);
          // In the order stored.
          const at = new Map(all.map((e, i) => [e.id, i]));
          const order = taken.map((e) => at.get(e.id)!);
          expect(order).toEqual([...order].sort((a, b) => a - b));
          await Promise.all([log, ...writers].map((l) => l.close()));
        },
      ),
      100,
    );
  }, 120_000);
});

describe("a relay's feed of a log: what a reader costs", () => {
  it('a new reader looks up where its peer stands once, then goes on by position, however short its pushes', async () => {
    // The memory store answers firstLacking from its version vector: counted here.
    const store = memoryStore();
    let lookUps = 0;
    const versionVector = store.versionVector.bind(store);
    store.versionVector = () => {
      lookUps++;
      return versionVector();
    };
    const log = await openLog({ actor: 'relay', store });
    const writer = await openLog({ actor: 'w' });
    for (let i = 0; i < 50; i++)
      await writer.append('doc/x', { type: 't', data: i });
    await log.ingest(await collect(writer.since({})));
    // The 50 events are stored before the feed opens: they are not in its tail.
    const feed = await LogFeed.open(log, { tail: 4 });
    const since = feed.reader();
    let sent: VersionVector = {};
    const taken: LogEvent[] = [];
    const before = lookUps;
    // A push that stops after one event, as a session whose batch filled up.
    for (let push = 0; push < 50; push++)
      for await (const [event] of since(sent)) {
        taken.push(event!);
        sent = withEvents(sent, [event!]);
        break;
      }
    expect(taken.map((e) => e.data)).toEqual(
      Array.from({ length: 50 }, (_, i) => i),
    );
    expect(lookUps - before).toBe(1);
    await Promise.all([log.close(), writer.close()]);
  });
});

describe("a relay's feed of a log: refreshes", () => {
  it('takes a burst of notifications in as one read, which finds everything stored before it started', async () => {
    const store = memoryStore();
    let reads = 0;
    const eventsFrom = store.eventsFrom.bind(store);
    store.eventsFrom = (from) => {
      reads++;
      return eventsFrom(from);
    };
    const log = await openLog({ actor: 'relay', store });
    const feed = await LogFeed.open(log);
    const writer = await openLog({ actor: 'w' });
    const since = feed.reader();
    // Another process stored five writes; their five notifications come at once.
    for (let i = 0; i < 5; i++) {
      await writer.append('doc/x', { type: 't', data: i });
      await log.ingest(await collect(writer.since(await log.versionVector())));
    }
    await Promise.all(Array.from({ length: 5 }, () => feed.refresh()));
    expect(reads).toBe(1);
    const taken: LogEvent[] = [];
    for await (const run of since({})) taken.push(...run);
    expect(taken.map((e) => e.data)).toEqual([0, 1, 2, 3, 4]);
    await Promise.all([log.close(), writer.close()]);
  });
});
