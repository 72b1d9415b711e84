import fc from 'fast-check';
import { deleteDB, openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import {
  memoryStore,
  openLogOn,
  type EventRecord,
  type LogEvent,
  type Store,
} from '../../src/index.ts';
import { lateness } from '../../src/log/canonical-order.ts';
import { lateKeyOf, SCHEMA_VERSION } from '../../worker/idb-schema.ts';
import { openIdbStore } from '../../worker/idb-store.ts';
import { Segments, type SegmentWriteTx } from '../../worker/idb-segments.ts';
import { snapshotContract } from '../contract/snapshot-contract.ts';
import { storeContract } from '../contract/store-contract.ts';
import { assertProperty } from '../support/property.ts';
import { collect } from '../support/records.ts';

let n = 0;
let current = '';
storeContract(
  'IndexedDB',
  async () => openIdbStore((current = `contract-${Date.now()}-${n++}`)),
  () => deleteDB(current),
);

snapshotContract('IndexedDB', async () =>
  openIdbStore(`snapshots-${Date.now()}-${n++}`),
);

/**
 * A database as version `version` of forkline left it: 1 with four of the events
 * indexes unique and a canonical index; 3 with none unique, and canonical order kept
 * by the `late` and `tails` stores. Both kept every event as its own record. 4 kept
 * a hot tail keyed by id, and packed segments: here the events of `packed`.
 */
async function createOldDatabase(
  database: string,
  version: 1 | 3 | 4,
  source: Store,
  records: EventRecord[],
  packed?: string,
) {
  const unique = version === 1;
  const db = await openDB(database, version, {
    upgrade(db) {
      const events = db.createObjectStore('events', { keyPath: 'event.id' });
      events.createIndex('pos', 'pos', { unique });
      if (version === 1)
        events.createIndex(
          'canonical',
          ['event.stream', 'event.hlc', 'event.id'],
          { unique },
        );
      events.createIndex('streamPos', ['event.stream', 'pos'], { unique });
      events.createIndex('actorSeq', ['event.actor', 'event.seq'], {
        unique,
      });
      if (version < 4)
        events.createIndex('time', 'event.time', { unique: false });
      db.createObjectStore('streams', { keyPath: 'stream' });
      db.createObjectStore('actors', { keyPath: 'actor' });
      db.createObjectStore('meta');
      db.createObjectStore('snapshots', { keyPath: 'key' });
      if (version >= 3) {
        db.createObjectStore('late');
        db.createObjectStore('tails');
      }
      if (version === 4) {
        db.createObjectStore('segments', { autoIncrement: true });
        db.createObjectStore('segmentMeta');
      }
    },
  });
  const stores = [
    ['events', 'streams', 'actors', 'meta'],
    version >= 3 ? ['late', 'tails'] : [],
    version === 4 ? ['segments', 'segmentMeta'] : [],
  ].flat();
  const tx = db.transaction(stores, 'readwrite');
  const inSegment = (r: EventRecord) => r.event.stream === packed;
  for (const record of records)
    if (!inSegment(record)) void tx.objectStore('events').add(record);
  if (packed !== undefined)
    await new Segments().write(
      tx as unknown as SegmentWriteTx,
      records.filter(inSegment),
    );
  const streams = [...new Set(records.map((r) => r.event.stream))];
  for (const stream of streams)
    void tx.objectStore('streams').put((await source.stream(stream))!);
  for (const [actor, seq] of Object.entries(await source.versionVector()))
    void tx.objectStore('actors').put({ actor, seq });
  // Written before the conflict index (version 6): no mark that it is complete.
  const { conflictIndex: _, ...replica } = await source.replica();
  void tx.objectStore('meta').put(replica, 'replica');
  if (version >= 3) {
    const { late, tails } = lateness(records, () => undefined);
    for (const { event } of late)
      void tx.objectStore('late').put(1, lateKeyOf(event));
    for (const [stream, key] of tails)
      void tx.objectStore('tails').put(key, stream);
  }
  await tx.done;
  db.close();
}

describe.each([1, 3, 4] as const)(
  'the schema upgrade from version %i',
  (version) => {
    it('keeps every event, in canonical order, packs them into segments and keys the hot tail by stream and position', async () => {
      // A history with a fork, two actors, two streams and late arrivals, made by the
      // engine: b's clock is behind a's, so b's doc/y events sort before a's.
      const source = memoryStore();
      const a = await openLogOn(source, { actor: 'actor-a', now: () => 2_000 });
      const b = await openLogOn(memoryStore(), {
        actor: 'actor-b',
        now: () => 1_000,
      });
      await a.append('doc/y', { type: 't', data: 0 });
      await b.append('doc/y', [
        { type: 't', data: 2 },
        { type: 't', data: 3 },
      ]);
      await a.append('doc/x', { type: 't', data: 1 });
      await b.ingest(await collect(a.since({})));
      await a.append('doc/x', { type: 't', data: 'a' });
      await b.append('doc/x', { type: 't', data: new Uint8Array([1, 2]) });
      await a.ingest(await collect(b.since({})));
      // doc/y began as two concurrent roots: a merges them.
      await a.append('doc/y', { type: 't', data: 'merge' });
      const records = await collect(source.eventsFrom(1));
      expect(records).toHaveLength(7);
      const yOrder = (await collect(a.read('doc/y'))).map((e) => e.actor);
      expect(yOrder).toEqual(['actor-b', 'actor-b', 'actor-a', 'actor-a']);
      expect(await a.heads('doc/x')).toHaveLength(2);

      const database = `upgrade-v${version}-${Date.now()}`;
      await createOldDatabase(
        database,
        version,
        source,
        records,
        version === 4 ? 'doc/y' : undefined,
      );

      // The upgrade packs what the old events store held; the compactor has nothing
      // to do (no stream has two unfilled segments).
      const store = await openIdbStore(database, { compaction: false });
      const log = await openLogOn(store, {
        actor: 'actor-a',
        now: () => 2_000,
      });
      expect((await log.verify()).ok).toBe(true);
      const ids = (events: LogEvent[]) => events.map((e) => e.id);
      for (const stream of ['doc/x', 'doc/y']) {
        expect(ids(await collect(log.read(stream)))).toEqual(
          ids(await collect(a.read(stream))),
        );
        expect(await log.heads(stream)).toEqual(await a.heads(stream));
        // The conflict index, built on the first ask: doc/y's resolved fork, doc/x's open one.
        expect(await log.conflicts(stream)).toEqual(await a.conflicts(stream));
        expect(await log.conflicts(stream)).toHaveLength(1);
      }
      expect(await collect(store.eventsFrom(1))).toEqual(records);
      for (const { event } of records) {
        expect(await store.actorEvent(event.actor, event.seq)).toEqual(
          await source.actorEvent(event.actor, event.seq),
        );
        expect(await store.event(event.id)).toEqual(
          await source.event(event.id),
        );
      }
      expect(await store.streamEventsSince('doc/x', 1)).toEqual(
        await source.streamEventsSince('doc/x', 1),
      );
      // The log goes on where it was: the next position and seq follow densely.
      const [next] = await log.append('doc/y', { type: 't', data: 4 });
      expect(next).toMatchObject({ position: 8, event: { seq: 5 } });
      expect((await log.verify()).ok).toBe(true);
      await log.close();

      const upgraded = await openDB(database, SCHEMA_VERSION);
      expect(upgraded.objectStoreNames.contains('events')).toBe(false);
      // One segment per stream, and the event appended since, hot.
      expect(await upgraded.count('segments')).toBe(2);
      expect(await upgraded.getAll('hot')).toEqual([
        expect.objectContaining({ pos: 8 }),
      ]);
      const hot = upgraded.transaction('hot').objectStore('hot');
      expect(hot.keyPath).toEqual(['event.stream', 'pos']);
      expect([...hot.indexNames].sort()).toEqual(['actorSeq', 'id', 'pos']);
      for (const name of hot.indexNames)
        expect(hot.index(name).unique, name).toBe(false);
      upgraded.close();
      await deleteDB(database);
    });
  },
);

describe('whether an event is stored up to a position', () => {
  it('is answered from the packs a reopened store has not decoded, and from its hot tail', async () => {
    const database = `stored-by-${Date.now()}`;
    const options = {
      segmentEvents: 4,
      directSegmentMin: 5,
      compaction: false,
    };
    const writer = await openIdbStore(database, options);
    const log = await openLogOn(writer, { actor: 'actor-a' });
    // doc/a and doc/b take turns, so a pack of doc/a spans positions doc/b holds.
    for (let i = 0; i < 10; i++)
      await log.append(i % 2 ? 'doc/b' : 'doc/a', { type: 't', data: i });
    expect(await writer.compact()).toBeGreaterThan(0);
    await log.append('doc/a', { type: 't', data: 'hot' });
    const records = await collect(writer.eventsFrom(1));
    await log.close();

    for (const pos of [0, 2, 3, 5, 6, 9, 11]) {
      // A new store each time: nothing decoded or cached yet.
      const store = await openIdbStore(database, options);
      for (const record of records)
        expect(
          await store.storedBy(record.event.id, pos),
          `${record.pos}`,
        ).toBe(record.pos <= pos);
      await store.close();
    }
    await deleteDB(database);
  });
});

describe('an event looked up by id', () => {
  it('is the record its segment holds, whether the first asked of a segment, the next, or one of many at once', async () => {
    const database = `looked-up-${Date.now()}`;
    const options = {
      segmentEvents: 16,
      directSegmentMin: 17,
      compaction: false,
    };
    const writer = await openIdbStore(database, options);
    const log = await openLogOn(writer, { actor: 'actor-a' });
    for (let i = 0; i < 70; i++)
      await log.append(i % 3 ? 'doc/b' : 'doc/a', {
        type: 't',
        data: { i, text: 'é'.repeat(i % 5) },
        ...(i % 4 ? { author: `author-${i % 2}` } : {}),
      });
    expect(await writer.compact()).toBeGreaterThan(0);
    const records = await collect(writer.eventsFrom(1));
    await log.close();
    const byId = new Map(records.map((r) => [r.event.id, r]));
    await assertProperty(
      fc.asyncProperty(
        fc.shuffledSubarray([...byId.keys()], { minLength: 1 }),
        fc.boolean(),
        async (ids, atOnce) => {
          // A new store each time: nothing decoded or built yet.
          const store = await openIdbStore(database, options);
          try {
            const found = atOnce
              ? await Promise.all(ids.map((id) => store.event(id)))
              : [];
            if (!atOnce)
              for (const id of ids) found.push(await store.event(id));
            // And again, from what the first look-ups built or decoded.
            for (const id of ids) found.push(await store.event(id));
            expect(found).toEqual([...ids, ...ids].map((id) => byId.get(id)));
          } finally {
            await store.close();
          }
        },
      ),
      25,
    );
    await deleteDB(database);
  });
});
