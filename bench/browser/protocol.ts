// The contract between the Node harness, the bench page and the page's baseline
// worker. Both sides import it with `import type` only; everything crossing it is
// structured-cloneable.
import type { EventRecord, LogEvent } from '../../src/index.ts';

/** What a bench event's data looks like: ~100 bytes of JSON. A type, not an
 * interface, so that it is assignable to the log's `Json`. */
export type BenchData = { n: number; text: string };

/** `total` events in consecutive batches of `batch`, timed together. */
export interface BatchSize {
  batch: number;
  total: number;
}

/** One writer, one new database, each size timed in turn on its own stream. */
export interface BatchRun {
  /** A database name nobody used: created for the run and deleted after it. */
  database: string;
  sizes: BatchSize[];
}

/** One timed writer of `count` single events, one after another. */
export interface SingleRun {
  database: string;
  count: number;
}

/**
 * What a raw idb baseline puts: the bench events (`data`), or records as the log
 * stores them (`stored`), or those into a store with the log's key and indexes
 * (`indexed`).
 */
export type IdbRecords = 'data' | 'stored' | 'indexed';

/** Latencies in ms, in the order they were taken. */
export type Latencies = number[];

/** The log that export and import runs start from, appended once. */
export interface SourceLog {
  /** A database name nobody used: deleted by closeSourceLog. */
  database: string;
  events: number;
  /** Events per append. */
  batch: number;
  /** Batches go to this many streams in turn. */
  streams: number;
}

/** A timed run that produced text: ms, and bytes of the text. */
export interface SizedRun {
  ms: number;
  bytes: number;
}

/**
 * An import into a new database of the JSON Lines export the harness set on the
 * page's file input (`#bench-file`), and how many events it holds.
 */
export interface StorageRun {
  database: string;
  events: number;
}

/** A hot tail to write: `events` bench events to `stream`, `batch` per append, all hot. */
export interface HotTail {
  /** A database name nobody used. */
  database: string;
  stream: string;
  events: number;
  /** Events per append: one transaction each, none written as a segment. */
  batch: number;
}

/** One `store.compact()` of a hot tail: ms, and how many events it packed. */
export interface CompactionRun {
  ms: number;
  packed: number;
}

/** Single appends through a log worker opened on a database with a hot tail. */
export interface TypingRun {
  /** Holds the hot tail (`fillHotTail`); deleted after the run. */
  database: string;
  /** The hot tail's stream: the run types until none of it is hot. */
  hotStream: string;
  /** Where the single appends go. */
  typingStream: string;
  /** Between one append's resolution and the next append. */
  intervalMs: number;
}

/** Latencies while the worker's compactor packed the hot tail, and after. */
export interface TypingDuringCompaction {
  during: Latencies;
  idle: Latencies;
  /** From starting the worker to seeing no hot event of the tail's stream. */
  compactionMs: number;
}

/** The origin's IndexedDB usage in bytes, as the browser reports it, at each step. */
export interface StorageUsage {
  before: number;
  /** The new database open, schema made, no events. */
  empty: number;
  imported: number;
  /**
   * After the log worker's compactor packed what the import left hot, and the
   * database was reopened after the browser closed its LevelDB: fresh writes
   * compacted into tables.
   */
  atRest: number;
  /** Events the import left hot, which the compactor then packed. */
  hotAfterImport: number;
  /** ms from the import's end until no event was hot. */
  packedMs: number;
}

/**
 * The page's `bench` global, called by the harness through page.evaluate. The
 * forkline functions go through the real log worker (src/ui/log-client.ts); the
 * idb ones through a worker doing raw `idb` puts, so both pay the same hop.
 */
/** A catch-up of `events` keystrokes by another writer into a text of `length`, `runs` times. */
export interface CatchUpRun {
  events: number;
  length: number;
  runs: number;
}

/** ms per run: the editor's LiveDocument taking the catch-up, and a bare Y.Doc. */
export interface CatchUpTimes {
  forkline: number[];
  /** The longest of the LiveDocument's pages (a task each in the app). */
  longest: number[];
  yjs: number[];
}

export interface BenchPage {
  /** Per size, ms from its first append call to its last one's resolution. */
  appendBatches(run: BatchRun): Promise<number[]>;
  /**
   * The same with raw idb puts: of the bench events themselves (`data`), or of the
   * records the log stores for them (`stored`, the same size), staged untimed.
   */
  idbPutBatches(run: BatchRun, records: IdbRecords): Promise<number[]>;
  appendSingles(run: SingleRun): Promise<Latencies>;
  idbPutSingles(run: SingleRun, records: IdbRecords): Promise<Latencies>;

  /** Starts this tab's log worker on `database`; resolves once it is open. */
  openTab(database: string): Promise<void>;
  /** Closes this tab's log worker (its database stays). */
  closeTab(): Promise<void>;
  /** Subscribes to `stream` from its end and acknowledges each event on `ackChannel`. */
  acknowledgeAppends(stream: string, ackChannel: string): Promise<void>;
  /** Appends `count` events one at a time, each after the previous one's ack: ms to delivery. */
  timeAppendsToTab(
    stream: string,
    ackChannel: string,
    count: number,
  ): Promise<Latencies>;
  /** Echoes every message of `channel` as an ack on `ackChannel`. */
  acknowledgeBroadcasts(channel: string, ackChannel: string): Promise<void>;
  /** Posts `count` messages one at a time, each after the previous one's ack: ms to onmessage. */
  timeBroadcastHops(
    channel: string,
    ackChannel: string,
    count: number,
  ): Promise<Latencies>;
  /** Stops acknowledging (both kinds). */
  stopAcknowledging(): void;

  /** Appends the source log through a log worker kept open; resolves to the ms it took. */
  buildSourceLog(spec: SourceLog): Promise<number>;
  /** Closes the source log's worker and deletes its database. */
  closeSourceLog(): Promise<void>;
  /** `service.exportLog` of the source log to a Blob; keeps the Blob for imports. */
  timeExport(): Promise<SizedRun>;
  /** JSON.stringify of the source's events as the CloudEvents objects the export writes. */
  timeStringify(): Promise<SizedRun>;
  /** ms of `service.importLog` of the latest export into `database` by a second worker, then checked and deleted. */
  timeImport(database: string): Promise<number>;
  /** ms of raw idb puts of the source's events into `database`, one transaction. */
  timeIdbImport(database: string): Promise<number>;
  /** Imports the export on the file input into a new database and reads the usage, then at rest; the database stays. */
  measureImportedStorage(run: StorageRun): Promise<StorageUsage>;

  /** An open document's editor taking another writer's catch-up, and Yjs alone. */
  timeCatchUp(run: CatchUpRun): Promise<CatchUpTimes>;

  /** Appends a hot tail with background compaction off; resolves to the ms it took. */
  fillHotTail(tail: HotTail): Promise<number>;
  /** `store.compact()` of that hot tail, timed; the database is deleted after. */
  timeCompaction(tail: HotTail): Promise<CompactionRun>;
  /** Single appends through a log worker while its compactor packs the hot tail; then deleted. */
  typeDuringCompaction(run: TypingRun): Promise<TypingDuringCompaction>;

  /** Deletes a database this page's workers have closed. */
  deleteDatabase(database: string): Promise<void>;
  /** Whether the page counts as visible (hidden tabs get throttled timers). */
  visibility(): DocumentVisibilityState;
}

/** The baseline worker: raw `idb` puts, one transaction per call. */
export interface IdbPutService {
  /** With `indexed`, the store has the log's key path and indexes; else none, auto-increment keys. */
  open(database: string, indexed: boolean): Promise<void>;
  /** Puts every record in one readwrite transaction; resolves on `tx.done`. */
  put(records: { type: string; data: BenchData }[]): Promise<void>;
  /** Keeps records in the worker for putStaged, so a timed put leaves the copy out. */
  stage(records: LogEvent[]): Promise<void>;
  /** Puts the staged records as `put` does, and forgets them. */
  putStaged(): Promise<void>;
  /** Keeps batches of stored-shape records for putStagedBatch. */
  stageBatches(batches: EventRecord[][]): Promise<void>;
  /** Puts staged batch `index` in one transaction, as `put` does. */
  putStagedBatch(index: number): Promise<void>;
  close(): Promise<void>;
}

/** An acknowledgement: which message arrived, and when, on the shared clock. */
export interface Ack {
  n: number;
  at: number;
}
