// The documents part of the page–worker contract (see ./index.ts).
import type { AuthorshipAnswer } from '../doc/authorship-blocks.ts';
import type { ConflictChanges } from '../doc/conflict-changes.ts';
import type { DocumentView } from '../doc/document.ts';
import type { HistoryJump, HistoryPage } from '../doc/history-index.ts';
import type { AppendResult, EventId, Json } from '../log/types.ts';

export interface DocumentSummary {
  docId: string;
  /** Live title values: several while a concurrent rename is unresolved. */
  title: string[];
  deleted: boolean;
  /**
   * Deleted, and the deletion is in question: by a writer who had not seen edits
   * made to it meanwhile (another device typed in it offline), or at once with
   * another writer bringing it back; nobody has restored it or deleted it again
   * since.
   */
  deletionContested: boolean;
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
  /** Whose events write under each Yjs client id of `state` (ClientClaims's entries). */
  claims: [number, string[], number][];
}

export type { Authorship, AuthorRun, AuthorTotals } from '../doc/authorship.ts';
export type {
  AuthorBlocksTotals,
  AuthorshipAnswer,
  LineBlock,
  LinePiece,
} from '../doc/authorship-blocks.ts';
export type {
  HistoryEntry,
  HistoryJump,
  HistoryPage,
} from '../doc/history-index.ts';

/** What `rescueTyping` came to: the event it stored, or the heads that hold it all. */
export type RescuedTyping = { stored: EventId } | { heldAt: EventId[] };

/** A document's view without its text, which a page keeps itself (its LiveDocument). */
export type DocumentFacts = Omit<DocumentView, 'text'>;

export interface DocumentService {
  /** What this tab's later events name as their author (a person renamed themselves). */
  setAuthor(author: string): Promise<void>;
  listDocuments(): Promise<DocumentSummary[]>;
  /**
   * Creates a document with a title; resolves to its id. A page names the id itself
   * (`docId`, from `randomActorId`) when it shows the document before it is made, so
   * that what is typed meanwhile is typed into that document.
   * @throws Error when `docId` names a document that exists, or no valid stream.
   */
  createDocument(title: string, docId?: string): Promise<string>;
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
  /** Fields, conflicts, deletion and heads now: the view less its text. */
  documentFacts(docId: string): Promise<DocumentFacts>;
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
  /**
   * Stores the typing of a tab that went before storing it (shown in this one,
   * src/ui/typing-share.ts): `update` as a text edit against `expected`, naming
   * `author`, unless the document at its current heads holds all of it already
   * (that tab's own event was stored); then those heads. So storing it again, as
   * every tab that showed it may ask, adds nothing.
   */
  rescueTyping(
    docId: string,
    update: Uint8Array,
    expected: EventId[],
    author: string,
  ): Promise<RescuedTyping>;
  setDocumentField(
    docId: string,
    name: string,
    value: Json,
    at?: EventId[],
  ): Promise<AppendResult>;
  /**
   * Sets a field to several values at once, all live after it, as concurrent
   * writes leave a field (`setFieldValues`): what undoing a restore writes back to
   * a field that was in conflict before it.
   */
  setDocumentFieldValues(
    docId: string,
    name: string,
    values: Json[],
  ): Promise<AppendResult[]>;
  /** Every event the restore wrote, the restore last (DocumentHandle.restore). */
  restoreDocument(docId: string, at: EventId[]): Promise<AppendResult[]>;
  deleteDocument(docId: string): Promise<AppendResult>;
  undeleteDocument(docId: string): Promise<AppendResult>;
  /**
   * `count` events of the document's history in canonical order, from `start` (the
   * last `count` for 'end'), at most MAX_PAGE: a page never reads the whole history.
   */
  historyPage(
    docId: string,
    start: number | 'end',
    count: number,
  ): Promise<HistoryPage>;
  /**
   * The version made of the history's first `count` events: its heads, and the
   * document as they left it (its text and fields; not its conflicts, which cost a
   * look at each event they name). One call, as the slider moves.
   */
  historyVersion(
    docId: string,
    count: number,
  ): Promise<{ heads: EventId[]; view: Omit<DocumentView, 'conflicts'> }>;
  /** The version (an event count) a jump in the history goes to; undefined when none. */
  historyJump(docId: string, jump: HistoryJump): Promise<number | undefined>;
  /**
   * The version (an event count, as the history counts now) that the restore `id`
   * made current again; undefined when `id` is no restore of the document, or names
   * no version of its history exactly.
   */
  restoredVersion(docId: string, id: EventId): Promise<number | undefined>;
  /**
   * Who wrote each run of the text at `at` (the current heads when omitted), in
   * blocks of lines, and each writer's characters in it, inserted and deleted.
   * `since`: the id of the last answer the page holds; blocks the same as that
   * answer's come as their keys. An id this worker did not give (or no longer
   * remembers) gets the whole answer.
   */
  authorship(
    docId: string,
    at?: EventId[],
    since?: string,
  ): Promise<AuthorshipAnswer>;
}
