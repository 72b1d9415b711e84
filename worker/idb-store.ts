import {
  openDB,
  type IDBPDatabase,
  type IDBPTransaction,
  type IndexNames,
  type StoreNames,
} from 'idb';
import type {
  CanonicalKey,
  EventRecord,
  ReplicaRecord,
  Store,
  StoreTransaction,
} from '../src/index.ts';
import { lateness, mergeCanonical } from './canonical-order.ts';
import { vectorFrom } from '../src/log/version-vector.ts';
import { StorageError, StoreClosedError } from './storage-errors.ts';
import {
  EVENT_INDEXES,
  EVENT_KEY_PATH,
  SCHEMA_VERSION,
  type ForklineDB,
  lateKeyOf,
  type LateKey,
} from './idb-schema.ts';

const ZERO_REPLICA: ReplicaRecord = { hlc: '000000000000.0000', lastPos: 0 };
const WRITE_SCOPE = [
  'events',
  'streams',
  'actors',
  'meta',
  'late',
  'tails',
] as const;
const CACHE_LIMIT = 50_000;
const PAGE = 256;

export interface IdbStoreOptions {
  /** Called when another tab needs a newer schema: this connection is already closed. */
  onVersionChange?: () => void;
  /** Called when the browser closed the connection (storage cleared, disk error). */
  onConnectionLost?: () => void;
}

export interface IdbStore extends Store {
  readonly name: string;
}

type WriteTx = IDBPTransaction<
  ForklineDB,
  typeof WRITE_SCOPE extends readonly (infer T)[] ? T[] : never,
  'readwrite'
>;

/**
 * The engine's Store over IndexedDB (through idb). Events are immutable and
 * content-addressed, so committed records are cached by id; heads, seqs and the
 * clock are always read inside the writing transaction, never from a cache, because
 * other tabs' workers write the same database.
 * @throws StorageError when a transaction aborts (quota, disk), StoreClosedError after close.
 */
export async function openIdbStore(
  name = 'forkline',
  options: IdbStoreOptions = {},
): Promise<IdbStore> {
  let closed = false;
  const db: IDBPDatabase<ForklineDB> = await openDB<ForklineDB>(
    name,
    SCHEMA_VERSION,
    {
      upgrade(database, oldVersion, _newVersion, transaction) {
        if (oldVersion < 1) {
          database.createObjectStore('events', { keyPath: EVENT_KEY_PATH });
          database.createObjectStore('streams', { keyPath: 'stream' });
          database.createObjectStore('actors', { keyPath: 'actor' });
          database.createObjectStore('meta');
          database.createObjectStore('snapshots', { keyPath: 'key' });
        }
        // A new database goes through it too, with nothing to read.
        if (oldVersion < 3) void upgradeToVersion3(database, transaction);
      },
      blocking() {
        // A newer tab wants to upgrade: step aside rather than leave it hanging.
        closed = true;
        db.close();
        options.onVersionChange?.();
      },
      terminated() {
        closed = true;
        options.onConnectionLost?.();
      },
    },
  );

  const cache = new Map<string, EventRecord>();
  const remember = (record: EventRecord) => {
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(record.event.id, record);
  };
  const checkOpen = () => {
    if (closed) throw new StoreClosedError(name);
  };

  const readEvent = async (id: string) => {
    const hit = cache.get(id);
    if (hit) return hit;
    checkOpen();
    const record = await db.get('events', id);
    if (record) remember(record);
    return record;
  };

  async function write<T>(
    body: (tx: StoreTransaction) => Promise<T>,
  ): Promise<T> {
    checkOpen();
    const tx: WriteTx = db.transaction([...WRITE_SCOPE], 'readwrite', {
      durability: 'default',
    });
    const written: EventRecord[] = [];
    // The request that failed says why (ConstraintError, QuotaExceededError); tx.done only says AbortError.
    let failure: DOMException | Error | undefined;
    const noteFailure = (error: DOMException | Error) =>
      void (failure ??= error);
    const writtenById = new Map<string, EventRecord>();
    let lastWrite: Promise<unknown> = Promise.resolve();
    // Each stream's greatest key, asked for as soon as the engine reads the stream,
    // so deciding lateness at the end costs no extra round trip.
    const tails = new Map<string, Promise<CanonicalKey | undefined>>();
    const tailOf = (stream: string) => {
      let tail = tails.get(stream);
      if (!tail)
        tails.set(stream, (tail = tx.objectStore('tails').get(stream)));
      return tail;
    };
    const view: StoreTransaction = {
      async event(id) {
        const own = writtenById.get(id) ?? cache.get(id);
        if (own) return own;
        return tx.objectStore('events').get(id);
      },
      stream: (stream) => {
        void tailOf(stream).catch(() => undefined);
        return tx.objectStore('streams').get(stream);
      },
      actorSeq: async (actor) =>
        (await tx.objectStore('actors').get(actor))?.seq ?? 0,
      replica: async () =>
        (await tx.objectStore('meta').get('replica')) ?? ZERO_REPLICA,
      putEvent(record) {
        written.push(record);
        writtenById.set(record.event.id, record);
        lastWrite = tx.objectStore('events').add(record).catch(noteFailure);
      },
      // Requests complete in order: once the last one has, every earlier one has too.
      settle: () => lastWrite.then(() => undefined),
      putStream: (record) =>
        void tx
          .objectStore('streams')
          .put(record)
          .catch(() => undefined),
      putActorSeq: (actor, seq) =>
        void tx
          .objectStore('actors')
          .put({ actor, seq })
          .catch(() => undefined),
      putReplica: (record) =>
        void tx
          .objectStore('meta')
          .put(record, 'replica')
          .catch(() => undefined),
    };
    let result: T;
    try {
      result = await body(view);
      if (written.length > 0) await recordLateness(tx, written, tailOf);
    } catch (error) {
      try {
        tx.abort();
      } catch {
        // Already finished or aborted by the browser.
      }
      await tx.done.catch(() => undefined);
      throw error;
    }
    try {
      await tx.done;
    } catch (error) {
      // Quota and disk errors surface only here: the whole transaction was rolled back.
      throw new StorageError(name, failure ?? (error as DOMException | Error));
    }
    // Only the last CACHE_LIMIT can stay. Evicting one by one through a large import
    // would cost more each time: a Map's iterator skips every hole deletion left.
    if (written.length >= CACHE_LIMIT) cache.clear();
    for (const record of written.slice(-CACHE_LIMIT)) remember(record);
    return result;
  }

  async function* pages<K extends IDBValidKey>(
    fetch: (
      after: K | undefined,
    ) => Promise<{ records: EventRecord[]; next: K | undefined }>,
  ): AsyncIterable<EventRecord> {
    checkOpen();
    let page = fetch(undefined);
    for (;;) {
      const { records, next } = await page;
      const more = records.length === PAGE && next !== undefined;
      // Ask for the next page before handing out this one: the consumer's work and
      // the storage process's read overlap instead of taking turns.
      if (more) {
        checkOpen();
        page = fetch(next);
        page.catch(() => undefined);
      }
      for (const record of records) yield record;
      if (!more) return;
    }
  }

  const store: IdbStore = {
    name,
    event: readEvent,
    stream: async (stream) => (checkOpen(), db.get('streams', stream)),
    actorSeq: async (actor) => (
      checkOpen(),
      (await db.get('actors', actor))?.seq ?? 0
    ),
    replica: async () => (
      checkOpen(),
      (await db.get('meta', 'replica')) ?? ZERO_REPLICA
    ),
    write,
    streamEvents(stream: string) {
      // Pages of getAll keep the transactions short; each resumes strictly after the last key.
      const arrived = pages<number>(async (last) => {
        const range = IDBKeyRange.bound(
          [stream, last ?? 0],
          [stream, Infinity],
          last !== undefined,
        );
        const records = await db.getAllFromIndex(
          'events',
          'streamPos',
          range,
          PAGE,
        );
        return { records, next: records[records.length - 1]?.pos };
      });
      const late = pages<LateKey>(async (last) => {
        const range = IDBKeyRange.bound(
          last ?? [stream, '', ''],
          [stream, '\uffff', '\uffff'],
          last !== undefined,
        );
        const keys = await db.getAllKeys('late', range, PAGE);
        const records = await Promise.all(
          keys.map(async ([, , id]) => (await readEvent(id))!),
        );
        return { records, next: keys[keys.length - 1] };
      });
      return mergeCanonical(arrived, late);
    },
    eventsFrom(from: number) {
      return pages<number>(async (last) => {
        const range = IDBKeyRange.lowerBound(
          last ?? Math.max(from, 1),
          last !== undefined,
        );
        const records = await db.getAllFromIndex('events', 'pos', range, PAGE);
        return { records, next: records[records.length - 1]?.pos };
      });
    },
    async actorEvent(actor, seq) {
      checkOpen();
      return db.getFromIndex('events', 'actorSeq', [actor, seq]);
    },
    async streamNames(prefix) {
      checkOpen();
      return db.getAllKeys(
        'streams',
        IDBKeyRange.bound(prefix, prefix + '\uffff'),
      );
    },
    async versionVector() {
      checkOpen();
      const rows = await db.getAll('actors');
      return vectorFrom(rows.map((r) => [r.actor, r.seq] as const));
    },
    async streamEventsSince(stream, pos) {
      checkOpen();
      const range = IDBKeyRange.bound(
        [stream, pos],
        [stream, Infinity],
        true,
        false,
      );
      return db.getAllFromIndex('events', 'streamPos', range);
    },
    async getSnapshot(key) {
      checkOpen();
      return db.get('snapshots', key);
    },
    async putSnapshot(record) {
      checkOpen();
      await db.put('snapshots', record);
    },
    async clearSnapshots() {
      checkOpen();
      await db.clear('snapshots');
    },
    async close() {
      closed = true;
      db.close();
    },
  };
  return store;
}

/** Puts the late ones among `written` (in arrival order) into `late`, and new tails. */
async function recordLateness(
  tx: WriteTx,
  written: readonly EventRecord[],
  tailOf: (stream: string) => Promise<CanonicalKey | undefined>,
): Promise<void> {
  const streams = [...new Set(written.map((r) => r.event.stream))];
  const before = new Map(
    await Promise.all(streams.map(async (s) => [s, await tailOf(s)] as const)),
  );
  const { late, tails } = lateness(written, (s) => before.get(s));
  for (const { event } of late)
    void tx
      .objectStore('late')
      .put(1, lateKeyOf(event))
      .catch(() => undefined);
  for (const [stream, { hlc, id }] of tails)
    void tx
      .objectStore('tails')
      .put({ hlc, id }, stream)
      .catch(() => undefined);
}

/**
 * From version 1 or 2 (or a new database): the indexes rebuilt as not unique,
 * without the canonical index, and `late` and `tails` filled from the stored events
 * in arrival order. All inside the upgrade transaction: if anything fails, it
 * aborts and the database stays as it was.
 */
async function upgradeToVersion3(
  database: IDBPDatabase<ForklineDB>,
  transaction: IDBPTransaction<
    ForklineDB,
    StoreNames<ForklineDB>[],
    'versionchange'
  >,
): Promise<void> {
  try {
    const events = transaction.objectStore('events');
    for (const index of [...events.indexNames])
      events.deleteIndex(index as IndexNames<ForklineDB, 'events'>);
    for (const [index, keyPath, options] of EVENT_INDEXES)
      events.createIndex(index, keyPath, options);
    const late = database.createObjectStore('late');
    const tails = database.createObjectStore('tails');
    const greatest = new Map<string, CanonicalKey>();
    let cursor = await events.index('pos').openCursor();
    for (; cursor; cursor = await cursor.continue()) {
      const found = lateness([cursor.value], (s) => greatest.get(s));
      for (const { event } of found.late) void late.put(1, lateKeyOf(event));
      for (const [stream, key] of found.tails) greatest.set(stream, key);
    }
    for (const [stream, key] of greatest) void tails.put(key, stream);
  } catch (error) {
    console.error('forkline: the schema upgrade failed', error);
    transaction.abort();
  }
}
