// The contract between a page and its log worker. Pages import this file with
// `import type` only; everything crossing it is structured-cloneable, and callbacks
// cross as Comlink proxies.
import type { ConflictChanges } from '../src/doc/conflict-changes.ts';
import type { Progress } from './log-files.ts';
import type { SyncState } from '../src/sync/relay-client.ts';
import type {
  VerifyReport,
  ImportResult,
  DocumentView,
  Json,
  AppendOptions,
  AppendResult,
  Conflict,
  EventId,
  EventInput,
  IngestResult,
  LogEvent,
  VersionVector,
} from '../src/index.ts';

export interface OpenOptions {
  /** IndexedDB database name; tabs of one origin share the default. */
  database?: string;
  /** Write as this replica id instead of the profile's persisted one (tests). */
  actor?: string;
  /** Streams under these prefixes refuse stale writes (default ['ledger/']). */
  rejectPrefixes?: string[];
  /** Recorded on every event this tab writes (e.g. "Tab 2"). */
  author?: string;
  /**
   * A Web Lock the worker holds for its whole life: the page waits on it to learn
   * that the worker died (a worker cannot announce its own death).
   */
  lifeLock?: string;
}

export interface DocumentSummary {
  docId: string;
  /** Live title values: several while a concurrent rename is unresolved. */
  title: string[];
  deleted: boolean;
}

/** What a page needs to start editing: the Yjs state, and where live delivery resumes. */
export interface DocumentSnapshot {
  docId: string;
  stream: string;
  /** Y.encodeStateAsUpdate of the document at `heads`. */
  state: Uint8Array;
  /** The same text as a string: to show before a Y.Doc has taken `state` in. */
  text: string;
  heads: EventId[];
  /** Subscribe from here; skip the ids in `included`, already in `state`. */
  position: number;
  included: EventId[];
}

/** One event of a document's history, as the timeline draws it. */
export interface HistoryEntry {
  id: EventId;
  parents: EventId[];
  type: string;
  author: string;
  time: string;
  hlc: string;
}

export interface DocumentService {
  listDocuments(): Promise<DocumentSummary[]>;
  /** Creates a document with a title; resolves to its id. */
  createDocument(title: string): Promise<string>;
  /**
   * `onText` hears the text as soon as it is known (from the snapshot, before its Yjs
   * state is read), so that a page can show it at once.
   */
  documentSnapshot(
    docId: string,
    onText?: (text: string) => void,
  ): Promise<DocumentSnapshot>;
  /** Text, fields, conflicts (and deletion) at the current heads or at `at`. */
  documentView(docId: string, at?: EventId[]): Promise<DocumentView>;
  /**
   * What each writer changed in the text from `forkPoint` to `mergedAt` (the current
   * heads when omitted), and all of it merged: a conflict's sides.
   */
  conflictChanges(
    docId: string,
    forkPoint: EventId[],
    mergedAt?: EventId[],
  ): Promise<ConflictChanges>;
  /** Appends a Yjs update the page made against the document at `expected`. */
  appendTextUpdate(
    docId: string,
    update: Uint8Array,
    expected: EventId[],
  ): Promise<AppendResult>;
  setDocumentField(
    docId: string,
    name: string,
    value: Json,
    at?: EventId[],
  ): Promise<AppendResult>;
  restoreDocument(docId: string, at: EventId[]): Promise<AppendResult>;
  deleteDocument(docId: string): Promise<AppendResult>;
  undeleteDocument(docId: string): Promise<AppendResult>;
  /** Every event of the document in canonical order. */
  documentHistory(docId: string): Promise<HistoryEntry[]>;
}

export interface Opened {
  database: string;
  actor: string;
}

/** An event as delivered to a subscriber, with its position on this replica. */
export interface Delivery {
  event: LogEvent;
  position: number;
}

export type { Progress } from './log-files.ts';
export type { SyncState } from '../src/sync/relay-client.ts';

/** Where a profile syncs: the relay's WebSocket URL, the log on it, and its secret token. */
export interface RelayConfig {
  url: string;
  logId: string;
  token: string;
}

/** Something the user must hear about: the connection is gone and why. */
export type WorkerNotice =
  | { kind: 'version-change'; message: string }
  | { kind: 'connection-lost'; message: string };

export interface StorageInfo {
  usage: number | undefined;
  quota: number | undefined;
  persisted: boolean;
}

export interface LogService extends DocumentService {
  /** Opens the database; every other call waits for it. Idempotent. */
  open(options?: OpenOptions): Promise<Opened>;
  append(
    stream: string,
    events: EventInput | EventInput[],
    options?: AppendOptions,
  ): Promise<AppendResult[]>;
  ingest(events: LogEvent[]): Promise<IngestResult>;
  heads(stream: string): Promise<EventId[]>;
  /** The stream in canonical order, optionally as `at` heads saw it. */
  readStream(stream: string, at?: EventId[]): Promise<LogEvent[]>;
  versionVector(): Promise<VersionVector>;
  /** Events a replica at `vector` lacks, in causal order (for sync). */
  since(vector: VersionVector): Promise<LogEvent[]>;
  /** Position of the last stored event: subscribe from here to get only what comes next. */
  position(): Promise<number>;
  conflicts(stream: string): Promise<Conflict[]>;
  /** Events of `stream` stored after `position`, in position order. */
  readAfter(stream: string, position: number): Promise<Delivery[]>;
  /**
   * Delivers every event of `stream` (all streams when null) stored after
   * `fromPosition`, then each new one as any tab commits it: in position order,
   * with no gap and no duplicate. Resolves to an id for `unsubscribe`.
   */
  subscribe(
    stream: string | null,
    fromPosition: number,
    onEvents: (batch: Delivery[]) => void,
  ): Promise<number>;
  unsubscribe(id: number): Promise<void>;
  /** Syncs this profile's log with a relay until disconnected; call from one tab only. */
  connectRelay(
    config: RelayConfig,
    onState: (state: SyncState) => void,
  ): Promise<void>;
  disconnectRelay(): Promise<void>;
  /** Recomputes every id and checks every parent, seq chain and head. */
  verifyLog(): Promise<VerifyReport>;
  /** Registers for notices (schema upgrade elsewhere, lost connection). */
  watch(onNotice: (notice: WorkerNotice) => void): Promise<void>;
  /** Answers at once, database or not: the page's sign that this worker still runs. */
  ping(): Promise<void>;
  storage(): Promise<StorageInfo>;
  /** The whole log as CloudEvents JSON Lines (DESIGN §8). */
  exportLog(onProgress: (progress: Progress) => void): Promise<Blob>;
  /** Checks every line, then stores all of it in one transaction or nothing. */
  importLog(
    file: Blob,
    onProgress: (progress: Progress) => void,
  ): Promise<ImportResult>;
  close(): Promise<void>;
}
