// The log part of the page–worker contract (see ./index.ts): the log itself,
// subscriptions, the worker's life.
import type {
  AppendOptions,
  AppendResult,
  Conflict,
  EventId,
  EventInput,
  IngestResult,
  LogEvent,
  SubscribeOptions as LogSubscribeOptions,
  VersionVector,
} from '../log/types.ts';
import type { VerifyReport } from '../log/verify.ts';
import type { UnreadableChange } from '../doc/unreadable.ts';
import type { DocumentFacts } from './documents.ts';

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

export interface Opened {
  database: string;
  actor: string;
}

export interface SubscribeOptions {
  /**
   * The document (by id) whose stream this is: a batch that may have changed more
   * than its text (a field, a deletion, a fork or a merge) comes with the
   * document's facts after it, and the first batch always does: what changed is
   * pushed, and a page asks for the document only when it opens it (or its worker
   * was replaced).
   */
  document?: string;
  /**
   * Only events of these types are sent; the worker passes over the rest (and a
   * store may skip them unread). A page that lists documents hears of renames and
   * deletions, not of every keystroke typed in every tab.
   */
  types?: string[];
  /**
   * With `types`: also every event of a document deleted when the list was last
   * read. Edits another device made to it meanwhile put its deletion in question
   * (DocumentSummary `deletionContested`), and the list hears of no other text.
   */
  deletedDocuments?: boolean;
}

/** An event as delivered to a subscriber, with its position on this replica. */
export interface Delivery {
  event: LogEvent;
  position: number;
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

export interface LogCore {
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
    onEvents: (batch: Delivery[], facts?: DocumentFacts) => void,
    options?: SubscribeOptions,
  ): Promise<number>;
  unsubscribe(id: number): Promise<void>;
  /**
   * log.subscribe through the worker (DESIGN §11): every event `options.from` does
   * not cover that passes the filter, then `onCaughtUp` once, then each as any tab
   * stores it. Resolves to an id for `unsubscribe`.
   * @throws InvalidQueryError for an option it cannot use.
   */
  subscribeLog(
    options: LogSubscribeOptions,
    onEvents: (events: LogEvent[]) => void,
    onCaughtUp?: () => void,
  ): Promise<number>;
  /**
   * Recomputes every id and checks every parent, seq chain and head; and names the
   * document changes that do not read, which the log's rules cannot see and the
   * documents fold as nothing or in part (`unreadable`: how many, the first few).
   */
  verifyLog(): Promise<
    VerifyReport & {
      unreadable: { count: number; first: UnreadableChange[] };
    }
  >;
  /** Registers for notices (schema upgrade elsewhere, lost connection). */
  watch(onNotice: (notice: WorkerNotice) => void): Promise<void>;
  /** Answers at once, database or not: the page's sign that this worker still runs. */
  ping(): Promise<void>;
  storage(): Promise<StorageInfo>;
  close(): Promise<void>;
}
