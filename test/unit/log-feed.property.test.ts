import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  openLog,
  type Log,
  type LogEvent,
  type VersionVector,
} from '../../src/index.ts';
import { seqIn, withEvents } from '../../src/log/version-vector.ts';
import {
  decodeMessage,
  eventsMessageOf,
  EVENTS_ENVELOPE_BYTES,
  MAX_BATCH,
  type OutgoingBatch,
} from '../../src/sync/messages.ts';
import { storeOf } from '../../src/log/log.ts';
import { memoryStore } from '../../src/log/memory-store.ts';
import { LogFeed } from '../../server/log-feed.ts';
import { collect } from '../support/records.ts';
import { assertProperty, propertyTimeout } from '../support/property.ts';

/** A test's time: its sample's in `npm test`; a fuzz run's, with FC_RUNS. */
const TIMEOUT = propertyTimeout(120_000);

const step = fc.oneof(
  fc.record({
    kind: fc.constant('append' as const),
    n: fc.integer({ min: 1, max: 30 }),
    actor: fc.nat(2),
    // What the feed is told: nothing (another process wrote: a refresh reads it),
    // the records stored (this process wrote), or them past a gap.
    told: fc.constantFrom('nothing', 'written', 'after a gap'),
  }),
  // The session's peer sends events: its own new ones, or ones it had from
  // elsewhere (a writer's, which this log may hold already or not).
  fc.record({
    kind: fc.constant('peer sends' as const),
    n: fc.integer({ min: 1, max: 10 }),
    from: fc.constantFrom('its own', 'a writer'),
    actor: fc.nat(2),
    told: fc.constantFrom('nothing', 'written'),
  }),
  fc.record({ kind: fc.constant('refresh' as const) }),
  // A push: batches of at most `bytes` on the wire (a full batch still holds one
  // event), until the window (`batches`) is full or nothing is lacking.
  fc.record({
    kind: fc.constant('push' as const),
    bytes: fc.integer({ min: 1, max: 4000 }),
    batches: fc.integer({ min: 1, max: 4 }),
  }),
);

/** The events of a batch, decoded from what would go on the wire. */
function eventsOf(batch: OutgoingBatch): LogEvent[] {
  const text = eventsMessageOf(7, batch);
  const message = decodeMessage(text);
  if (message.type !== 'events') throw new Error(`not events: ${text}`);
  return message.events;
}

describe("a relay's feed of a log", () => {
  it(
    'gives a session every event its peer lacks exactly once, in position order, never one the peer holds, however its batches are cut, the feed lags or is handed writes, the peer sends, and the session falls behind the feed',
    async () => {
      await assertProperty(
        fc.asyncProperty(
          fc.array(step, { maxLength: 40 }),
          fc.nat(50),
          // A tail this short, against batches of up to 4000 bytes: readers fall
          // behind it, caught up or not.
          fc.integer({ min: 1, max: 64 }),
          // What the peer holds when it says hello: a prefix of each writer's events
          // (the log may not hold them yet), and some of its own.
          fc.array(fc.nat(40), { minLength: 3, maxLength: 3 }),
          async (steps, early, tailEvents, hello) => {
            const log = await openLog({ actor: 'relay' });
            const writers = await Promise.all(
              [0, 1, 2].map((i) => openLog({ actor: `w${i}` })),
            );
            const peer = await openLog({ actor: 'peer' });
            const store = storeOf(log);
            /** The feed, once open: the early writes come before it. */
            const opened: { feed?: LogFeed } = {};
            /** Stores what `from` has that the log lacks; tells the feed as `told` says. */
            const store_ = async (from: Log, told: string) => {
              const before = (await store.replica()).lastPos;
              await log.ingest(
                await collect(from.since(await log.versionVector())),
              );
              const records = await collect(store.eventsFrom(before + 1));
              const tell =
                told === 'written'
                  ? records
                  : told === 'after a gap'
                    ? records.slice(1)
                    : undefined;
              if (opened.feed && tell && !opened.feed.written(tell))
                await opened.feed.refresh();
            };
            const write = async (w: Log, n: number) => {
              const made: LogEvent[] = [];
              for (let k = 0; k < n; k++)
                made.push(
                  (await w.append('doc/x', { type: 't', data: k }))[0]!.event,
                );
              return made;
            };
            // Some events stored before the feed opened: a new reader catches up from the log.
            for (let i = 0; i < early; i++) {
              await write(writers[i % 3]!, 1);
              await store_(writers[i % 3]!, 'nothing');
            }
            // The peer had some of the writers' events before it said hello.
            const helloVector: VersionVector = {};
            for (const [i, w] of writers.entries()) {
              await write(w, hello[i]! % 5);
              const had = (await collect(w.since({}))).slice(0, hello[i]!);
              await peer.ingest(had);
              for (const e of had) helloVector[e.actor] = e.seq;
            }
            const feed = await LogFeed.open(log, { tail: tailEvents });
            opened.feed = feed;
            const outbox = feed.outbox(helloVector);
            /** What the peer holds: its hello, what it sent, what it was sent. */
            const holds: VersionVector = { ...helloVector };
            /** What the peer has sent the relay: it sends each event once. */
            let peerSent: VersionVector = { ...helloVector };
            const taken: LogEvent[] = [];
            const push = async (bytes: number, batches: number) => {
              for (let b = 0; b < batches; b++) {
                const batch = await outbox.next(bytes);
                if (!batch) return;
                const events = eventsOf(batch);
                expect(events.length).toBe(batch.count);
                expect(events.length).toBeGreaterThan(0);
                expect(events.length).toBeLessThanOrEqual(MAX_BATCH);
                if (events.length > 1)
                  expect(
                    new TextEncoder().encode(eventsMessageOf(7, batch)).length,
                  ).toBeLessThanOrEqual(bytes + EVENTS_ENVELOPE_BYTES);
                for (const e of events) {
                  // Never one the peer holds, so never one sent twice.
                  expect(e.seq).toBeGreaterThan(seqIn(holds, e.actor));
                  holds[e.actor] = e.seq;
                  taken.push(e);
                }
                await peer.ingest(events);
                peerSent = withEvents(peerSent, events);
              }
            };
            for (const s of steps) {
              if (s.kind === 'append') {
                await write(writers[s.actor]!, s.n);
                await store_(writers[s.actor]!, s.told);
              } else if (s.kind === 'peer sends') {
                if (s.from === 'a writer') {
                  // The peer has them from elsewhere; the log may have them already.
                  const w = writers[s.actor]!;
                  await peer.ingest(await collect(w.since({})));
                } else await write(peer, s.n);
                // Whatever it has not sent yet: some of it the log may hold already.
                const sent = await collect(peer.since(peerSent));
                peerSent = withEvents(peerSent, sent);
                await store_(peer, s.told);
                // As a session does: once stored, the outbox hears the peer holds them.
                outbox.held(sent);
                for (const e of sent)
                  holds[e.actor] = Math.max(seqIn(holds, e.actor), e.seq);
              } else if (s.kind === 'refresh') await feed.refresh();
              else await push(s.bytes, s.batches);
            }
            await feed.refresh();
            await push(4000, Infinity);
            // Everything the log holds, the peer holds now.
            const all = await collect(log.since({}));
            for (const e of all)
              expect(seqIn(holds, e.actor)).toBeGreaterThanOrEqual(e.seq);
            expect(new Set(taken.map((e) => e.id)).size).toBe(taken.length);
            // In the order stored.
            const at = new Map(all.map((e, i) => [e.id, i]));
            const order = taken.map((e) => at.get(e.id)!);
            expect(order).toEqual([...order].sort((a, b) => a - b));
            outbox.close?.();
            await Promise.all([log, peer, ...writers].map((l) => l.close()));
          },
        ),
        100,
      );
    },
    TIMEOUT,
  );

  it('sends a caught-up session the bytes every caught-up session is sent, less what its own peer wrote, encoded once', async () => {
    const log = await openLog({ actor: 'relay' });
    const store = storeOf(log);
    const feed = await LogFeed.open(log);
    const a = await openLog({ actor: 'a' });
    const b = await openLog({ actor: 'b' });
    // Two sessions, caught up: their peers hold everything (nothing yet).
    const outboxes = [feed.outbox({}), feed.outbox({})];
    for (const o of outboxes) expect(await o.next(1e6)).toBeUndefined();
    const writeAs = async (w: Log, n: number) => {
      for (let k = 0; k < n; k++)
        await w.append('doc/x', { type: 't', data: k });
      const events = await collect(w.since(await log.versionVector()));
      const before = (await store.replica()).lastPos;
      await log.ingest(events);
      expect(feed.written(await collect(store.eventsFrom(before + 1)))).toBe(
        true,
      );
      return events;
    };
    await writeAs(a, 3);
    // Peer 2 wrote 2 events, between peer 1's: session 2 is not sent them back.
    outboxes[1]!.held(await writeAs(b, 2));
    await writeAs(a, 3);
    const [one, two] = await Promise.all(outboxes.map((o) => o.next(1e6)));
    expect(eventsOf(one!).map((e) => e.actor)).toEqual([
      'a',
      'a',
      'a',
      'b',
      'b',
      'a',
      'a',
      'a',
    ]);
    expect(eventsOf(two!).map((e) => e.actor)).toEqual([
      'a',
      'a',
      'a',
      'a',
      'a',
      'a',
    ]);
    // The same bytes: views of one encoding, not a copy per session.
    if (!('utf8' in one!) || !('utf8' in two!))
      throw new Error('caught-up sessions were not sent shared bytes');
    expect(two.utf8[0]!.buffer).toBe(one.utf8[0]!.buffer);
    for (const o of outboxes) o.close?.();
    await Promise.all([log, a, b].map((l) => l.close()));
  });
});

describe("a relay's feed of a log: what a peer can make it hold", () => {
  it('keeps the actors a hello names that the log never saw with that session, not in the feed', async () => {
    const log = await openLog({ actor: 'relay' });
    const writer = await openLog({ actor: 'w' });
    await writer.append('doc/x', { type: 't', data: 1 });
    await log.ingest(await collect(writer.since({})));
    const feed = await LogFeed.open(log);
    await writer.append('doc/x', { type: 't', data: 2 });
    const store = storeOf(log);
    await log.ingest(await collect(writer.since(await log.versionVector())));
    expect(feed.written(await collect(store.eventsFrom(2)))).toBe(true);
    const numbered = feed.actorCount;
    // Every connection of a hostile peer names ten thousand actors nobody wrote as.
    for (let connection = 0; connection < 3; connection++) {
      const hello: VersionVector = {};
      for (let i = 0; i < 10_000; i++) hello[`made-up-${connection}-${i}`] = 7;
      const outbox = feed.outbox(hello);
      // It is sent the log's events, and is caught up.
      expect(eventsOf((await outbox.next(1e6))!).map((e) => e.data)).toEqual([
        1, 2,
      ]);
      expect(await outbox.next(1e6)).toBeUndefined();
      outbox.close?.();
    }
    expect(feed.actorCount).toBe(numbered);
    await Promise.all([log.close(), writer.close()]);
  });
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
    const outbox = feed.outbox({});
    const taken: LogEvent[] = [];
    const before = lookUps;
    // Batches of one event each (one byte of room), as a session whose window is small.
    for (let push = 0; push < 50; push++)
      taken.push(...eventsOf((await outbox.next(1))!));
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
    const outbox = feed.outbox({});
    // Another process stored five writes; their five notifications come at once.
    for (let i = 0; i < 5; i++) {
      await writer.append('doc/x', { type: 't', data: i });
      await log.ingest(await collect(writer.since(await log.versionVector())));
    }
    await Promise.all(Array.from({ length: 5 }, () => feed.refresh()));
    expect(reads).toBe(1);
    const taken = eventsOf((await outbox.next(1e6))!);
    expect(taken.map((e) => e.data)).toEqual([0, 1, 2, 3, 4]);
    await Promise.all([log.close(), writer.close()]);
  });
});
