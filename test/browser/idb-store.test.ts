import { deleteDB, openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { memoryStore, openLogOn, type LogEvent } from '../../src/index.ts';
import { SCHEMA_VERSION } from '../../worker/idb-schema.ts';
import { openIdbStore } from '../../worker/idb-store.ts';
import { snapshotContract } from '../contract/snapshot-contract.ts';
import { storeContract } from '../contract/store-contract.ts';
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

describe('the schema upgrade from version 1', () => {
  /** Version 1's layout, as it shipped: four of the events indexes unique. */
  async function createVersion1(database: string) {
    const db = await openDB(database, 1, {
      upgrade(db) {
        const events = db.createObjectStore('events', { keyPath: 'event.id' });
        events.createIndex('pos', 'pos', { unique: true });
        events.createIndex(
          'canonical',
          ['event.stream', 'event.hlc', 'event.id'],
          { unique: true },
        );
        events.createIndex('streamPos', ['event.stream', 'pos'], {
          unique: true,
        });
        events.createIndex('actorSeq', ['event.actor', 'event.seq'], {
          unique: true,
        });
        events.createIndex('time', 'event.time', { unique: false });
        db.createObjectStore('streams', { keyPath: 'stream' });
        db.createObjectStore('actors', { keyPath: 'actor' });
        db.createObjectStore('meta');
        db.createObjectStore('snapshots', { keyPath: 'key' });
      },
    });
    return db;
  }

  it('keeps every event, in canonical order, and rebuilds the indexes as not unique', async () => {
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
    const records = await collect(source.eventsFrom(1));
    expect(records).toHaveLength(6);
    const yOrder = (await collect(a.read('doc/y'))).map((e) => e.actor);
    expect(yOrder).toEqual(['actor-b', 'actor-b', 'actor-a']);

    const database = `upgrade-v1-${Date.now()}`;
    const v1 = await createVersion1(database);
    const tx = v1.transaction(
      ['events', 'streams', 'actors', 'meta'],
      'readwrite',
    );
    for (const record of records) void tx.objectStore('events').add(record);
    for (const stream of ['doc/x', 'doc/y'])
      void tx.objectStore('streams').put((await source.stream(stream))!);
    for (const actor of ['actor-a', 'actor-b'])
      void tx
        .objectStore('actors')
        .put({ actor, seq: await source.actorSeq(actor) });
    void tx.objectStore('meta').put(await source.replica(), 'replica');
    await tx.done;
    v1.close();

    const store = await openIdbStore(database);
    const log = await openLogOn(store, { actor: 'actor-a', now: () => 2_000 });
    expect((await log.verify()).ok).toBe(true);
    const ids = (events: LogEvent[]) => events.map((e) => e.id);
    for (const stream of ['doc/x', 'doc/y']) {
      expect(ids(await collect(log.read(stream)))).toEqual(
        ids(await collect(a.read(stream))),
      );
      expect(await log.heads(stream)).toEqual(await a.heads(stream));
    }
    expect(await store.actorEvent('actor-b', 3)).toEqual(
      await source.actorEvent('actor-b', 3),
    );
    expect(await store.streamEventsSince('doc/x', 1)).toEqual(
      await source.streamEventsSince('doc/x', 1),
    );
    // The log goes on where it was: the next position and seq follow densely.
    const [next] = await log.append('doc/y', { type: 't', data: 4 });
    expect(next).toMatchObject({ position: 7, event: { seq: 4 } });
    expect((await log.verify()).ok).toBe(true);
    await log.close();

    const upgraded = await openDB(database, SCHEMA_VERSION);
    const events = upgraded.transaction('events').objectStore('events');
    expect([...events.indexNames].sort()).toEqual([
      'actorSeq',
      'pos',
      'streamPos',
      'time',
    ]);
    for (const name of events.indexNames)
      expect(events.index(name).unique, name).toBe(false);
    upgraded.close();
    await deleteDB(database);
  });
});
