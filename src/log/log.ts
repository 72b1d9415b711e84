import { toBase64Url } from './base64url.ts';
import { buildConflictIndex, streamConflicts } from './conflicts.ts';
import { forkOf, lookupIn, type DagNode } from './dag.ts';
import { checkEventFilter, checkFrom, matcherOf } from './event-filter.ts';
import {
  ActorForkError,
  InvalidEventError,
  InvalidQueryError,
  LogClosedError,
  UnknownEventError,
} from './errors.ts';
import { clockLimit } from './hlc.ts';
import { DEFAULT_SOURCE, exportLineBytes, linesOf } from './jsonl.ts';
import { importInto, type ImportSource } from './import.ts';
import { ingestInto, readsOf, verifyIncoming } from './ingest.ts';
import { appendInto, normalizeExpected } from './append.ts';
import { sameIds } from './heads.ts';
import { openProjection } from './projections.ts';
import { queryEvents } from './query.ts';
import { foldFromSnapshot } from './snapshots.ts';
import { verifyStore, type VerifyReport } from './verify.ts';
import { seqIn } from './version-vector.ts';
import {
  logPagesAfter,
  Subscriptions,
  type RecordSubscription,
  type Stored,
} from './subscriptions.ts';
import {
  compareCanonical,
  eventPages,
  firstLacking,
  lastOfIds,
  type Store,
} from './store.ts';
import type {
  AppendOptions,
  AppendResult,
  Conflict,
  EventId,
  EventInput,
  ImportResult,
  IngestResult,
  Log,
  LogEvent,
  Policy,
  Projection,
  EventFilter,
  ProjectionHandle,
  ProjectOptions,
  QueryPage,
  QueryResult,
  ReadOptions,
  SubscribeOptions,
  VersionVector,
} from './types.ts';
import { checkEventInput, checkName, checkStream, LIMITS } from './validate.ts';
import { yieldToOthers } from './yield.ts';

export interface LogOptions {
  /** The replica id to write as; by default the store's own, created once and kept. */
  actor?: string;
  /** Per stream: 'keep-both' (default) records a stale write as concurrent; 'reject' refuses it. */
  policy?: (stream: string) => Policy;
  /** Wall clock in ms, for tests that make time jump. */
  now?: () => number;
  /**
   * Hears errors that stop nothing: a subscription's read that failed (tried
   * again at the next commit) or a subscriber's callback that threw.
   */
  onIgnoredError?: (error: unknown) => void;
}

export interface OpenLogOptions extends LogOptions {
  /** A fresh memory store by default. */
  store?: Store;
}

/**
 * Opens a log over `store`. openLog (./open-log.ts) is the same with a memory store
 * by default; this one leaves the memory store out of bundles that never use it.
 */
export async function openLogOn(
  store: Store,
  options: LogOptions = {},
): Promise<Log> {
  const actor = options.actor ?? (await ensureActor(store));
  checkName('actor', actor, LIMITS.actorLength);
  const log = new ForklineLog(
    store,
    actor,
    options.actor === undefined,
    options.policy ?? (() => 'keep-both'),
    options.now ?? Date.now,
    options.onIgnoredError ?? reportIgnored,
  );
  stores.set(log, store);
  return log;
}

const stores = new WeakMap<Log, Store>();

function reportIgnored(error: unknown): void {
  console.warn('forkline: ignored error', error);
}

/**
 * Subscribes to the records of a log this module opened, from a position on: what
 * the worker's subscriptions (a document's stream, with its facts) are made of.
 * @throws TypeError for any other object.
 */
export function subscribeRecords(
  log: Log,
  subscription: RecordSubscription,
): () => Promise<void> {
  return logOf(log).subscriptions.add(subscription);
}

/**
 * Tells a log's subscribers that something was committed by another writer over
 * its store (another tab, announced on a channel); its own commits wake them.
 * @throws TypeError for any other object.
 */
export function wakeSubscribers(log: Log): void {
  logOf(log).subscriptions.wake();
}

function logOf(log: Log): ForklineLog {
  if (!(log instanceof ForklineLog))
    throw new TypeError('not a log opened by openLog or openLogOn');
  return log;
}

/**
 * The store under a log this module opened: what projections kept beside the log
 * (a document's snapshot, src/doc) read and write their cached folds in (DESIGN §5).
 * @throws TypeError for any other object.
 */
export function storeOf(log: Log): Store {
  const store = stores.get(log);
  if (!store) throw new TypeError('not a log opened by openLog or openLogOn');
  return store;
}

async function ensureActor(store: Store): Promise<string> {
  return store.write(async (tx) => {
    const replica = await tx.replica();
    if (replica.actor) return replica.actor;
    const actor = randomActorId();
    tx.putReplica({ ...replica, actor });
    return actor;
  });
}

/** 96 random bits: replicas never share an id by accident. */
export function randomActorId(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(12)));
}

/** Events verified between two yields of the thread in a large ingest. */
const YIELD_EVERY = 2000;

const byCanonical = (a: DagNode, b: DagNode) =>
  compareCanonical(a.event, b.event);

class ForklineLog implements Log {
  private closed = false;
  /** The one-time build of an older store's conflict index, under way or done. */
  private conflictIndex: Promise<void> | undefined;
  readonly subscriptions: Subscriptions;

  constructor(
    private readonly store: Store,
    private currentActor: string,
    /** The actor is the store's replica id, shared by every log (tab) over the store. */
    private readonly followsStore: boolean,
    private readonly policyOf: (stream: string) => Policy,
    private readonly now: () => number,
    private readonly onIgnoredError: (error: unknown) => void,
  ) {
    this.subscriptions = new Subscriptions(onIgnoredError);
  }

  /** The replica id new events are written as; a fresh one after an actor fork. */
  get actor(): string {
    return this.currentActor;
  }

  /**
   * Appends events to one stream in one transaction (DESIGN §4). The first event's
   * parents are the expected heads; each further event's parent is the one before.
   * @throws InvalidEventError, UnknownEventError, StreamNotFoundError,
   *   WrongExpectedHeadsError (reject policy), LogClosedError; nothing is stored then.
   */
  async append(
    stream: string,
    events: EventInput | EventInput[],
    options: AppendOptions = {},
  ): Promise<AppendResult[]> {
    this.checkOpen();
    checkStream(stream);
    const inputs = Array.isArray(events) ? events : [events];
    if (inputs.length === 0)
      throw new InvalidEventError('events', 'the batch is empty');
    inputs.forEach(checkEventInput);
    const expected = normalizeExpected(options.expected ?? 'any');
    const policy = this.policyOf(stream);

    const results = await this.store.write((tx) =>
      appendInto(tx, {
        stream,
        inputs,
        expected,
        policy,
        actor: this.currentActor,
        followStore: this.followsStore,
        now: this.now(),
      }),
    );
    this.currentActor = results[0]!.event.actor;
    this.subscriptions.committed(
      results
        .filter((r) => r.status === 'stored')
        .map((r) => ({ event: r.event, pos: r.position })),
    );
    return results;
  }

  /**
   * Stores events from another replica after verifying each: shape, id recomputed,
   * parents in the same stream with smaller HLCs, the actor's seq chain dense. A batch
   * may arrive in any order as long as it is causally complete with what is stored.
   * An event stamped more than MAX_CLOCK_DRIFT ahead of this replica's clock is refused.
   * @throws InvalidEventError, IdMismatchError, ClockDriftError, MissingDependencyError,
   *   SeqConflictError; the whole batch is refused then.
   */
  async ingest(events: Iterable<LogEvent>): Promise<IngestResult> {
    this.checkOpen();
    const batch: LogEvent[] = [];
    const inBatch = new Set<EventId>();
    const limit = clockLimit(this.now());
    let index = 0;
    for (const candidate of events) {
      // Hashing is the costly part: a large import leaves the thread free now and then.
      if (index > 0 && index % YIELD_EVERY === 0) await yieldToOthers();
      const event = verifyIncoming(candidate, index, limit);
      const { id } = event;
      index++;
      if (!inBatch.has(id)) {
        inBatch.add(id);
        batch.push(event);
      }
    }
    const duplicatesInBatch = index - batch.length;
    if (batch.length === 0) return { stored: 0, duplicates: duplicatesInBatch };
    const reads = readsOf(batch);
    try {
      const result = await this.store.write(
        (tx) =>
          ingestInto(tx, batch, this.now(), this.currentActor, false, reads),
        reads,
      );
      if (result.stored > 0) this.subscriptions.wake();
      return {
        stored: result.stored,
        duplicates: result.duplicates + duplicatesInBatch,
      };
    } catch (error) {
      if (error instanceof ActorForkError) throw await this.forked(error);
      throw error;
    }
  }

  /**
   * Completes an actor fork found by ingest with the event held at its (actor, seq)
   * and, when the forked actor is this replica's own, moves this replica to a fresh
   * actor id (DESIGN §3), so its next events cannot collide with the impostor's.
   */
  private async forked(error: ActorForkError): Promise<ActorForkError> {
    const existing =
      error.existing ??
      (await this.store.actorEvent(error.actor, error.seq))?.event.id;
    let fresh: string | undefined;
    if (error.actor === this.currentActor) {
      fresh = randomActorId();
      if (this.followsStore) {
        const forkedActor = error.actor;
        fresh = await this.store.write(async (tx) => {
          const replica = await tx.replica();
          // Another tab over this store may have moved on already.
          if (replica.actor !== forkedActor) return replica.actor ?? fresh!;
          tx.putReplica({ ...replica, actor: fresh! });
          return fresh!;
        });
      }
      this.currentActor = fresh;
    }
    return new ActorForkError(
      error.id,
      error.actor,
      error.seq,
      existing,
      fresh,
    );
  }

  async get(id: EventId): Promise<LogEvent | undefined> {
    this.checkOpen();
    return (await this.store.event(id))?.event;
  }

  async heads(stream: string): Promise<EventId[]> {
    this.checkOpen();
    checkStream(stream);
    return (await this.store.stream(stream))?.heads ?? [];
  }

  /**
   * The stream in canonical order: by (hlc, id), which is topological because every
   * event's HLC exceeds its parents'. With `at`, only what those heads had seen.
   * @throws UnknownEventError when an `at` id is not in the stream.
   */
  async *read(
    stream: string,
    options: ReadOptions = {},
  ): AsyncIterable<LogEvent> {
    this.checkOpen();
    checkStream(stream);
    if (options.at === undefined) {
      for await (const record of this.store.streamEvents(stream))
        yield record.event;
      return;
    }
    const at = [...new Set(options.at)].sort();
    const current = (await this.store.stream(stream))?.heads ?? [];
    if (sameIds(at, current)) {
      for await (const record of this.store.streamEvents(stream))
        yield record.event;
      return;
    }
    const { last, missing } = await lastOfIds(this.store, at, stream);
    if (missing) throw new UnknownEventError(missing, stream);
    if (!last) return; // no heads: the stream before its first event
    // A parent sorts before its child, so everything the heads hold sorts up to the
    // last of them: read the stream in order up to there (a few segments, not an
    // event lookup per ancestor), then keep, walking back, what the heads reach.
    const before: LogEvent[] = [];
    for await (const record of this.store.streamEvents(stream)) {
      before.push(record.event);
      if (record.event.id === last.id) break;
    }
    const reached = new Set<EventId>(at);
    const held: LogEvent[] = [];
    for (let i = before.length - 1; i >= 0; i--) {
      const event = before[i]!;
      if (!reached.has(event.id)) continue;
      held.push(event);
      for (const parent of event.parents) reached.add(parent);
    }
    for (let i = held.length - 1; i >= 0; i--) yield held[i]!;
  }

  /** What a peer holding `vector` lacks, in arrival order here (which is causal). */
  async *since(vector: VersionVector): AsyncIterable<LogEvent> {
    this.checkOpen();
    const from = await firstLacking(this.store, vector);
    if (from === undefined) return;
    // A page at a time: a step of the store's iteration per event was a tenth of
    // a replica's pulls.
    for await (const page of eventPages(this.store, from))
      for (const { event } of page)
        if (event.seq > seqIn(vector, event.actor)) yield event;
  }

  async versionVector(): Promise<VersionVector> {
    this.checkOpen();
    return this.store.versionVector();
  }

  /**
   * Folds the stream in canonical order. At the current heads, a projection with
   * `snapshot` starts from its latest snapshot.
   */
  async fold<S>(
    stream: string,
    projection: Projection<S>,
    options: ReadOptions = {},
  ): Promise<S> {
    this.checkOpen();
    checkStream(stream);
    if (options.at === undefined && projection.snapshot) {
      const withSnapshot = { ...projection, snapshot: projection.snapshot };
      return foldFromSnapshot(this.store, stream, withSnapshot, this.now());
    }
    let state = projection.initial();
    for await (const event of this.read(stream, options))
      state = projection.evolve(state, event);
    return state;
  }

  async streams(prefix = ''): Promise<string[]> {
    this.checkOpen();
    return this.store.streamNames(prefix);
  }

  /** @throws UnknownEventError when an id is not stored. */
  async forkPoint(ids: EventId[]): Promise<EventId[]> {
    this.checkOpen();
    for (const id of ids) {
      const record = await this.store.event(id);
      if (!record) throw new UnknownEventError(id, '(any)');
    }
    const fork = await forkOf(lookupIn(this.store), [...new Set(ids)]);
    return fork.forkPoint.sort(byCanonical).map((n) => n.event.id);
  }

  async conflicts(stream: string): Promise<Conflict[]> {
    this.checkOpen();
    checkStream(stream);
    await (this.conflictIndex ??= buildConflictIndex(this.store).catch(
      (error: unknown) => {
        this.conflictIndex = undefined;
        throw error;
      },
    ));
    // Heads before the index: a merge landing in between then shows as both the
    // unresolved conflict it was and the resolved one it is, never as neither.
    const heads = (await this.store.stream(stream))?.heads ?? [];
    const index = await this.store.conflicts(stream);
    return streamConflicts(stream, heads, index, lookupIn(this.store));
  }

  export(): AsyncIterable<string> {
    this.checkOpen();
    return linesOf(this.exportBytes());
  }

  exportBytes(): AsyncIterable<Uint8Array> {
    this.checkOpen();
    return (
      this.store.eventLineBytes?.(1, DEFAULT_SOURCE) ??
      exportLineBytes(this.store.eventsFrom(1))
    );
  }

  /**
   * Imports JSON Lines (DESIGN §8): every line checked first, then all stored in one
   * transaction or none. Lines that can be read twice (`RereadableLines`, as a file
   * in the worker) are streamed through it: memory holds a chunk of events at a
   * time. `onSaved` hears how many events are stored, after each chunk.
   * @throws ImportError naming the line and the reason.
   */
  async import(
    lines: ImportSource,
    onSaved?: (done: number, total: number) => void,
  ): Promise<ImportResult> {
    this.checkOpen();
    try {
      return await importInto(this.store, lines, {
        now: this.now(),
        self: this.currentActor,
        forked: (error) => this.forked(error),
        ...(onSaved ? { onSaved } : {}),
      });
    } finally {
      this.subscriptions.wake();
    }
  }

  async project<S>(
    name: string,
    projection: Projection<S>,
    options: ProjectOptions = {},
  ): Promise<ProjectionHandle<S>> {
    this.checkOpen();
    if (typeof name !== 'string' || name.length === 0 || name.length > 256)
      throw new InvalidQueryError(
        'name',
        'must be a string of 1 to 256 characters',
      );
    if (
      typeof projection?.initial !== 'function' ||
      typeof projection.evolve !== 'function'
    )
      throw new InvalidQueryError(
        'projection',
        'must have initial() and evolve()',
      );
    const filter = checkEventFilter(options, ['streams']);
    return openProjection(
      {
        store: this.store,
        subscribe: (subscription) => this.subscriptions.add(subscription),
        now: this.now,
        onError: this.onIgnoredError,
      },
      name,
      projection,
      filter,
    );
  }

  query(filter: EventFilter, page?: QueryPage): Promise<QueryResult> {
    this.checkOpen();
    return queryEvents(this.store, filter, page);
  }

  async subscribe(
    options: SubscribeOptions,
    onEvents: (events: LogEvent[]) => void,
    onCaughtUp?: () => void,
  ): Promise<() => Promise<void>> {
    this.checkOpen();
    if (typeof options !== 'object' || options === null)
      throw new InvalidQueryError('options', 'must be an object');
    const from = checkFrom(options.from);
    const filter = checkEventFilter(options, ['streams', 'types']);
    const wanted = matcherOf(filter);
    const { lastPos } = await this.store.replica();
    // From a vector: the first event it lacks on; events it holds are passed over.
    const first =
      from === 'now' ? undefined : await firstLacking(this.store, from);
    const accept =
      from === 'now'
        ? (r: Stored) => wanted(r.event)
        : (r: Stored) =>
            r.event.seq > seqIn(from, r.event.actor) && wanted(r.event);
    return this.subscriptions.add({
      after: first === undefined ? lastPos : first - 1,
      read: logPagesAfter(this.store, filter),
      accept,
      deliver: (records) => onEvents(records.map((r) => r.event)),
      ...(onCaughtUp ? { caughtUp: onCaughtUp } : {}),
    });
  }

  async verify(): Promise<VerifyReport> {
    this.checkOpen();
    return verifyStore(this.store);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.subscriptions.close();
    await this.store.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new LogClosedError();
  }
}
