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
import { lateness, mergeCanonical } from '../src/log/canonical-order.ts';
import { eventLine } from '../src/log/jsonl.ts';
import { concatBytes } from '../src/log/line-writer.ts';
import { vectorFrom } from '../src/log/version-vector.ts';
import { RecentMap } from '../src/log/recent-map.ts';
import { StorageError, StoreClosedError } from './storage-errors.ts';
import {
  CONFLICT_KEY_PATH,
  HOT_INDEXES,
  HOT_KEY_PATH,
  LEGACY_EVENT_INDEXES,
  LEGACY_EVENT_KEY_PATH,
  SCHEMA_VERSION,
  type ForklineDB,
  lateKeyOf,
  type LateKey,
} from './idb-schema.ts';
import {
  positioned,
  type Positioned,
  type ReadScope,
  retryingGone,
  Segments,
  type SegmentTx,
  type SegmentWriteTx,
} from './idb-segments.ts';

const ZERO_REPLICA: ReplicaRecord = { hlc: '000000000000.0000', lastPos: 0 };
const WRITE_SCOPE = [
  'hot',
  'streams',
  'actors',
  'meta',
  'late',
  'tails',
  'segments',
  'segmentMeta',
  'conflicts',
] as const;
const READ_SCOPE = ['hot', 'segments', 'segmentMeta'] as const;
const CACHE_LIMIT = 50_000;
/**
 * Records a write leaves in the cache, its last ones: what the next appends and
 * folds read. An import of any size keeps no more than these.
 */
const REMEMBERED = 4096;
const PAGE = 256;
/** Pages of a read in position order planned in one transaction. */
const PAGES_PER_PLAN = 4;

/** A transaction writing at least this many events of one stream writes them as segments. */
export const DIRECT_SEGMENT_MIN = 256;
/** Hot events of one stream that make the compactor pack them without waiting for idle. */
export const HOT_LIMIT = 512;
/** Hot events one pack takes while writes go on (HOT_LIMIT when quiet). */
const BUSY_PACK = 64;
/** Quiet time after the last write before the compactor packs what is left. */
const IDLE_MS = 2_000;

export interface IdbStoreOptions {
  /** Called when another tab needs a newer schema: this connection is already closed. */
  onVersionChange?: () => void;
  /** Called when the browser closed the connection (storage cleared, disk error). */
  onConnectionLost?: () => void;
  /**
   * Pack hot events into segments in the background (the default). Off, events stay
   * one record each until `compact()` is called or they arrive in a large batch.
   */
  compaction?: boolean;
  /** Events per full segment (SEGMENT_EVENTS); tests make it small to get many segments. */
  segmentEvents?: number;
  /** A transaction writing this many events of a stream writes them packed (DIRECT_SEGMENT_MIN). */
  directSegmentMin?: number;
}

export interface IdbStore extends Store {
  readonly name: string;
  /**
   * Packs every hot event of `stream` (of every stream when none is named) into
   * segments, with the stream's unfilled segments. A rewrite of storage only: each
   * transaction either packs a run or leaves it as it was.
   * @returns how many hot events were packed.
   */
  compact(stream?: string): Promise<number>;
  /** Resolves when the background compactor has nothing left to do. */
  compacted(): Promise<void>;
}

type WriteTx = IDBPTransaction<
  ForklineDB,
  typeof WRITE_SCOPE extends readonly (infer T)[] ? T[] : never,
  'readwrite'
>;

const byPos = (a: EventRecord, b: EventRecord) => a.pos - b.pos;
const utf8 = new TextEncoder();

/** The hot keys of `stream` at positions after `after`. */
const streamRange = (stream: string, after = 0) =>
  IDBKeyRange.bound([stream, after], [stream, Infinity], true);

/**
 * The engine's Store over IndexedDB (through idb), as a hot tail and packed segments.
 *
 * New events land as one record each in `events` (the hot tail), except that a
 * transaction writing DIRECT_SEGMENT_MIN or more events of a stream (an import, a
 * large sync) writes them packed. The compactor packs the hot tail into segments of
 * SEGMENT_EVENTS in transactions of its own, each atomic: a crash leaves the hot
 * records or the segment, never neither. An event keeps its position, so reads in
 * position order merge the hot tail with the segments that overlap each page, every
 * page inside one transaction (a compaction between pages moves nothing a reader
 * has not yet passed, since it looks up positions, not records).
 *
 * Events are immutable and content-addressed, so records are cached by id; heads,
 * seqs and the clock are always read inside the writing transaction, never from a
 * cache, because other tabs' workers write the same database.
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
          database.createObjectStore('events', {
            keyPath: LEGACY_EVENT_KEY_PATH,
          });
          database.createObjectStore('streams', { keyPath: 'stream' });
          database.createObjectStore('actors', { keyPath: 'actor' });
          database.createObjectStore('meta');
          database.createObjectStore('snapshots', { keyPath: 'key' });
        }
        // A new database goes through them too, with nothing to read. All inside the
        // upgrade transaction: if a step fails, it aborts and the database stays as
        // it was.
        void (async () => {
          if (oldVersion < 3) await upgradeToVersion3(database, transaction);
          if (oldVersion < 4) upgradeToVersion4(database);
          if (oldVersion < 5) await upgradeToVersion5(database, transaction);
          if (oldVersion < 6)
            database.createObjectStore('conflicts', {
              keyPath: CONFLICT_KEY_PATH,
            });
        })().catch((error: unknown) => {
          console.error('forkline: the schema upgrade failed', error);
          transaction.abort();
        });
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

  const segments = new Segments(options.segmentEvents);
  const directMin = options.directSegmentMin ?? DIRECT_SEGMENT_MIN;
  const cache = new RecentMap<string, EventRecord>(CACHE_LIMIT);
  const remember = (record: EventRecord) => cache.set(record.event.id, record);
  const checkOpen = () => {
    if (closed) throw new StoreClosedError(name);
  };
  const readTx = () =>
    db.transaction([...READ_SCOPE], 'readonly') as unknown as SegmentTx;

  /**
   * The event `id` as `tx` sees it. An event is in a segment or a hot record, never
   * both in one transaction's view, and segments never change under their key: one
   * the directory places is read from there (refreshed and placed again when it was
   * merged away); else it is hot, or in a segment written since the directory's last
   * refresh, which lists every segment's key (a caller looking up many events in one
   * transaction refreshes first, once).
   */
  const lookup = async (tx: SegmentTx, id: string) =>
    segments.directory.locate(id)
      ? await retryingGone(
          () => segments.findKnown(tx, id),
          () => segments.find(tx, id),
        )
      : ((await tx.objectStore('hot').index('id').get(id)) ??
        (await retryingGone(() => segments.find(tx, id))));

  const eventInMemory = (id: string) =>
    cache.get(id) ?? segments.cachedEvent(id);
  const readEvent = async (id: string) => {
    const hit = eventInMemory(id);
    if (hit) return hit;
    checkOpen();
    const record = await lookup(readTx(), id);
    if (record) remember(record);
    return record;
  };

  const hotBatch = Math.min(HOT_LIMIT, segments.size);
  const compactor = new Compactor(
    options.compaction ?? true,
    (stream, busy) =>
      // While writes go on, small packs: an append queued behind one waits for a
      // few milliseconds (deleting a hot record by id costs far more than writing one).
      packHot(stream, busy ? Math.min(BUSY_PACK, hotBatch) : hotBatch),
    (stream) => mergeUnfilled(stream),
  );

  async function write<T>(
    body: (tx: StoreTransaction) => Promise<T>,
  ): Promise<T> {
    checkOpen();
    const tx: WriteTx = db.transaction([...WRITE_SCOPE], 'readwrite', {
      durability: 'default',
    });
    const segmentTx = tx as unknown as SegmentWriteTx;
    // The request that failed says why (ConstraintError, QuotaExceededError); tx.done only says AbortError.
    let failure: DOMException | Error | undefined;
    const noteFailure = (error: DOMException | Error) =>
      void (failure ??= error);
    // What this transaction holds stays bounded however many events it writes (an
    // import streams through one): events put but not yet written, by stream, run
    // by run; the last REMEMBERED written, for the cache; those whose lateness is
    // not yet decided. A stream's run is written as a segment once it is full,
    // and what is left at the end as a segment or as hot records.
    const unwritten = new Map<string, EventRecord[]>();
    const pending = new Map<string, EventRecord>();
    const hotWritten = new Map<string, number>();
    let recent: EventRecord[] = [];
    let undecided: EventRecord[] = [];
    let requests: Promise<unknown>[] = [];
    const track = (request: Promise<unknown>) =>
      requests.push(request.catch(noteFailure));
    // Each stream's greatest key, asked for as soon as the engine reads the stream,
    // so deciding lateness costs no extra round trip; then as lateness moves it.
    const tails = new Map<string, Promise<CanonicalKey | undefined>>();
    const tailOf = (stream: string) => {
      let tail = tails.get(stream);
      if (!tail)
        tails.set(stream, (tail = tx.objectStore('tails').get(stream)));
      return tail;
    };
    let segmentsSeen: Promise<void> | undefined;
    const writeRun = (run: EventRecord[], packed: boolean) => {
      const { stream } = run[0]!.event;
      if (packed) {
        // Its events stay pending (found by id) until both of the segment's records
        // are written; then a miss brings the directory up to them.
        track(
          segments.write(segmentTx, run).then(() => {
            for (const record of run) pending.delete(record.event.id);
            segmentsSeen = undefined;
          }),
        );
      } else {
        for (const record of run) {
          track(tx.objectStore('hot').add(record));
          pending.delete(record.event.id);
        }
        hotWritten.set(stream, (hotWritten.get(stream) ?? 0) + run.length);
      }
    };
    const decideLateness = async () => {
      const records = undecided;
      undecided = [];
      if (records.length > 0) await recordLateness(tx, records, tails, tailOf);
    };
    /** This transaction's own writes, then records read or written before. */
    const inMemory = (id: string) => pending.get(id) ?? cache.get(id);
    const view: StoreTransaction = {
      eventInMemory: inMemory,
      async event(id) {
        const own = inMemory(id);
        if (own) return own;
        // The directory first, as most events are packed: it costs no request once
        // brought up to this transaction (and again after it wrote a segment).
        await (segmentsSeen ??= segments.refresh(segmentTx));
        const slot = segments.directory.locate(id);
        if (slot)
          return (await segments.records(segmentTx, slot.key))[slot.index];
        return tx.objectStore('hot').index('id').get(id);
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
        pending.set(record.event.id, record);
        undecided.push(record);
        recent.push(record);
        if (recent.length >= 2 * REMEMBERED) recent = recent.slice(-REMEMBERED);
        const { stream } = record.event;
        let run = unwritten.get(stream);
        if (!run) unwritten.set(stream, (run = []));
        run.push(record);
        if (run.length === segments.size) {
          unwritten.set(stream, []);
          writeRun(run, true);
        }
      },
      async settle() {
        await decideLateness();
        const waiting = requests;
        requests = [];
        await Promise.all(waiting);
      },
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
      putConflict: (record) => track(tx.objectStore('conflicts').put(record)),
    };
    let result: T;
    try {
      result = await body(view);
      for (const run of unwritten.values())
        if (run.length > 0) writeRun(run, run.length >= directMin);
      await decideLateness();
    } catch (error) {
      await abandon(tx);
      segments.forget();
      throw error;
    }
    try {
      await tx.done;
    } catch (error) {
      segments.forget();
      // Quota and disk errors surface only here: the whole transaction was rolled back.
      throw new StorageError(name, failure ?? (error as DOMException | Error));
    }
    for (const record of recent.slice(-REMEMBERED)) remember(record);
    for (const [stream, count] of hotWritten) compactor.wrote(stream, count);
    return result;
  }

  /**
   * One compaction step for `stream`: packs its oldest hot events, at most `limit`,
   * into new segments and deletes them. They are read and encoded first, outside any
   * read-write transaction; the transaction that swaps them for the segments writes
   * two records per segment and deletes one key range, so a write queued behind it
   * waits for a millisecond or two, not for an encoding.
   * @returns how many hot events it packed (or found packed by another tab
   *   meanwhile); 0 when the stream had none.
   */
  async function packHot(stream: string, limit = hotBatch): Promise<number> {
    if (closed) return 0;
    const hot = await db.getAll('hot', streamRange(stream), limit);
    if (hot.length === 0) return 0;
    const encoded = segments.runs(hot).flatMap((run) => segments.encode(run));
    // The stream's oldest hot events are the first keys of its range.
    const range = IDBKeyRange.bound(
      [stream, hot[0]!.pos],
      [stream, hot.at(-1)!.pos],
    );
    return rewrite(['hot', 'segments', 'segmentMeta'], async (tx) => {
      const store = tx.objectStore('hot');
      // Positions are never reused, so the range can only have lost events since
      // the read: to another tab's compactor, which packed them. Then leave it.
      if ((await store.count(range)) !== hot.length) return hot.length;
      const written = encoded.map((segment) => segments.put(tx, segment));
      void store.delete(range);
      await Promise.all(written);
      return hot.length;
    });
  }

  /**
   * One merge transaction for `stream`: the first of its unfilled segments that fit
   * in one full segment together (by events and by body bytes), rewritten as one.
   * Run at idle: it decodes and re-encodes a segment's worth of events, which would
   * hold up typing.
   * @returns how many segments it merged (0: nothing to merge).
   */
  async function mergeUnfilled(stream: string): Promise<number> {
    return rewrite(['segments', 'segmentMeta'], async (tx) => {
      await segments.refresh(tx);
      const chosen = segments.mergeable(stream);
      if (chosen.length < 2) return 0;
      const records: EventRecord[] = [];
      for (const key of chosen)
        records.push(...(await segments.records(tx, key)));
      records.sort(byPos);
      const merged = segments.encode(records);
      // Bodies measured before this code kept their size can misjudge the fit: a
      // merge that would not make fewer segments is not done.
      if (merged.length >= chosen.length) return 0;
      const written = merged.map((segment) => segments.put(tx, segment));
      for (const key of chosen) segments.remove(tx, key);
      await Promise.all(written);
      return chosen.length;
    });
  }

  /** Runs `body` in a read-write transaction of its own, all of it or nothing. */
  async function rewrite(
    scope: ('hot' | 'segments' | 'segmentMeta')[],
    body: (tx: SegmentWriteTx) => Promise<number>,
  ): Promise<number> {
    if (closed) return 0;
    const tx = db.transaction(scope, 'readwrite');
    try {
      const done = await body(tx as unknown as SegmentWriteTx);
      await tx.done;
      return done;
    } catch (error) {
      await abandon(tx);
      throw error;
    }
  }

  /**
   * What is stored at the positions after `after`, in order, of one stream or of
   * all (`scope`), page by page: as records, or as whatever `item` and `open` make
   * of hot records and of segments.
   */
  async function* pagesInPositionOrder<T>(
    after: number,
    scope: ReadScope,
    item: (record: EventRecord) => T,
    open: (tx: SegmentTx, key: number) => Promise<Positioned<T>>,
  ): AsyncIterable<T[]> {
    // The segments this read has opened and not yet passed. Streams written in turns
    // have segments whose positions interleave, so one segment serves several pages:
    // it is read and decoded once, and dropped once the read is past its last
    // position. Memory: about one segment per stream the log interleaves here.
    const opened = new Map<number, Promise<Positioned<T>>>();
    const openOnce = (tx: SegmentTx, key: number) => {
      let opening = opened.get(key);
      if (!opening) {
        opening = open(tx, key);
        opening.catch(() => undefined);
        opened.set(key, opening);
      }
      return opening;
    };
    const passed = (bound: number) => {
      for (const key of opened.keys()) {
        const meta = segments.directory.meta(key);
        if (!meta || meta.lastPos <= bound) opened.delete(key);
      }
    };
    /**
     * The next pages after `last`, in a transaction of their own: their bounds at
     * once, their items later. Several pages share the transaction and the directory
     * refresh, and their segments are asked for at once, so that reading and
     * inflating them overlaps the work on the pages before. `upTo`: the one page
     * (last, upTo], read again.
     */
    const plan = async (last: number, upTo?: number) => {
      const tx = readTx();
      const hot = tx.objectStore('hot');
      const { stream } = scope;
      // Both asked at once: one round trip to the storage process, not two.
      const [records] = await Promise.all([
        stream === undefined
          ? hot.index('pos').getAll(IDBKeyRange.lowerBound(last, true), PAGE)
          : hot.getAll(streamRange(stream, last), PAGE),
        segments.refresh(tx),
      ]);
      // A full page of hot records may be followed by more: no page goes past it.
      const hotEnd =
        records.length === PAGE ? records[PAGE - 1]!.pos : Infinity;
      const pages = [];
      let from = last;
      do {
        const page = segments.page(
          from,
          scope,
          { records, limit: PAGE },
          item,
          (key) => openOnce(tx, key),
          upTo,
        );
        // Handled here as well: a reader that stops early leaves pages unread.
        page.items.catch(() => undefined);
        pages.push({ last: from, ...page });
        from = page.bound;
      } while (
        upTo === undefined &&
        pages.length < PAGES_PER_PLAN &&
        from < hotEnd
      );
      return pages;
    };
    type Planned = Awaited<ReturnType<typeof plan>>;
    checkOpen();
    // The next plan starts as soon as this one's bounds are known: up to two plans'
    // pages are under way while the reader works on the first.
    const plans: Promise<Planned | undefined>[] = [plan(after)];
    const queue: Planned = [];
    for (;;) {
      if (plans.length < 2) {
        const next = plans[plans.length - 1]!.then((pages) => {
          const bound = pages?.[pages.length - 1]!.bound ?? Infinity;
          return bound === Infinity ? undefined : plan(bound);
        });
        next.catch(() => undefined);
        plans.push(next);
      }
      if (queue.length === 0) {
        const pages = await plans.shift()!;
        if (!pages) return;
        queue.push(...pages);
      }
      const page = queue.shift()!;
      const runs = await retryingGone(
        () => page.items,
        // A segment was merged away after this page's directory named it: the
        // same positions again, in a new transaction, every segment read afresh.
        async () => {
          opened.clear();
          return (await plan(page.last, page.bound))[0]!.items;
        },
      );
      // Run by run: a reader that stops early has had no more built.
      for (const run of runs) yield run;
      passed(page.bound);
      if (page.bound === Infinity) return;
      checkOpen();
    }
  }

  /** The records at the positions after `after`, of one stream or of all, in runs. */
  function recordPages(
    after: number,
    scope: ReadScope = {},
  ): AsyncIterable<EventRecord[]> {
    return pagesInPositionOrder(
      after,
      scope,
      (record) => record,
      // One stream's segments are read whole and kept (a document opened is read
      // again); across streams, a few events of each are built as the read takes them.
      async (tx, key) =>
        scope.stream === undefined
          ? segments.across(tx, key, scope.only)
          : positioned(await segments.records(tx, key, false)),
    );
  }

  /** The records at the positions after `after`, of one stream or of all. */
  async function* inPositionOrder(
    after: number,
    scope: ReadScope = {},
  ): AsyncIterable<EventRecord> {
    for await (const page of recordPages(after, scope)) yield* page;
  }

  /** The late events of `stream`, in canonical order, page by page. */
  async function* lateEvents(stream: string): AsyncIterable<EventRecord> {
    let after: LateKey | undefined;
    for (;;) {
      checkOpen();
      const range = IDBKeyRange.bound(
        after ?? [stream, '', ''],
        [stream, '\uffff', '\uffff'],
        after !== undefined,
      );
      const tx = db.transaction(['late', ...READ_SCOPE], 'readonly');
      const segmentTx = tx as unknown as SegmentTx;
      const [keys] = await Promise.all([
        tx.objectStore('late').getAllKeys(range, PAGE),
        segments.refresh(segmentTx),
      ]);
      const records = await Promise.all(
        keys.map(
          async ([, , id]) => cache.get(id) ?? (await lookup(segmentTx, id))!,
        ),
      );
      yield* records;
      if (keys.length < PAGE) return;
      after = keys[keys.length - 1];
    }
  }

  const store: IdbStore = {
    name,
    event: readEvent,
    eventInMemory,
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
    streamEvents: (stream) =>
      mergeCanonical(inPositionOrder(0, { stream }), lateEvents(stream)),
    eventsFrom: (from, only) =>
      inPositionOrder(Math.max(from, 1) - 1, { only }),
    eventPagesFrom: (from, only) =>
      recordPages(Math.max(from, 1) - 1, { only }),
    // Segments become lines straight from their columns: no event objects, no
    // strings; each page is one chunk, a view of cached lines when it is one
    // segment's (to be read, never written or transferred).
    async *eventLineBytes(from, source) {
      for await (const page of pagesInPositionOrder(
        Math.max(from, 1) - 1,
        {},
        (record) => utf8.encode(eventLine(record.event, source)),
        (tx, key) => segments.lines(tx, key, source),
      ))
        yield concatBytes(page);
    },
    async actorEvent(actor, seq) {
      checkOpen();
      return retryingGone(async () => {
        const tx = readTx();
        const hot = await tx
          .objectStore('hot')
          .index('actorSeq')
          .get([actor, seq]);
        if (hot) return hot;
        await segments.refresh(tx);
        return segments.findSeq(tx, actor, seq);
      });
    },
    async storedBy(id, pos) {
      const hit = cache.get(id) ?? segments.cachedEvent(id);
      if (hit) return hit.pos <= pos;
      checkOpen();
      // A segment's records are in position order, and most segments lie wholly on
      // one side of `pos`. The directory as it is answers for the segments it knows,
      // with no request: a segment never changes under its key.
      const spans = () => {
        const slot = segments.directory.locate(id);
        const meta = slot && segments.directory.meta(slot.key);
        if (meta && meta.lastPos <= pos) return true;
        if (meta && meta.firstPos > pos) return false;
        return undefined;
      };
      const known = spans();
      if (known !== undefined) return known;
      return retryingGone(async () => {
        const tx = readTx();
        await segments.refresh(tx);
        const now = spans();
        if (now !== undefined) return now;
        const record = await lookup(tx, id);
        return record !== undefined && record.pos <= pos;
      });
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
      const records: EventRecord[] = [];
      for await (const record of inPositionOrder(pos, { stream }))
        records.push(record);
      return records;
    },
    async conflicts(stream) {
      checkOpen();
      return db.getAll('conflicts', IDBKeyRange.bound([stream], [stream, []]));
    },
    async getSnapshot(key) {
      checkOpen();
      return db.get('snapshots', key);
    },
    async putSnapshot(record) {
      checkOpen();
      await db.put('snapshots', record);
    },
    async deleteSnapshot(key) {
      checkOpen();
      await db.delete('snapshots', key);
    },
    async clearSnapshots() {
      checkOpen();
      await db.clear('snapshots');
    },
    async compact(stream) {
      checkOpen();
      const names =
        stream === undefined ? await db.getAllKeys('streams') : [stream];
      let packed = 0;
      for (const name of names) {
        for (let n; (n = await packHot(name)) > 0;) packed += n;
        while ((await mergeUnfilled(name)) > 0);
      }
      return packed;
    },
    compacted: () => compactor.settled(),
    async close() {
      closed = true;
      compactor.stop();
      db.close();
    },
  };
  // Whatever an earlier session, another tab or an upgrade left hot or unfilled is
  // packed and merged once the store is open.
  compactor.sweep(
    async () => {
      const names = await db.getAllKeys('streams');
      const counts = await Promise.all(
        names.map((s) => db.count('hot', streamRange(s))),
      );
      return names.filter((_, i) => counts[i]! > 0);
    },
    async () => {
      await segments.refresh(readTx());
      const unfilled = new Map<string, number>();
      for (const [, meta] of segments.directory.segments())
        if (segments.unfilled(meta))
          unfilled.set(meta.stream, (unfilled.get(meta.stream) ?? 0) + 1);
      return [...unfilled].filter(([, n]) => n > 1).map(([stream]) => stream);
    },
  );
  return store;
}

/**
 * Runs compactions one at a time, off the path of the writes that call for them.
 * While writes go on (within IDLE_MS of the last), it packs a few hot events right
 * after each write: the gap after a keystroke's write is the one moment the next is
 * least likely to arrive, and a small pack fits in it, so typing rarely waits behind
 * one. A stream is packed once its hot tail passes HOT_LIMIT, and at idle. Once quiet,
 * it packs in large steps and merges unfilled segments into full ones (which
 * re-encodes a segment's worth of events), yielding to any write that arrives. A
 * failed step loses nothing (its transaction rolled back): it is reported, and the
 * next sweep at open finds what is left.
 */
class Compactor {
  private readonly hot = new Map<string, number>();
  private readonly packs = new Set<string>();
  private readonly merges = new Set<string>();
  private running: Promise<void> | undefined;
  private readonly sweeping = new Set<Promise<void>>();
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  /** Counted from the start: a page that has just opened is about to be used, not idle. */
  private lastWrite = performance.now();
  /** A write has ended since the last pack made while writes went on. */
  private gap = false;
  private readonly waiting: (() => void)[] = [];
  private stopped = false;

  constructor(
    private readonly enabled: boolean,
    /** Packs some of the stream's hot tail, fewer while writes go on (`busy`): how many it took, 0 when none was left. */
    private readonly pack: (stream: string, busy: boolean) => Promise<number>,
    private readonly merge: (stream: string) => Promise<number>,
  ) {}

  /** `count` hot events were written to `stream` (and the write has ended). */
  wrote(stream: string, count: number): void {
    if (!this.enabled || this.stopped) return;
    this.lastWrite = performance.now();
    this.gap = true;
    const hot = (this.hot.get(stream) ?? 0) + count;
    this.hot.set(stream, hot);
    this.enqueue(hot >= HOT_LIMIT ? [stream] : [], []);
    this.armIdle();
  }

  /**
   * At open: queues the streams `findHot` finds with hot events at once, and those
   * `findUnfilled` finds with unfilled segments to merge once the store has been
   * quiet for IDLE_MS (merges wait for it anyway): finding those reads every
   * segment's summary (4 MB of ids for 260k events), which would hold up the
   * page's first reads.
   */
  sweep(
    findHot: () => Promise<string[]>,
    findUnfilled: () => Promise<string[]>,
  ): void {
    if (!this.enabled) return;
    const sweeping = (async () => {
      const hot = await findHot();
      this.enqueue(hot, hot);
      await this.quiet();
      if (!this.stopped) this.enqueue([], await findUnfilled());
    })()
      .catch((error: unknown) =>
        console.warn('forkline: compaction sweep failed', error),
      )
      .finally(() => this.sweeping.delete(sweeping));
    this.sweeping.add(sweeping);
    this.armIdle();
  }

  /** Resolves once no write has come for IDLE_MS (or the compactor is stopped). */
  private async quiet(): Promise<void> {
    while (this.enabled && !this.stopped && !this.idle())
      await new Promise((resolve) =>
        setTimeout(resolve, IDLE_MS - (performance.now() - this.lastWrite)),
      );
  }

  /** Once writes have paused for IDLE_MS, everything left is queued. */
  private armIdle(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      const streams = [...this.hot.keys()];
      this.enqueue(streams, streams);
    }, IDLE_MS);
  }

  private enqueue(packs: string[], merges: string[]): void {
    if (this.stopped) return;
    for (const stream of packs) this.packs.add(stream);
    for (const stream of merges) this.merges.add(stream);
    if (this.packs.size + this.merges.size > 0) this.running ??= this.drain();
  }

  private idle(): boolean {
    return performance.now() - this.lastWrite >= IDLE_MS;
  }

  private async drain(): Promise<void> {
    for (;;) {
      // A task boundary first: the write that called for this has replied by then,
      // and a write that arrived since goes before the next transaction.
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (this.stopped) break;
      const idle = this.idle();
      // While writes go on, one small pack per write, in the gap after it; the
      // next write (or the idle timer) starts this loop again.
      if (!idle && !this.gap) break;
      const [pack] = this.packs;
      const [merge] = idle ? this.merges : [];
      if (pack === undefined && merge === undefined) break;
      const step = pack !== undefined ? 'packing' : 'merging';
      const stream = (pack ?? merge)!;
      try {
        if (pack !== undefined) {
          this.hot.delete(pack);
          this.gap = false;
          if ((await this.pack(pack, !idle)) === 0) this.packs.delete(pack);
        } else if ((await this.merge(merge!)) === 0) this.merges.delete(merge!);
      } catch (error) {
        if (this.stopped) break;
        this.packs.delete(stream);
        this.merges.delete(stream);
        console.warn(`forkline: ${step} "${stream}" failed`, error);
      }
    }
    this.running = undefined;
    if (this.stopped || this.packs.size + this.merges.size === 0)
      for (const done of this.waiting.splice(0)) done();
  }

  /** Resolves when nothing is left to compact (after the next quiet, if writes go on). */
  async settled(): Promise<void> {
    await Promise.all(this.sweeping);
    if (
      this.stopped ||
      (!this.running && this.packs.size + this.merges.size === 0)
    )
      return;
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.idleTimer);
    for (const done of this.waiting.splice(0)) done();
  }
}

/** Rolls `tx` back (if the browser has not already) and waits until it has ended. */
async function abandon(tx: {
  abort(): void;
  done: Promise<void>;
}): Promise<void> {
  try {
    tx.abort();
  } catch {
    // Already finished or aborted by the browser.
  }
  await tx.done.catch(() => undefined);
}

/**
 * Puts the late ones among `written` (in arrival order) into `late`, and the new
 * tails; `tails` holds each stream's greatest key so far in this transaction.
 */
async function recordLateness(
  tx: WriteTx,
  written: readonly EventRecord[],
  tails: Map<string, Promise<CanonicalKey | undefined>>,
  tailOf: (stream: string) => Promise<CanonicalKey | undefined>,
): Promise<void> {
  const streams = [...new Set(written.map((r) => r.event.stream))];
  const before = new Map(
    await Promise.all(streams.map(async (s) => [s, await tailOf(s)] as const)),
  );
  const found = lateness(written, (s) => before.get(s));
  for (const { event } of found.late)
    void tx
      .objectStore('late')
      .put(1, lateKeyOf(event))
      .catch(() => undefined);
  for (const [stream, { hlc, id }] of found.tails) {
    tails.set(stream, Promise.resolve({ hlc, id }));
    void tx
      .objectStore('tails')
      .put({ hlc, id }, stream)
      .catch(() => undefined);
  }
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
  const events = transaction.objectStore('events');
  for (const index of [...events.indexNames])
    events.deleteIndex(index as IndexNames<ForklineDB, 'events'>);
  for (const [index, keyPath, options] of LEGACY_EVENT_INDEXES)
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
}

/** From version 3 (or a new database): the segment stores. */
function upgradeToVersion4(database: IDBPDatabase<ForklineDB>): void {
  database.createObjectStore('segments', { autoIncrement: true });
  database.createObjectStore('segmentMeta');
}

/**
 * From version 4 (or earlier, or a new database): the hot tail keyed by (stream,
 * position) in `hot`, and every event the old `events` store held packed into
 * segments, a page of one segment's size at a time in (stream, position) order, so
 * memory stays bounded however long the log. Pages that end mid-stream leave
 * unfilled segments, which the compactor merges at idle like any others.
 */
async function upgradeToVersion5(
  database: IDBPDatabase<ForklineDB>,
  transaction: IDBPTransaction<
    ForklineDB,
    StoreNames<ForklineDB>[],
    'versionchange'
  >,
): Promise<void> {
  const hot = database.createObjectStore('hot', { keyPath: HOT_KEY_PATH });
  for (const [index, keyPath, options] of HOT_INDEXES)
    hot.createIndex(index, keyPath, options);
  const byStream = transaction.objectStore('events').index('streamPos');
  const segments = new Segments();
  const tx = transaction as unknown as SegmentWriteTx;
  for (let after: [string, number] | undefined; ;) {
    const page = await byStream.getAll(
      after && IDBKeyRange.lowerBound(after, true),
      segments.size,
    );
    const runs = new Map<string, EventRecord[]>();
    for (const record of page) {
      const { stream } = record.event;
      let run = runs.get(stream);
      if (!run) runs.set(stream, (run = []));
      run.push(record);
    }
    await Promise.all([...runs.values()].map((run) => segments.write(tx, run)));
    if (page.length < segments.size) break;
    const last = page.at(-1)!;
    after = [last.event.stream, last.pos];
  }
  database.deleteObjectStore('events');
}
