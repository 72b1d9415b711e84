import { transfer } from 'comlink';
import * as Y from 'yjs';
import {
  openDocument,
  streamOfDoc,
  docIdOf,
  randomActorId,
  TEXT_EDITED,
  DOC_PREFIX,
  type DocumentHandle,
  type Log,
  type Store,
} from '../src/index.ts';
import { conflictChanges } from '../src/doc/conflict-changes.ts';
import { deletionContested } from '../src/doc/doc-conflicts.ts';
import {
  documentFields,
  loadDocument,
  summaryOf,
} from '../src/doc/document-snapshots.ts';
import { HistoryIndex } from '../src/doc/history-index.ts';
import { attribute } from '../src/doc/authorship.ts';
import {
  authorshipIndexes,
  type AuthorshipIndexes,
} from './authorship-indexes.ts';
import { readTextAt, setFieldValues } from '../src/doc/document.ts';
import {
  authorshipBlocks,
  sinceHeld,
  type HeldBlocks,
} from '../src/doc/authorship-blocks.ts';
import { checkStream } from '../src/log/validate.ts';
import { followsOnAsText, restoredFromOf } from '../src/doc/doc-events.ts';
import type {
  DocumentFacts,
  DocumentService,
} from '../src/contract/documents.ts';
import type { EventId } from '../src/index.ts';
import type { Stored } from '../src/log/subscriptions.ts';

/** What comes with a batch besides its events: a document's facts, when they may have changed. */
export type Accompany = (
  records: readonly Stored[],
) => Promise<DocumentFacts | undefined>;

/** Titles in the order of the person's language, "Notes 2" before "Notes 10". */
const byTitle = new Intl.Collator(undefined, { numeric: true });

/** Histories kept at once: the open document's in each tab, and a few more. */
const HISTORIES = 4;
/**
 * Documents kept open at once (their folded states, a few each): the open one in each
 * tab, and those the list, the insights or the explorer asked about lately. A person
 * going through a hundred documents in one session held all of them.
 */
const HANDLES = 8;

/**
 * `key`'s entry of `kept`, made when missing (and forgotten if it fails), the most
 * recently asked last; the least recently asked go past `most`. An entry forgotten
 * while in use finishes its work: it is a cache over the log, which holds the truth.
 */
function lastAsked<V>(
  kept: Map<string, Promise<V>>,
  key: string,
  make: () => Promise<V>,
  most: number,
): Promise<V> {
  let entry = kept.get(key);
  kept.delete(key);
  if (!entry) {
    const made = make();
    made.catch(() => {
      if (kept.get(key) === made) kept.delete(key);
    });
    entry = made;
  }
  kept.set(key, entry);
  while (kept.size > most) kept.delete(kept.keys().next().value!);
  return entry;
}
/** Authorship answers remembered (their blocks), to send the next one against. */
const ANSWERS = 4;

/**
 * Documents over the worker's log: one DocumentHandle per document, kept open so
 * its cached Yjs states make repeated views and edits cost only what changed.
 */
/** The documents service, and what the worker's own subscriptions ask of it. */
export interface WorkerDocumentService extends DocumentService {
  /**
   * The streams of the documents deleted when the list was last read (or deleted
   * here since): a page's list hears every event of these (SubscribeOptions
   * `deletedDocuments`), as edits made elsewhere meanwhile put a deletion in question.
   */
  readonly deletedStreams: ReadonlySet<string>;
}

export function createDocumentService(
  log: Log,
  store: Store,
  author: string | undefined,
  committed: () => void,
  onIgnoredError: (error: unknown) => void,
  authorshipOf: AuthorshipIndexes = authorshipIndexes(log, onIgnoredError),
): WorkerDocumentService {
  /** The streams of documents deleted when last listed, or since, here. */
  const deletedStreams = new Set<string>();
  const handles = new Map<string, Promise<DocumentHandle>>();
  const handle = (docId: string) =>
    lastAsked(
      handles,
      docId,
      () =>
        openDocument(log, docId, {
          ...(author ? { author } : {}),
          onIgnoredError,
        }),
      HANDLES,
    );
  // The most recently asked last; each caught up on every ask.
  const histories = new Map<string, Promise<HistoryIndex>>();
  const history = async (docId: string) => {
    const index = await lastAsked(
      histories,
      docId,
      () => HistoryIndex.open(store, streamOfDoc(docId)),
      HISTORIES,
    );
    await index.catchUp();
    return index;
  };
  // The blocks of the last answers given, by id, the latest last: an ask since one
  // of them is sent what changed. The ids are this worker's own: a page's id from an
  // earlier worker (or a guess) names nothing here, and gets the whole answer.
  const answers = new Map<string, HeldBlocks>();
  // (Not crypto.randomUUID: a page served over plain http to another machine is not
  // a secure context, and has none.)
  const answerPrefix = `${crypto.getRandomValues(new Uint32Array(2)).join('.')}.`;
  let answered = 0;
  const writing = async <T>(work: Promise<T>) => {
    const result = await work;
    committed();
    return result;
  };

  return {
    deletedStreams,
    async setAuthor(next) {
      author = next;
      // Handles name their author when opened: later ones name the new one.
      handles.clear();
    },
    async listDocuments() {
      const streams = await log.streams(DOC_PREFIX);
      const fields = await documentFields(store, streams, onIgnoredError);
      deletedStreams.clear();
      const listed = await Promise.all(
        streams.map(async (stream) => {
          const registers = fields.get(stream)!;
          const summary = summaryOf(registers);
          if (summary.deleted) deletedStreams.add(stream);
          return {
            docId: docIdOf(stream),
            ...summary,
            deletionContested:
              summary.deleted &&
              (await deletionContested(log, stream, registers)),
          };
        }),
      );
      // By title, as a person looks for one, the same on every device; the
      // stream's order was that of random document ids (QA pass 11).
      const titles = new Map(listed.map((d) => [d, d.title.join(' / ')]));
      return listed.sort(
        (a, b) =>
          byTitle.compare(titles.get(a)!, titles.get(b)!) ||
          (a.docId < b.docId ? -1 : a.docId > b.docId ? 1 : 0),
      );
    },
    async createDocument(title, docId = randomActorId()) {
      if (await store.stream(checkStream(streamOfDoc(docId))))
        throw new Error(`document ${docId} exists already`);
      await writing((await handle(docId)).setField('title', title));
      return docId;
    },
    async documentSnapshot(docId, onText) {
      const stream = streamOfDoc(docId);
      const { text, plain, heads, position, claims } = await loadDocument(
        store,
        stream,
        {
          text: true,
          onIgnoredError,
          // Not awaited: the page's answer must not hold up reading the state.
          ...(onText ? { onText: (t: string) => void onText(t) } : {}),
        },
      );
      const state = text!;
      return transfer(
        {
          docId,
          stream,
          state,
          text: plain!,
          heads,
          position,
          included: [],
          claims,
        },
        [state.buffer as ArrayBuffer],
      );
    },
    documentView: async (docId, at) =>
      (await handle(docId)).view(at ? { at } : {}),
    async documentFacts(docId) {
      const { text: _, ...facts } = await (await handle(docId)).view();
      return facts;
    },
    async conflictChanges(docId, forkPoint, mergedAt) {
      const stream = streamOfDoc(docId);
      return conflictChanges(
        log,
        stream,
        forkPoint,
        mergedAt ?? (await log.heads(stream)),
        onIgnoredError,
      );
    },
    async appendTextUpdate(docId, update, expected) {
      const [result] = await writing(
        log.append(
          streamOfDoc(docId),
          { type: TEXT_EDITED, data: update, ...(author ? { author } : {}) },
          { expected },
        ),
      );
      return result!;
    },
    async rescueTyping(docId, update, expected, author) {
      const stream = streamOfDoc(docId);
      const heads = await log.heads(stream);
      const held = await readTextAt(await handle(docId), heads, (text) =>
        Y.snapshotContainsUpdate(Y.snapshot(text.doc!), update),
      );
      if (held) return { heldAt: heads };
      const [result] = await writing(
        log.append(
          stream,
          { type: TEXT_EDITED, data: update, author },
          { expected },
        ),
      );
      return { stored: result!.event.id };
    },
    setDocumentField: async (docId, name, value, at) =>
      writing((await handle(docId)).setField(name, value, at ? { at } : {})),
    async setDocumentFieldValues(docId, name, values) {
      if (!Array.isArray(values))
        throw new TypeError('values must be an array of JSON values');
      return writing(setFieldValues(await handle(docId), name, values));
    },
    restoreDocument: async (docId, at) =>
      writing((await handle(docId)).restore(at)),
    deleteDocument: async (docId) => {
      deletedStreams.add(streamOfDoc(docId));
      return writing((await handle(docId)).delete());
    },
    undeleteDocument: async (docId) =>
      writing((await handle(docId)).undelete()),
    historyPage: async (docId, start, count) =>
      (await history(docId)).page(start, count),
    async historyVersion(docId, count) {
      const heads = await (await history(docId)).heads(count);
      return {
        heads,
        view: await (await handle(docId)).summary({ at: heads }),
      };
    },
    historyJump: async (docId, jump) => (await history(docId)).jump(jump),
    async restoredVersion(docId, id) {
      const restore = typeof id === 'string' ? await log.get(id) : undefined;
      const from = restore && restoredFromOf(restore);
      if (!from || restore.stream !== streamOfDoc(docId)) return undefined;
      const heads = [];
      for (const head of from) {
        const event = await log.get(head);
        if (event?.stream !== restore.stream) return undefined;
        heads.push(event);
      }
      return (await history(docId)).versionOf(heads);
    },
    async authorship(docId, at, since) {
      const index = await authorshipOf(docId);
      const { authors, blocks } = await readTextAt(
        await handle(docId),
        at,
        (text) => authorshipBlocks(attribute(text, index.state)),
      );
      const { sent, hold } = sinceHeld(
        since === undefined ? undefined : answers.get(since),
        blocks,
      );
      const id = `${answerPrefix}${++answered}`;
      answers.set(id, hold);
      for (const old of [...answers.keys()].slice(0, -ANSWERS))
        answers.delete(old);
      return { id, authors, blocks: sent };
    },
  };
}

/**
 * What a subscription to a document's stream brings with its batches: the
 * document's facts with the first, then with each that may have changed more than
 * the text (the heads it tracks say whether text follows on). Conflicts at the same
 * heads are remembered, so a batch already taken into account costs little.
 */
export function accompanyWithFacts(
  documents: DocumentService,
  docId: string,
): Accompany {
  let heads: EventId[] | undefined;
  return async (records) => {
    const after =
      heads &&
      followsOnAsText(
        heads,
        records.map((r) => r.event),
      );
    if (after) {
      heads = after;
      return undefined;
    }
    const facts = await documents.documentFacts(docId);
    heads = facts.heads;
    return facts;
  };
}
