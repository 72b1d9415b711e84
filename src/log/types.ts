import type { RereadableLines } from './import.ts';
import type { EventFilter } from './event-filter.ts';
import type { VerifyReport } from './verify.ts';

export type { EventFilter };

/** A JSON value as it survives `JSON.parse(JSON.stringify(x))` unchanged. */
export type Json =
  null | boolean | number | string | Json[] | { [key: string]: Json };

/** The content address of an event: see docs/event-encoding.md. */
export type EventId = string;

/** One immutable entry of the log (DESIGN §1). Every field is covered by `id`. */
export interface LogEvent<D = Json | Uint8Array> {
  id: EventId;
  stream: string;
  type: string;
  data: D;
  /** Sorted ids of the stream's heads the writer had seen; [] for a first event. */
  parents: EventId[];
  actor: string;
  /** 1, 2, 3 … dense per actor, across all streams. */
  seq: number;
  /** Hybrid logical clock: fixed width, sorts as a string, greater than every parent's. */
  hlc: string;
  /** RFC 3339 wall-clock time at the writer. */
  time: string;
  author?: string;
}

/** What a writer supplies; the log fills in the rest. */
export interface EventInput {
  type: string;
  data: Json | Uint8Array;
  author?: string;
  time?: string;
}

/** The writer's view for optimistic concurrency (DESIGN §4). */
export type Expected = EventId[] | 'any' | 'no-stream' | 'stream-exists';

/** How a stream treats a writer whose expected heads are stale. */
export type Policy = 'keep-both' | 'reject';

export interface AppendOptions {
  expected?: Expected;
}

export interface AppendResult {
  event: LogEvent;
  status: 'stored' | 'duplicate';
  /** Arrival index on this replica. */
  position: number;
  /** Stored events of the stream this event did not see, in canonical order. */
  concurrent: EventId[];
}

export interface IngestResult {
  stored: number;
  duplicates: number;
}

export interface ImportResult {
  lines: number;
  stored: number;
  /** Lines that stored nothing: their event was here, or came earlier in the file. */
  duplicates: number;
  /** Of those, the lines whose event an earlier line of the file holds. */
  repeated: number;
}

/** A decider-style fold: `evolve` is applied to every event in canonical order. */
export interface Projection<S> {
  initial: () => S;
  evolve(state: S, event: LogEvent): S;
  /** Opt in to snapshots, so folding a long stream costs only the events since the last one. */
  snapshot?: SnapshotOptions<S>;
}

export interface SnapshotOptions<S> {
  /**
   * Names the state's format; change it when the format changes. `fold` keeps a
   * snapshot per stream under this name (so it names the projection too); `project`
   * keeps one checkpoint per projection name, and one of another format is not read
   * but replaced.
   */
  name: string;
  /** Save a new snapshot once this many events were folded past the last (default 500). */
  every?: number;
  /** To and from a structured-cloneable value (default: the state itself). */
  encode?(state: S): unknown;
  decode?(stored: unknown): S;
}

export interface Conflict {
  stream: string;
  kind: string;
  /** The concurrent events, in canonical order. */
  events: EventId[];
  /** Latest common ancestors of the concurrent events ([] when they share none). */
  forkPoint: EventId[];
  state: 'unresolved' | 'auto-merged' | 'resolved';
  resolvedBy?: EventId;
}

export type VersionVector = Record<string, number>;

export interface ReadOptions {
  /** Fold or read the stream as a writer with these heads saw it. */
  at?: EventId[];
}

/** The public face of a replica's log (DESIGN §11). */
export interface Log {
  readonly actor: string;
  append(
    stream: string,
    events: EventInput | EventInput[],
    options?: AppendOptions,
  ): Promise<AppendResult[]>;
  ingest(events: Iterable<LogEvent>): Promise<IngestResult>;
  get(id: EventId): Promise<LogEvent | undefined>;
  heads(stream: string): Promise<EventId[]>;
  read(stream: string, options?: ReadOptions): AsyncIterable<LogEvent>;
  since(vector: VersionVector): AsyncIterable<LogEvent>;
  versionVector(): Promise<VersionVector>;
  /** Streams whose name starts with `prefix` (all when omitted), sorted. */
  streams(prefix?: string): Promise<string[]>;
  /** Latest common ancestors of events of one stream: where they forked. */
  forkPoint(ids: EventId[]): Promise<EventId[]>;
  fold<S>(
    stream: string,
    projection: Projection<S>,
    options?: ReadOptions,
  ): Promise<S>;
  conflicts(stream: string): Promise<Conflict[]>;
  export(): AsyncIterable<string>;
  /** The same JSON Lines as UTF-8, each chunk a run of whole lines: no string per line. */
  exportBytes(): AsyncIterable<Uint8Array>;
  /**
   * JSON Lines (§8). Lines that can be read twice (`RereadableLines`) stream through
   * in chunks; `onSaved` hears the events stored so far after each.
   */
  import(
    lines: AsyncIterable<string> | Iterable<string> | RereadableLines,
    onSaved?: (done: number, total: number) => void,
  ): Promise<ImportResult>;
  /** Recomputes every id and checks every parent, seq chain and head. */
  verify(): Promise<VerifyReport>;
  /**
   * Delivers, in this replica's arrival order (which is causal), every event stored
   * that `from` does not cover and that passes the filter: first those already
   * stored (then `onCaughtUp`, once), then each as it is stored, with no gap and no
   * duplicate. Resolves to a function that stops the subscription.
   * @throws InvalidQueryError for an option it cannot use.
   */
  subscribe(
    options: SubscribeOptions,
    onEvents: (events: LogEvent[]) => void,
    onCaughtUp?: () => void,
  ): Promise<() => Promise<void>>;
  /**
   * The events that pass `filter`, in this replica's arrival order, a page at a
   * time: `next` (present while more may follow) is the `after` of the next page.
   * @throws InvalidQueryError for a filter, limit or cursor it cannot use.
   */
  query(filter: EventFilter, page?: QueryPage): Promise<QueryResult>;
  /**
   * A projection the log keeps current: the fold, in canonical order, of every
   * event of `streams` (a prefix; all when omitted), caught up when this resolves
   * and then as events are stored. Checkpointed under `name` every `every` events
   * (`projection.snapshot`, default 500), so reopening folds what came since.
   * @throws InvalidQueryError for a name or option it cannot use.
   */
  project<S>(
    name: string,
    projection: Projection<S>,
    options?: ProjectOptions,
  ): Promise<ProjectionHandle<S>>;
  close(): Promise<void>;
}

export interface ProjectOptions {
  /** Only streams whose name starts with this. */
  streams?: string;
}

export interface ProjectionHandle<S> {
  /** The fold of every event of its streams the log has stored, as of `vector`. */
  readonly state: S;
  /** The log's events it has taken in (of every stream), per actor. */
  readonly vector: VersionVector;
  /** How much folding it did: in order, and again after an early-sorting arrival. */
  readonly stats: ProjectionStats;
  /** Hears the new state after each change; returns a function to stop hearing. */
  onChange(listener: (state: S) => void): () => void;
  /** Stops following the log and saves a checkpoint of what it folded. */
  close(): Promise<void>;
}

export interface ProjectionStats {
  /** Events folded into the current state. */
  folded: number;
  /** Times an arrival sorted before what was folded, so the fold was made again. */
  refolds: number;
  /** Events folded again over all refolds. */
  refolded: number;
}

/** A page of a query: at most `limit` events (1 to 1000, default 100) after the cursor `after`. */
export interface QueryPage {
  limit?: number;
  /** Where the last page ended (its `next`): this page goes on from there. */
  after?: string;
  /**
   * `arrival` (the default): the order events were stored in here. `newest`: the
   * other way, from the last stored when the first page is read; events stored
   * since then come in no later page.
   */
  order?: 'arrival' | 'newest';
}

export interface QueryResult {
  events: LogEvent[];
  next?: string;
}

export interface SubscribeOptions {
  /** What the subscriber holds already: a version vector, or 'now' for everything stored. */
  from: VersionVector | 'now';
  /** Only streams whose name starts with this. */
  streams?: string;
  /** Only events of these types. */
  types?: string[];
}
