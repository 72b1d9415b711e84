import type { EventFilter } from './event-filter.ts';
import type { EventId, LogEvent, VersionVector } from './types.ts';
import { seqIn } from './version-vector.ts';

/** An event as stored: the event plus local bookkeeping that is never hashed. */
export interface EventRecord {
  event: LogEvent;
  /** Arrival index on this replica, 1, 2, 3 … across all streams. */
  pos: number;
  /** Local arrival time (ms since epoch). */
  recordedAt: number;
  /** Generation number: 1 for a root, else 1 + the greatest parent generation. */
  gen: number;
}

export interface StreamRecord {
  stream: string;
  /** Sorted ids of the events no other event of the stream names as a parent. */
  heads: EventId[];
  /** Events in the stream. */
  size: number;
}

/** Per-replica bookkeeping, read and written in the same transaction as the events. */
export interface ReplicaRecord {
  /** The replica's HLC: at least every stored event's HLC. */
  hlc: string;
  /** Position of the last stored event (0 when empty). */
  lastPos: number;
  /** The replica id this store writes as by default, once one was chosen. */
  actor?: string;
  /**
   * Set once every merge stored is in the conflict index (CONFLICT_INDEX): from the
   * first write on for a new store, after a one-time build for an older one.
   */
  conflictIndex?: number;
}

/** The conflict index's version: a store whose replica record holds another one builds it. */
export const CONFLICT_INDEX = 1;

/**
 * The replica record a write leaves: the new clock and position, and, for a store
 * written for the first time, the mark that its conflict index is complete.
 */
export function replicaAfter(
  replica: ReplicaRecord,
  hlc: string,
  lastPos: number,
): ReplicaRecord {
  // Field by field: a spread of the record was ~4% of an append in Node (the
  // records come in several shapes, and copying them fell off V8's fast path).
  const next: ReplicaRecord = { hlc, lastPos };
  if (replica.actor !== undefined) next.actor = replica.actor;
  const index = replica.lastPos === 0 ? CONFLICT_INDEX : replica.conflictIndex;
  if (index !== undefined) next.conflictIndex = index;
  return next;
}

/** Every field of ReplicaRecord: one added there must be copied by replicaAfter. */
const REPLICA_FIELDS: Record<keyof ReplicaRecord, true> = {
  hlc: true,
  lastPos: true,
  actor: true,
  conflictIndex: true,
};
void REPLICA_FIELDS;

/**
 * A resolved conflict of a stream (DESIGN §7), recorded in the transaction that
 * stores its merge: the event whose parents were concurrent with each other.
 */
export interface ConflictRecord {
  stream: string;
  /** The merge event, and its HLC: the index is in the merges' canonical order. */
  resolvedBy: EventId;
  hlc: string;
  /** The concurrent events the merge joined, in canonical order. */
  events: EventId[];
  /** Their latest common ancestors, in canonical order. */
  forkPoint: EventId[];
}

/** Reads that see a consistent state: inside a transaction, its own writes too. */
export interface StoreReader {
  event(id: EventId): Promise<EventRecord | undefined>;
  /**
   * The event's record when this reader holds it in memory, without a read:
   * undefined says nothing (not in memory, or not stored). The DAG walks ask it
   * first, so a walk over recent events takes no turn of the event loop per step.
   */
  eventInMemory?(id: EventId): EventRecord | undefined;
  stream(name: string): Promise<StreamRecord | undefined>;
  /** Highest seq stored for `actor`, 0 when none. */
  actorSeq(actor: string): Promise<number>;
  replica(): Promise<ReplicaRecord>;
}

/**
 * A read-write transaction. Writes are applied together when the body's promise
 * resolves, or not at all when it rejects. The body must await only this
 * transaction's methods (IndexedDB commits a transaction left idle).
 */
export interface StoreTransaction extends StoreReader {
  /**
   * Resolves once the writes made so far are performed, with the transaction still
   * open. A long write (an import of 100k events) awaits it now and then, so the
   * thread answers other messages meanwhile; a store that writes at commit has none.
   */
  settle?(): Promise<void>;
  putEvent(record: EventRecord): void;
  putStream(record: StreamRecord): void;
  putActorSeq(actor: string, seq: number): void;
  putReplica(record: ReplicaRecord): void;
  /** Idempotent: a record is keyed by its stream and merge event. */
  putConflict(record: ConflictRecord): void;
}

/**
 * A cached fold of one stream (DESIGN §5). Deleting it changes nothing but speed.
 * It covers every event of the stream with `pos <= pos`, plus `extra` (events that
 * arrived while it was being taken and were folded in), and nothing else.
 */
export interface SnapshotRecord {
  /** `${stream}\n${projection name}` */
  key: string;
  stream: string;
  pos: number;
  extra: EventId[];
  /** Canonical key of the last folded event; a later arrival sorting before it voids the snapshot. */
  after: CanonicalKey | null;
  state: unknown;
  takenAt: number;
}

/** Where a position in canonical order is: events sort by (hlc, id). */
export interface CanonicalKey {
  hlc: string;
  id: EventId;
}

/**
 * Storage behind a log. Implementations: memoryStore() here, the IndexedDB store
 * in worker/. Both pass test/contract/store-contract.ts.
 */
export interface Store extends StoreReader {
  /**
   * Runs `body` in one atomic read-write transaction; transactions never interleave.
   * `ahead` names what the body will look up, which a store whose reads are round
   * trips may fetch before the body asks (with other writes' look-ups, in one go).
   */
  write<T>(
    body: (tx: StoreTransaction) => Promise<T>,
    ahead?: ReadAhead,
  ): Promise<T>;
  /** The stream's events in canonical order. */
  streamEvents(stream: string): AsyncIterable<EventRecord>;
  /**
   * All events in arrival order, from position `from` on. With `only`, the store
   * may pass over events that cannot match that filter, where it knows so without
   * reading them (a packed run whose summary rules them out); it may still yield
   * any, so the reader filters.
   */
  eventsFrom(from: number, only?: EventFilter): AsyncIterable<EventRecord>;
  /**
   * Optional: what `eventsFrom(from, only)` yields, in runs of records, each run
   * a bounded page: for a store that reads in pages, a reader of the whole log
   * takes no async step per record (`eventPages`).
   */
  eventPagesFrom?(
    from: number,
    only?: EventFilter,
  ): AsyncIterable<readonly EventRecord[]>;
  /**
   * Optional: what `eventsFrom(from)` yields, as export lines (`eventLine`) in UTF-8,
   * each chunk a run of whole lines: for a store that can write them without an
   * event object or a string each (packed segments). A chunk may be a view of the
   * store's cache: read it, never write or transfer it.
   */
  eventLineBytes?(from: number, source: string): AsyncIterable<Uint8Array>;
  /** The event `actor` wrote with `seq`, if stored. */
  actorEvent(actor: string, seq: number): Promise<EventRecord | undefined>;
  /**
   * Optional: the position of the first event a peer holding `vector` lacks
   * (undefined: none), for a store that answers it at once. Without it, `since`
   * looks up each writer's first lacking event (`firstLacking` below), which for a
   * database is a round trip per writer of the log.
   */
  firstLacking?(vector: VersionVector): Promise<number | undefined>;
  /**
   * Whether event `id` is stored at a position up to `pos`: what a fold that holds
   * every event up to `pos` asks of an event. A store that packs events answers from
   * the positions a pack spans, without unpacking it, where it can.
   */
  storedBy(id: EventId, pos: number): Promise<boolean>;
  versionVector(): Promise<VersionVector>;
  /** Names of the streams that start with `prefix`, sorted. */
  streamNames(prefix: string): Promise<string[]>;
  /** The stream's events with a position after `pos`, in one consistent read. */
  streamEventsSince(stream: string, pos: number): Promise<EventRecord[]>;
  /** The stream's recorded conflicts, in the canonical order of their merges. */
  conflicts(stream: string): Promise<ConflictRecord[]>;
  /** A copy the caller owns: changing it changes nothing stored. */
  getSnapshot(key: string): Promise<SnapshotRecord | undefined>;
  /** Best effort: a cache write may be skipped, never half-applied. */
  putSnapshot(record: SnapshotRecord): Promise<void>;
  /** Deletes the snapshot under `key`, if any: one no reader will use again. */
  deleteSnapshot(key: string): Promise<void>;
  clearSnapshots(): Promise<void>;
  close(): Promise<void>;
}

/** Keys a write will look up: a hint, never a promise that it reads nothing else. */
export interface ReadAhead {
  events?: readonly EventId[];
  streams?: readonly string[];
  actors?: readonly string[];
}

/** Canonical order: (hlc, id), both compared as strings. */
export function compareCanonical(a: CanonicalKey, b: CanonicalKey): number {
  if (a.hlc !== b.hlc) return a.hlc < b.hlc ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * The last of `ids` in canonical order, each looked up in `reader`; `missing` names
 * one that is not an event of `stream`, if any (then `last` means nothing). Whatever
 * a set of heads holds sorts up to its last: a parent sorts before its child.
 */
export async function lastOfIds(
  reader: StoreReader,
  ids: readonly EventId[],
  stream: string,
): Promise<{ last?: LogEvent; missing?: EventId }> {
  let last: LogEvent | undefined;
  for (const id of ids) {
    const record = await reader.event(id);
    if (!record || record.event.stream !== stream) return { missing: id };
    if (!last || compareCanonical(last, record.event) < 0) last = record.event;
  }
  return last ? { last } : {};
}

/**
 * The position of the first event a peer holding `vector` lacks, from the store's
 * own answer or, without one, a look-up of each writer's first lacking event.
 */
export async function firstLacking(
  store: Store,
  vector: VersionVector,
): Promise<number | undefined> {
  if (store.firstLacking) return store.firstLacking(vector);
  const local = await store.versionVector();
  let from = Infinity;
  for (const [actor, seq] of Object.entries(local)) {
    const known = seqIn(vector, actor);
    if (seq > known) {
      const first = await store.actorEvent(actor, known + 1);
      if (first) from = Math.min(from, first.pos);
    }
  }
  return from === Infinity ? undefined : from;
}

/**
 * Records a page holds at most where the store does not page itself, so catching
 * up over a long log never holds all of it.
 */
export const PAGE_RECORDS = 500;

/**
 * `store.eventsFrom(from, only)` in pages: the store's own (`eventPagesFrom`), or
 * its records gathered PAGE_RECORDS at a time.
 */
export function eventPages(
  store: Store,
  from: number,
  only?: EventFilter,
): AsyncIterable<readonly EventRecord[]> {
  return store.eventPagesFrom
    ? store.eventPagesFrom(from, only)
    : pagesOf(store.eventsFrom(from, only), PAGE_RECORDS);
}

/** `items` gathered `size` at a time. */
async function* pagesOf<T>(
  items: AsyncIterable<T>,
  size: number,
): AsyncIterable<T[]> {
  let page: T[] = [];
  for await (const item of items) {
    page.push(item);
    if (page.length >= size) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}
