import { Repo } from '@automerge/automerge-repo/slim';
import { IndexedDBStorageAdapter } from '@automerge/automerge-repo-storage-indexeddb';
import type { AutomergeUrl } from '@automerge/automerge-repo/slim';
import * as A from '@automerge/automerge/slim';
import { proxy } from 'comlink';
import { openDB } from 'idb';
import { IndexeddbPersistence, storeState } from 'y-indexeddb';
import * as Y from 'yjs';
import { startLogWorker } from '../../src/ui/log-client.ts';
import { TEXT_EDITED, streamOfDoc } from '../../src/index.ts';
import { withTimeout } from './bench-data.ts';
import type {
  HistorySpec,
  OpenedText,
  StoredHistory,
} from './peer-protocol.ts';
import { typingHistory, type TextEdit } from './typing-history.ts';

/** Events per append and records per IndexedDB transaction while storing (not timed). */
const BATCH = 1000;
const BODY = 'body';
const TIMEOUT = 300_000;

type AutomergeText = {
  text: string;
};

/**
 * Stores one typing history in all three, each as its own usage produces it:
 * - forkline: one `doc.text.edited` event per edit (the Yjs update of that edit),
 *   appended through the real log worker; the document has a title, as the app
 *   creates it.
 * - y-indexeddb: one record per edit in its `updates` store, as its provider adds
 *   them while typing (written here in transactions of 1000), then the provider's own
 *   trim (`storeState`), which it runs 1 s after its 500th unmerged update.
 * - automerge-repo: one `A.change` per edit, then `repo.import` into a Repo with
 *   IndexedDB storage and `repo.flush()`; its storage keeps the compacted document.
 */
export async function storeHistory(spec: HistorySpec): Promise<StoredHistory> {
  let start = performance.now();
  const edits = typingHistory(spec.edits, spec.seed);
  const ydoc = new Y.Doc();
  const ytext = ydoc.getText(BODY);
  const updates: Uint8Array[] = [];
  ydoc.on('update', (update: Uint8Array) => updates.push(update));
  for (const edit of edits) ydoc.transact(() => applyEdit(ytext, edit));
  const text = ytext.toString();
  ydoc.destroy();
  const generate = performance.now() - start;

  start = performance.now();
  const docId = await storeInForkline(spec.database, updates);
  const forkline = performance.now() - start;

  start = performance.now();
  const yIndexeddbRecords = await storeInYIndexeddb(spec.yjsName, updates);
  const yIndexeddb = performance.now() - start;

  start = performance.now();
  const automergeUrl = await storeInAutomergeRepo(
    spec.automergeDatabase,
    edits,
  );
  const automerge = performance.now() - start;
  return {
    docId,
    automergeUrl,
    text,
    yIndexeddbRecords,
    ms: { generate, forkline, yIndexeddb, automerge },
  };
}

function applyEdit(text: Y.Text, edit: TextEdit): void {
  if (edit.remove > 0) text.delete(edit.index, edit.remove);
  if (edit.insert) text.insert(edit.index, edit.insert);
}

async function storeInForkline(
  database: string,
  updates: Uint8Array[],
): Promise<string> {
  const { service, terminate } = await startLogWorker({
    database,
    author: 'bench',
  });
  try {
    const docId = await service.createDocument(`History of ${updates.length}`);
    const stream = streamOfDoc(docId);
    for (let i = 0; i < updates.length; i += BATCH) {
      const batch = updates
        .slice(i, i + BATCH)
        .map((data) => ({ type: TEXT_EDITED, data, author: 'bench' }));
      await withTimeout(
        service.append(stream, batch),
        TIMEOUT,
        `appending edits ${i}..`,
      );
    }
    return docId;
  } finally {
    await service.close();
    terminate();
  }
}

async function storeInYIndexeddb(
  name: string,
  updates: Uint8Array[],
): Promise<number> {
  // The provider's schema: lib0/indexeddb opens version 1 with these two stores.
  const db = await openDB(name, 1, {
    upgrade(db) {
      db.createObjectStore('updates', { autoIncrement: true });
      db.createObjectStore('custom');
    },
  });
  try {
    for (let i = 0; i < updates.length; i += BATCH) {
      const tx = db.transaction('updates', 'readwrite');
      for (const update of updates.slice(i, i + BATCH))
        void tx.store.add(update);
      await tx.done;
    }
  } finally {
    db.close();
  }
  const doc = new Y.Doc();
  const provider = new IndexeddbPersistence(name, doc);
  await provider.whenSynced;
  await storeState(provider, false);
  await provider.destroy();
  doc.destroy();
  const check = await openDB(name);
  try {
    return await check.count('updates');
  } finally {
    check.close();
  }
}

async function storeInAutomergeRepo(
  database: string,
  edits: TextEdit[],
): Promise<string> {
  let doc = A.from<AutomergeText>({ text: '' });
  for (const { index, remove, insert } of edits)
    doc = A.change(
      doc,
      (d) => void A.splice(d, ['text'], index, remove, insert),
    );
  const repo = new Repo({ storage: new IndexedDBStorageAdapter(database) });
  try {
    const handle = repo.import<AutomergeText>(A.save(doc));
    await repo.flush();
    return handle.url;
  } finally {
    await repo.shutdown();
  }
}

/**
 * The forkline page's path to a document's text: a new worker, its snapshot (whose
 * text the app shows at once), then a Y.Doc taking its state in (editable).
 */
export async function openForkline(
  database: string,
  docId: string,
): Promise<OpenedText> {
  const start = performance.now();
  const worker = await startLogWorker({ database });
  const started = performance.now();
  try {
    // The text as the app gets it first: before the worker has read its Yjs state.
    let text: string | undefined;
    let received = 0;
    const snapshot = await worker.service.documentSnapshot(
      docId,
      proxy((t: string) => {
        received = performance.now();
        text = t;
      }),
    );
    const answered = performance.now();
    if (text === undefined) throw new Error('documentSnapshot gave no text');
    const doc = new Y.Doc();
    Y.applyUpdate(doc, snapshot.state);
    const editable = doc.getText(BODY).toString();
    const end = performance.now();
    doc.destroy();
    if (editable !== snapshot.text || text !== snapshot.text)
      throw new Error("the snapshot's text is not its Y.Doc's text");
    return {
      ms: received - start,
      text,
      editableMs: end - start,
      steps: {
        worker: started - start,
        text: received - started,
        state: answered - received,
        yjs: end - answered,
      },
    };
  } finally {
    await worker.service.close();
    worker.terminate();
  }
}

export async function openYIndexeddb(name: string): Promise<OpenedText> {
  const start = performance.now();
  const doc = new Y.Doc();
  const provider = new IndexeddbPersistence(name, doc);
  await withTimeout(provider.whenSynced, TIMEOUT, 'y-indexeddb whenSynced');
  const text = doc.getText(BODY).toString();
  const ms = performance.now() - start;
  await provider.destroy();
  doc.destroy();
  return { ms, text };
}

export async function openAutomergeRepo(
  database: string,
  url: string,
): Promise<OpenedText> {
  const start = performance.now();
  const repo = new Repo({ storage: new IndexedDBStorageAdapter(database) });
  try {
    const handle = await withTimeout(
      repo.find<AutomergeText>(url as AutomergeUrl),
      TIMEOUT,
      'automerge-repo find',
    );
    const text = handle.doc().text;
    return { ms: performance.now() - start, text };
  } finally {
    await repo.shutdown();
  }
}

/** Waits while a closing page still holds a database (blocked), up to 30 s. */
export async function deleteDatabases(names: string[]): Promise<void> {
  for (const name of names) {
    const deleted = new Promise<void>((resolve, reject) => {
      const request = indexedDB.deleteDatabase(name);
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
    });
    await withTimeout(deleted, 30_000, `deleting database ${name}`);
  }
}
