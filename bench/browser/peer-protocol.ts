// The contract between the Node harness and the peer page (peer-page.html), built
// for production with the app. Both sides import it with `import type` only.
import type { Latencies } from './protocol.ts';

/** Where one edit history is stored, once per store. */
export interface HistorySpec {
  edits: number;
  seed: number;
  /** The forkline database (the app's own, for the paint figure). */
  database: string;
  /** y-indexeddb's document name (its database). */
  yjsName: string;
  /** automerge-repo's IndexedDB storage database. */
  automergeDatabase: string;
}

export interface StoredHistory {
  /** The forkline document. */
  docId: string;
  automergeUrl: string;
  /** The text after every edit, as a Y.Doc applying them made it. */
  text: string;
  /** ms each step took (not part of any figure). */
  ms: {
    generate: number;
    forkline: number;
    yIndexeddb: number;
    automerge: number;
  };
  /** Records y-indexeddb keeps after its provider's trim. */
  yIndexeddbRecords: number;
}

/** A cold open: ms from starting to the text being available, and the text. */
export interface OpenedText {
  ms: number;
  text: string;
  /** Forkline: ms until a Y.Doc holds the text too (it can be edited). */
  editableMs?: number;
  /**
   * Where forkline's time went, ms: starting the worker, until documentSnapshot's
   * text, until its answer (the Yjs state read), the page's Y.Doc.
   */
  steps?: { worker: number; text: number; state: number; yjs: number };
}

/**
 * What syncs the two tabs of a keystroke run; `broadcastchannel` is the floor: the raw
 * text posted. `yjs-codemirror` is Yjs over a BroadcastChannel shown in CodeMirror
 * (y-codemirror.next), the editor the app uses, where `yjs-broadcastchannel` shows a
 * textarea.
 */
export type KeystrokePeer =
  | 'yjs-broadcastchannel'
  | 'yjs-codemirror'
  | 'automerge-repo'
  | 'broadcastchannel';

/** The insights figures' inputs: the app's database, after the log was imported into it. */
export interface InsightsSpec {
  database: string;
  /** The figures that only read, or those that write (bench/browser/insights-runs.ts). */
  phase: 'reads' | 'writes';
  /** The document with the most events (the reads tell): its authorship is timed. */
  longestDocId?: string;
  /** A document edited to time appends (one with few events of its own). */
  quietDocId: string;
  /** Edits appended for the per-event figure, with and without a live projection. */
  appendEvents: number;
  /** Edits appended after a checkpoint, for the reopen figure. */
  reopenEvents: number;
}

/** ms, unless said otherwise (bench/browser/insights-runs.ts). */
export interface InsightsFigures {
  events: number;
  /** Every event read once. */
  read: number;
  /** Every document event read once in pages, as a projection reads them. */
  pagesRead: number;
  /** The first computation of the whole log's insights, and a second one. */
  full: number;
  again: number;
  /** Worker time per event a live insights projection adds to appending, and appending's own. */
  perEvent: number;
  appendPerEvent: number;
  /** The insights asked for again after those appends. */
  refresh: number;
  /** Reopening the projection from its checkpoint, and folding the events since it alone. */
  reopen: number;
  foldSince: number;
  reopenEvents: number;
  /** The longest document: its authorship index from nothing, then its attributed text. */
  authorshipIndex: number;
  authorship: number;
  characters: number;
  conflicts: number;
  longestDocId?: string;
  /** The first computation's folding: in order, refolds, events folded again. */
  stats: { folded: number; refolds: number; refolded: number };
}

export interface PeerPage {
  /** Packs what the app's worker left unpacked in the database; resolves to how many events. */
  compactDatabase(database: string): Promise<number>;
  /** The insights, projection and authorship figures over the app's imported log. */
  insightsRuns(spec: InsightsSpec): Promise<Partial<InsightsFigures>>;
  /** Stores `spec.edits` typing edits in forkline, y-indexeddb and automerge-repo (not timed). */
  storeHistory(spec: HistorySpec): Promise<StoredHistory>;
  /** startLogWorker + documentSnapshot (its text), then a new Y.Doc of its state. */
  openForkline(database: string, docId: string): Promise<OpenedText>;
  /** new Y.Doc + IndexeddbPersistence, until whenSynced. */
  openYIndexeddb(name: string): Promise<OpenedText>;
  /** new Repo with IndexedDB storage, until repo.find's handle has the doc. */
  openAutomergeRepo(database: string, url: string): Promise<OpenedText>;
  /** Deletes databases no page of this profile holds open any more. */
  deleteDatabases(names: string[]): Promise<void>;

  /**
   * Shows a textarea labelled "Document text" bound to a document of `peer`, synced
   * with the other tabs. Resolves to the automerge URL to pass to the second tab
   * (undefined for Yjs, whose tabs find each other on the channel). `text` (Yjs
   * only): the text both tabs start from, as one writer's insert.
   */
  bindTextarea(
    peer: KeystrokePeer,
    options: { channel: string; database: string; url?: string; text?: string },
  ): Promise<string | undefined>;
  /** Stops syncing and closes the peer's document (its database stays). */
  unbindTextarea(): Promise<void>;
}

export type { Latencies };
