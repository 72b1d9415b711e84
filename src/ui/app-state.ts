import { effect, signal } from '@preact/signals';
import { proxy, type Remote } from 'comlink';
import {
  DOC_PREFIX,
  FIELD_SET,
  TEXT_EDITED,
  VERSION_RESTORED,
  randomActorId,
  type AppendResult,
  type DocumentView,
  type EventId,
  type Json,
} from '../index.ts';
import type { UnreadableChange } from '../doc/unreadable.ts';
import { readableTextUpdate } from '../doc/doc-events.ts';
import type {
  Delivery,
  DocumentFacts,
  DocumentSummary,
  HistoryJump,
  HistoryPage,
  LogService,
  Progress,
} from '../contract/index.ts';
import type { ConflictChanges, SideEdits } from '../doc/conflict-changes.ts';
import { addToPage } from './document-feed.ts';
import {
  LiveDocument,
  valuesHeld,
  type LiveDocumentOptions,
} from './live-document.ts';
import { appendMoving } from './log-client.ts';
import {
  superviseLogWorker,
  WorkerStoppedError,
  type LogSupervisor,
  type SupervisedSubscription,
} from './log-supervisor.ts';
import { resumeRelaySync, startRelaySync } from './relay-sync.ts';
import { keepStorage } from './storage-kept.ts';
import { claimTab, labelOf, NAME_KEY, setPersonName } from './tab-label.ts';
import { broadcastTyping } from './typing-share.ts';

/** Everything the page shows, as signals; components read them, actions below write them. */
/**
 * This tab's label, "Tab N (Swift Otter)" or, once the person gave a name, "Ana
 * (Tab N)": what its events name as their author.
 */
export const author = signal('');
/** This tab's number, claimed at start. */
let tab = 0;
/** The worker's options, kept: a worker started again writes as the tab does now. */
const workerOptions: { author?: string } = {};
export const documents = signal<DocumentSummary[]>([]);
export const current = signal<
  { docId: string; live: LiveDocument } | undefined
>(undefined);
/**
 * The document being opened, with its text from the snapshot: shown (and typed into)
 * before its LiveDocument exists, since a Y.Doc takes a long history's state in
 * slowly (180 ms for 260k edits). Undefined until the worker has read it.
 */
export const opening = signal<
  | {
      docId: string;
      text: string | undefined;
      /** Made here with "New document": its title, "Untitled", is known too. */
      made?: true;
    }
  | undefined
>(undefined);
/** Whether a document is open or opening: the page opens one of its own only if not. */
const asked = () => current.value !== undefined || opening.value !== undefined;
/** The open document's fields, conflicts and deletion: pushed with its deliveries. */
export const view = signal<DocumentFacts | undefined>(undefined);
/**
 * The rows of the open document's history the page shows (the latest, or those
 * around the version being looked at), and how many there are in all: a page of
 * it, never the whole. Kept current from deliveries in place: read
 * `historyVersion` to hear of changes.
 */
export const history = signal<HistoryPage | undefined>(undefined);
export const historyVersion = signal(0);
/** The rows read at a time, and kept while following the latest edits. */
const HISTORY_PAGE = 600;
export const notice = signal<string | undefined>(undefined);
/** Said briefly after the log worker was replaced. */
export const recovered = signal<string | undefined>(undefined);
export const saving = signal<{ pending: number; error?: string }>({
  pending: 0,
});
/**
 * How many events this tab wrote to the open document that its subscription has not
 * delivered back yet: facts shown until then were made without them (ownWrote).
 */
export const ownUnseen = signal(0);
const unseen = new Set<EventId>();
/** This tab stored `id` in the open document: unseen by the facts until delivered. */
function ownWrote(id: EventId): void {
  unseen.add(id);
  ownUnseen.value = unseen.size;
}
/** The open document's text edits waiting to be saved (LiveDocument.pending). */
let textPending = 0;
/** Other edits on their way: a title typed and not yet saved, say (holdSaving). */
let held = 0;
/**
 * How many edits wait to be saved, and why the last save failed: set only when that
 * changes. Every keystroke reports it, and a new value re-renders the status line.
 */
function setSaving(pending: number, error?: string): void {
  textPending = pending;
  publishSaving(error);
}

/** `error`: why the last save failed, or undefined once one succeeded. */
function publishSaving(error: string | undefined): void {
  const pending = textPending + held;
  const now = saving.value;
  if (now.pending !== pending || now.error !== error)
    saving.value = { pending, ...(error !== undefined ? { error } : {}) };
}

/**
 * Counts an edit made outside the text as waiting to be saved, until the returned
 * release is called (once; later calls do nothing): the page says "Saving…", never
 * "All changes saved", while a typed title waits for its timer or its save.
 */
export function holdSaving(): () => void {
  held++;
  publishSaving(saving.value.error);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    held--;
    publishSaving(saving.value.error);
  };
}
/**
 * Closing or reloading the tab while edits wait to be saved asks first ("Leave
 * site? Changes you made may not be saved."), as editors do: until the log has
 * stored them they exist only in this tab, and a save that keeps failing (storage
 * full, say) would otherwise be lost with it. Staying sends them at once. The
 * listener is there only while something waits: a page with nothing to lose
 * closes without a question and stays eligible for the back/forward cache.
 */
function askBeforeLeavingUnsaved(): void {
  const ask = (event: BeforeUnloadEvent) => {
    void current.value?.live.flush();
    event.preventDefault();
  };
  // Adding a listener already there, or removing one not there, does nothing.
  effect(() => {
    if (saving.value.pending > 0) addEventListener('beforeunload', ask);
    else removeEventListener('beforeunload', ask);
  });
}

export const online = signal(
  typeof navigator === 'undefined' ? true : navigator.onLine,
);

let markStarted!: (s: Remote<LogService>) => void;
/** Resolves once the worker is up: actions taken during start-up wait for it instead of being lost. */
const started = new Promise<Remote<LogService>>(
  (resolve) => (markStarted = resolve),
);
let docSubscription: SupervisedSubscription | undefined;
let subscribeTo: LogSupervisor['subscribe'];

const RESTARTING =
  'Local storage stopped answering; reconnecting. Your edits are kept in this tab.';
let recoveredTimer: ReturnType<typeof setTimeout> | undefined;

/** Per tab (sessionStorage): the document open in it, opened again on reload. */
const OPEN_KEY = 'forkline.open';

export async function start(): Promise<void> {
  addEventListener('online', () => (online.value = true));
  addEventListener('offline', () => (online.value = false));
  // A page put out of sight (another tab, another app, the tab closing) sends what
  // was typed now: hidden, it may be frozen or closed before its batch's timer fires.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') void current.value?.live.flush();
  });
  askBeforeLeavingUnsaved();
  keepStorage(() => documents.value.length > 0);
  tab = await claimTab();
  author.value = workerOptions.author = labelOf(tab);
  // Another tab of this profile renamed the person: this one writes so too.
  addEventListener('storage', ({ key }: StorageEvent) => {
    if (key === NAME_KEY || key === null) void relabel();
  });
  const supervisor = await superviseLogWorker({
    open: workerOptions,
    onNotice: (n) => (notice.value = n.message),
    onRestarting: () => (notice.value ??= RESTARTING),
    onRestartFailed: (error) =>
      (notice.value = `${RESTARTING} (${error.message})`),
    onRestarted: () => {
      if (notice.value?.startsWith(RESTARTING)) notice.value = undefined;
      recovered.value = 'Reconnected to local storage; nothing was lost.';
      clearTimeout(recoveredTimer);
      recoveredTimer = setTimeout(() => (recovered.value = undefined), 5000);
      // Edits the dead worker never confirmed go again now, not after the backoff.
      void current.value?.live.flush();
      resumeRelaySync();
      void refreshDocuments();
      void refreshView();
      void loadHistory();
    },
  });
  const service = supervisor.service;
  subscribeTo = supervisor.subscribe;
  markStarted(service);
  startRelaySync(service);
  // A document renamed, deleted or restored anywhere: refresh the list. Text edits,
  // most of what any tab stores, stay in the worker, but for those of a deleted
  // document: made elsewhere meanwhile, they put its deletion in question.
  await subscribeTo(null, await service.position(), onListedChange, {
    types: LISTED_TYPES,
    deletedDocuments: true,
  });
  await refreshDocuments();
  // The document this tab had open before a reload, else the first one: unless the
  // user asked for one meanwhile ("New document" pressed while the list was read
  // opened the first document instead).
  if (asked()) return;
  const remembered = sessionStorage.getItem(OPEN_KEY);
  const live = documents.value.filter((d) => !d.deleted);
  const first = live.find((d) => d.docId === remembered) ?? live[0];
  if (first) await openDoc(first.docId);
}

const debounced = (fn: () => void, ms: number) => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
};

/**
 * One listing at a time, and one more after it if anything changed meanwhile: a
 * long catch-up arrives in many batches, and listing a long document that has no
 * snapshot yet costs the worker a fold of its fields each time.
 */
let listing: Promise<void> | undefined;
let listAgain = false;
function refreshOnce(): void {
  if (listing) {
    listAgain = true;
    return;
  }
  listing = refreshDocuments()
    .catch(() => undefined)
    .finally(() => {
      listing = undefined;
      if (listAgain) {
        listAgain = false;
        refreshOnce();
      }
    });
}

const refreshSoon = debounced(refreshOnce, 150);

/** The worker's service, once it is up. */
export const logService = (): Promise<Remote<LogService>> => started;

/** The event types that change what the documents list shows: titles, deletions. */
const LISTED_TYPES = [FIELD_SET, VERSION_RESTORED];

function onListedChange(batch: Delivery[]): void {
  if (batch.some((d) => d.event.stream.startsWith(DOC_PREFIX))) refreshSoon();
}

const everyDelivery = new Set<(batch: Delivery[]) => void>();
/** The log's every event, subscribed to while `followEveryEvent` has listeners. */
let everyEvent: Promise<SupervisedSubscription> | undefined;

/**
 * Hears every event this replica stores from now on, as it is stored (the
 * explorer, the insights): the whole log is sent to the page only while someone
 * listens. What the worker is asked before this returns reads no older a log than
 * where the deliveries start. Returns the way to stop.
 */
export function followEveryEvent(
  listener: (batch: Delivery[]) => void,
): () => void {
  everyDelivery.add(listener);
  if (!everyEvent) {
    const mine: Promise<SupervisedSubscription> = started.then(async (s) =>
      subscribeTo(null, await s.position(), (batch) => {
        // One that was stopped while it started hands nothing on.
        if (everyEvent === mine)
          for (const listen of everyDelivery) listen(batch);
      }),
    );
    everyEvent = mine;
  }
  return () => {
    everyDelivery.delete(listener);
    if (everyDelivery.size > 0 || !everyEvent) return;
    const stopping = everyEvent;
    everyEvent = undefined;
    void stopping.then((s) => s.unsubscribe()).catch(() => undefined);
  };
}

export async function refreshDocuments(): Promise<void> {
  const s = await started;
  documents.value = await s.listDocuments();
}

/** The document's fields, conflicts and deletion, asked for again. */
export async function refreshView(): Promise<void> {
  const doc = current.value;
  if (!doc) return;
  await showFacts(doc.docId, askFacts(await started, doc.docId));
}

/** Facts pushed with deliveries so far: an answer asked for before one is older. */
let pushedFacts = 0;

/** Asks for a document's facts, noting how many were pushed before the asking. */
function askFacts(
  s: Remote<LogService>,
  docId: string,
): { facts: Promise<DocumentFacts>; pushedBefore: number } {
  return { facts: s.documentFacts(docId), pushedBefore: pushedFacts };
}

/** Shows facts asked for, if their document is still the open one and none newer came. */
async function showFacts(
  docId: string,
  asked: ReturnType<typeof askFacts>,
): Promise<void> {
  const facts = await asked.facts;
  if (current.value?.docId === docId && pushedFacts === asked.pushedBefore)
    view.value = facts;
}

/** Events delivered while a page of the history is being read: added to it once it is in. */
let deliveredWhileLoading: Delivery[] | undefined;

/**
 * Asks for the page of the history around version `around` (the latest rows when
 * omitted), and keeps what is delivered meanwhile to add to it.
 */
function askHistory(
  s: Remote<LogService>,
  docId: string,
  around?: number,
): { page: Promise<HistoryPage>; meanwhile: Delivery[] } {
  const meanwhile: Delivery[] = (deliveredWhileLoading = []);
  const page = s.historyPage(
    docId,
    around === undefined
      ? 'end'
      : Math.max(0, around - Math.floor(HISTORY_PAGE / 2)),
    HISTORY_PAGE,
  );
  return { page, meanwhile };
}

/** Shows a page of the history asked for, if its document is still the open one. */
async function showHistory(
  docId: string,
  asked: ReturnType<typeof askHistory>,
): Promise<void> {
  const page = await asked.page;
  if (deliveredWhileLoading === asked.meanwhile)
    deliveredWhileLoading = undefined;
  if (current.value?.docId !== docId) return;
  addToPage(page, asked.meanwhile, HISTORY_PAGE);
  history.value = page;
  historyVersion.value++;
}

/**
 * Reads the page of the history around version `around` (the latest rows when
 * omitted): after a worker restart, and when the version looked at leaves the rows
 * held.
 */
async function loadHistory(around?: number): Promise<void> {
  const doc = current.value;
  if (!doc) return;
  await showHistory(doc.docId, askHistory(await started, doc.docId, around));
}

/** Makes sure the rows around version `count` are held, reading them if not. */
export async function showHistoryAround(count: number): Promise<void> {
  const page = history.value;
  const half = Math.floor(HISTORY_PAGE / 4);
  if (
    page &&
    page.start <= Math.max(0, count - half) &&
    page.start + page.entries.length >= Math.min(page.total, count + half)
  )
    return;
  await loadHistory(count);
}

/**
 * Asks the worker `ask` of the open document; undefined when none is open. Asked
 * of the document open now, not of one opened meanwhile.
 */
async function askOfOpen<T>(
  ask: (s: Remote<LogService>, docId: string) => Promise<T>,
): Promise<T | undefined> {
  const doc = current.value;
  if (!doc) return undefined;
  return ask(await started, doc.docId);
}

/** The version made of the open document's first `count` events: its heads, text and fields. */
export async function historyVersionAt(
  count: number,
): Promise<
  { heads: EventId[]; view: Omit<DocumentView, 'conflicts'> } | undefined
> {
  return askOfOpen((s, docId) => s.historyVersion(docId, count));
}

/** The version a jump in the open document's history goes to. */
export async function historyJump(
  jump: HistoryJump,
): Promise<number | undefined> {
  return askOfOpen((s, docId) => s.historyJump(docId, jump));
}

/** The version the restore `id` of the open document made current again (its history's count). */
export async function restoredVersionOf(
  id: EventId,
): Promise<number | undefined> {
  return askOfOpen((s, docId) => s.restoredVersion(docId, id));
}

export async function openDoc(docId: string): Promise<void> {
  // At once, the page shows a document opening: the one before it takes no more
  // typing (a title typed right after a click renamed the document left behind).
  // Its text is not known yet, unless it is the one just made.
  const before = opening.value?.docId === docId ? opening.value : undefined;
  const placeholder = {
    docId,
    text: before?.text,
    ...(before?.made && { made: true as const }),
  };
  opening.value = placeholder;
  // The text comes first, while the worker still reads its Yjs state.
  let shown: { docId: string; text: string } | undefined;
  // Unless another document was asked for meanwhile ("New document" pressed while
  // the first opened on start): the text comes from the worker at any time, and
  // taking `opening` back then opened this one instead of the one asked for.
  const show = (text: string) => {
    if (opening.value === (shown ?? placeholder))
      opening.value = shown = { ...placeholder, text };
  };
  let s: Remote<LogService>;
  let snapshot: Awaited<ReturnType<LogService['documentSnapshot']>>;
  try {
    s = await started;
    await current.value?.live.flush();
    current.value?.live.close();
    await docSubscription?.unsubscribe();
    docSubscription = undefined;
    snapshot = await s.documentSnapshot(docId, proxy(show));
  } catch (error) {
    if (opening.value === (shown ?? placeholder)) opening.value = undefined;
    throw error;
  }
  // Another document was asked for meanwhile: it is the one opening now.
  if (opening.value !== (shown ?? placeholder)) return;
  if (snapshot.text !== shown?.text) show(snapshot.text);
  // The timeline's parts, asked for now: the worker reads them while this page
  // paints the text and builds its Y.Doc.
  const asked = {
    view: askFacts(s, docId),
    history: askHistory(s, docId),
  };
  asked.view.facts.catch(() => undefined);
  asked.history.page.catch(() => undefined);
  await afterPaint();
  if (opening.value !== shown) return;
  // A send the worker died on may have been committed: look before sending it again.
  let unconfirmedAfter: number | undefined;
  const live = new LiveDocument({
    state: snapshot.state,
    heads: snapshot.heads,
    included: snapshot.included,
    claims: snapshot.claims,
    // Another writer holds this tab's Yjs client id (a token holder's event, or
    // this profile's id before an actor fork): typing here would not show anywhere.
    onOwnTypingRefused: () =>
      (notice.value =
        'This tab’s typing is not taken into the document any more (another writer’s events use its editing id). Reload the page to go on writing; what you typed is kept in the log.'),
    // Other tabs show typing as it happens; the log gets it in batches. Typing a
    // tab showed from one that went before storing it is stored from here.
    shareTyping: sharedTyping(s, docId),
    // Undo of a restore takes back its title too, and its redo brings back what
    // the title held before the undo, every value of it.
    onFieldsUndone: (fields) => {
      const before = valuesHeld(Object.keys(fields), view.value?.fields ?? {});
      for (const [name, values] of Object.entries(fields))
        void setFieldValues(name, values, docId);
      return before;
    },
    send: async (update, expected) => {
      if (unconfirmedAfter !== undefined) {
        const committed = await committedEarlier(
          s,
          snapshot.stream,
          unconfirmedAfter,
          update,
        );
        unconfirmedAfter = undefined;
        if (committed) return committed;
      }
      const before = docSubscription?.position ?? snapshot.position;
      try {
        const [result] = await appendMoving(
          s,
          snapshot.stream,
          [{ type: TEXT_EDITED, data: update, author: author.value }],
          { expected },
        );
        ownWrote(result!.event.id);
        return result!;
      } catch (error) {
        if (error instanceof WorkerStoppedError) unconfirmedAfter = before;
        throw error;
      }
    },
    onPendingChange: (pending, error) => {
      setSaving(pending, error?.message);
    },
  });
  current.value = { docId, live };
  sessionStorage.setItem(OPEN_KEY, docId);
  opening.value = undefined;
  view.value = undefined;
  unseen.clear();
  ownUnseen.value = 0;
  history.value = undefined;
  docSubscription = await subscribeTo(
    snapshot.stream,
    snapshot.position,
    (batch, facts) => {
      if (current.value?.live !== live) return;
      live.receive(batch.map((d) => d.event));
      deliveredWhileLoading?.push(...batch);
      if (history.value && addToPage(history.value, batch, HISTORY_PAGE))
        historyVersion.value++;
      // Text that follows on is the LiveDocument's alone; the worker pushes the
      // fields and conflicts with a batch that may have changed them.
      if (facts) {
        pushedFacts++;
        view.value = facts;
      }
      // After the facts made with them: never the old facts without them.
      for (const d of batch) unseen.delete(d.event.id);
      ownUnseen.value = unseen.size;
    },
    { document: docId },
  );
  await Promise.all([
    showFacts(docId, asked.view),
    showHistory(docId, asked.history),
  ]);
}

/**
 * How the tabs of document `docId` show each other's typing early, and store what
 * a tab that went had shown (typing-share.ts); undefined where they cannot.
 */
function sharedTyping(
  s: Remote<LogService>,
  docId: string,
): LiveDocumentOptions['shareTyping'] {
  const open = broadcastTyping(docId);
  return (
    open && {
      open,
      author: () => author.value,
      rescue: (update, expected, writer) =>
        s.rescueTyping(docId, update, expected, writer),
      onRescueError: (error) =>
        (notice.value = `Another tab closed before its typing was saved, and saving it from this tab failed: ${error.message}`),
    }
  );
}

/**
 * Resolves once the browser has painted what is rendered now: a frame, then a task.
 * A hidden tab paints no frames; it goes on after a task, or 100 ms at most.
 */
function afterPaint(): Promise<void> {
  return new Promise((resolve) => {
    if (document.visibilityState === 'hidden') return void setTimeout(resolve);
    requestAnimationFrame(() => setTimeout(resolve));
    setTimeout(resolve, 100);
  });
}

/** Our edit `update`, if the log stored it after `position`: a send the dead worker did commit. */
async function committedEarlier(
  s: Remote<LogService>,
  stream: string,
  position: number,
  update: Uint8Array,
): Promise<AppendResult | undefined> {
  for (const { event, position: at } of await s.readAfter(stream, position)) {
    // Another replica's that does not read is not ours either.
    const data = readableTextUpdate(event);
    if (
      // Our exact bytes (they embed this tab's Yjs client id), whatever actor the
      // worker wrote them under and whatever label another tab shares with us.
      data &&
      sameBytes(data, update)
    )
      return { event, status: 'duplicate', position: at, concurrent: [] };
  }
  return undefined;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/**
 * Names the person using this profile (every tab of it): later events write as "Ana
 * (Tab N)". Earlier events keep the label they were written under. '' goes back to
 * the profile's own name.
 */
export async function renameSelf(name: string): Promise<void> {
  setPersonName(name);
  await relabel();
}

async function relabel(): Promise<void> {
  // Not started yet: start() labels the tab by the name kept.
  if (tab === 0) return;
  const label = labelOf(tab);
  if (label === author.value) return;
  author.value = workerOptions.author = label;
  try {
    await (await started).setAuthor(label);
  } catch (error) {
    // A worker that stopped meanwhile: the next starts with workerOptions.
    if (!(error instanceof WorkerStoppedError)) throw error;
  }
}

/**
 * A document just made with "New document", and what had focus when it was asked
 * for: its title takes focus once shown, unless the user went on elsewhere meanwhile
 * (TitleField).
 */
export const titleWanted = signal<
  { docId: string; from: Element | null } | undefined
>(undefined);

/** The title a document is made with. */
export const NEW_TITLE = 'Untitled';

/** The "New document" being made: a press meanwhile (a double click) joins it. */
let creating: Promise<void> | undefined;

export function createDoc(): Promise<void> {
  creating ??= createOneDoc().finally(() => (creating = undefined));
  return creating;
}

async function createOneDoc(): Promise<void> {
  const from = document.activeElement;
  // The page shows a document opening from the click on (see openDoc), under the
  // id it will have: the editor shown is the document's own (App keys it by id),
  // and what is typed into it while the worker makes the document stays.
  const docId = randomActorId();
  const placeholder = { docId, text: '', made: true as const };
  opening.value = placeholder;
  // Its title takes focus at once, "Untitled" selected: what is typed the moment
  // after the press names it, while the worker makes the document (it went to the
  // button, and was lost, for 60 to 250 ms: QA pass 14).
  titleWanted.value = { docId, from };
  // Saving until it is made and open, with what was typed into it meanwhile in
  // its LiveDocument: the status said "All changes saved" of text not yet stored.
  const release = holdSaving();
  try {
    await (await started).createDocument(NEW_TITLE, docId);
    await refreshDocuments();
  } catch (error) {
    release();
    if (opening.value === placeholder) opening.value = undefined;
    if (titleWanted.value?.docId === docId) titleWanted.value = undefined;
    throw error;
  }
  // Another document was asked for meanwhile: that one opens.
  if (opening.value !== placeholder) return release();
  await openDoc(docId).finally(release);
}

/**
 * Sets a field of document `docId` (the open one by default); resolves to the event
 * that did, if it was stored.
 */
export async function setField(
  name: string,
  value: Json,
  at?: EventId[],
  docId = current.value?.docId,
): Promise<EventId | undefined> {
  if (docId === undefined) return undefined;
  const s = await started;
  let stored: EventId | undefined;
  await guarded(async () => {
    stored = written(docId, await s.setDocumentField(docId, name, value, at));
  });
  return stored;
}

/**
 * Writes a field's values, as setField writes one: several are all kept live, as
 * concurrent writes leave a field (undoing a restore that replaced a conflict).
 */
async function setFieldValues(
  name: string,
  values: Json[],
  docId: string,
): Promise<void> {
  const s = await started;
  await guarded(async () => {
    for (const result of await s.setDocumentFieldValues(docId, name, values))
      written(docId, result);
  });
}

/**
 * This page's own write to `docId`, handed to its open copy at once: what the page
 * writes next builds on it, even before the subscription delivers it. (Otherwise a
 * title typed right after a rename was saved beside it, as if by another writer.)
 */
function written(docId: string, result: AppendResult): EventId {
  const doc = current.value;
  if (doc?.docId === docId) {
    doc.live.wrote(result.event);
    ownWrote(result.event.id);
  }
  return result.event.id;
}

export async function restoreVersion(at: EventId[]): Promise<void> {
  const doc = current.value;
  if (!doc) return;
  const s = await started;
  await doc.live.flush();
  // This tab's to undo, whether its event or the log's answer comes first.
  const restored = doc.live.restoring(at, view.value?.fields);
  try {
    await guarded(async () => {
      // Each event in turn: a restore too large for one event is several, chained.
      for (const result of await s.restoreDocument(doc.docId, at))
        written(doc.docId, result);
    });
  } finally {
    restored();
  }
}

/**
 * Takes one side of a text conflict back out of the open document (its writer's
 * insertions go, the fork point's text it alone deleted comes back), as this tab's
 * own change: saved as typing is, and Ctrl+Z brings the side's change back.
 * @returns false when the text no longer holds any of that change.
 */
export function takeBackSide(edits: SideEdits): boolean {
  const doc = current.value;
  if (!doc) return false;
  return doc.live.takeBack(edits);
}

/** What each writer of a text conflict changed since its fork point, and merged. */
export async function changesSince(
  forkPoint: EventId[],
  mergedAt?: EventId[],
): Promise<ConflictChanges | undefined> {
  return askOfOpen((s, docId) => s.conflictChanges(docId, forkPoint, mergedAt));
}

export async function viewAt(at: EventId[]): Promise<DocumentView | undefined> {
  return askOfOpen((s, docId) => s.documentView(docId, at));
}

export async function setDeleted(
  docId: string,
  deleted: boolean,
): Promise<void> {
  const s = await started;
  await guarded(async () =>
    written(
      docId,
      await (deleted ? s.deleteDocument(docId) : s.undeleteDocument(docId)),
    ),
  );
  await refreshDocuments();
}

async function guarded(work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
    setSaving(current.value?.live.pending ?? 0);
  } catch (error) {
    setSaving(current.value?.live.pending ?? 0, (error as Error).message);
  }
}

/** A running export or import, for the progress bar. */
export const transfer = signal<
  | {
      kind: 'export' | 'import';
      label: string;
      done: number;
      total: number;
    }
  | undefined
>(undefined);
export const transferResult = signal<string | undefined>(undefined);

const progressOf = (kind: 'export' | 'import', label: string) =>
  proxy((p: Progress) => {
    transfer.value = {
      kind,
      label: p.phase === 'saving' ? `${label}: saving` : label,
      done: p.done,
      total: p.total,
    };
  });

/** Downloads the whole log as CloudEvents JSON Lines. */
export async function exportLog(): Promise<void> {
  const s = await started;
  await current.value?.live.flush();
  transferResult.value = undefined;
  transfer.value = { kind: 'export', label: 'Exporting', done: 0, total: 1 };
  try {
    const blob = await s.exportLog(progressOf('export', 'Exporting'));
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = `forkline-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}.jsonl`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    transferResult.value = `Exported ${(blob.size / 1024).toFixed(0)} KB.`;
  } catch (error) {
    transferResult.value = `Export failed: ${(error as Error).message}`;
  } finally {
    transfer.value = undefined;
  }
}

/** Checks the whole log end to end and says what it found. */
export async function verifyLog(): Promise<void> {
  const s = await started;
  transferResult.value = 'Verifying…';
  const report = await s.verifyLog();
  transferResult.value =
    (report.ok
      ? `Verified ${report.events} events in ${report.streams} stream${report.streams === 1 ? '' : 's'}: every id, parent and sequence checks out.`
      : `Verification found ${report.problems.length} problem(s): ${report.problems
          .slice(0, 3)
          .map((p) => `${p.subject}: ${p.problem}`)
          .join('; ')}`) + unreadableText(report.unreadable);
}

/**
 * The document changes that do not read, after the log's own report: the log may be
 * sound and still hold them (another replica's, an imported file's). A document
 * folds them as nothing (or, a malformed Yjs update, as much as Yjs takes), and only
 * this says so.
 */
function unreadableText({
  count,
  first,
}: {
  count: number;
  first: UnreadableChange[];
}): string {
  if (count === 0) return '';
  const named = first
    .slice(0, 3)
    .map((u) => `${u.id} in ${u.stream}, ${u.reason}`)
    .join('; ');
  const more = count > 3 ? '; …' : '';
  return count === 1
    ? ` One document change does not read, and its document shows none or part of it: ${named}${more}.`
    : ` ${count} document changes do not read, and their documents show none or part of them: ${named}${more}.`;
}

/** What an import did, in words. */
function importedText({
  lines,
  stored,
  duplicates,
  repeated,
}: {
  lines: number;
  stored: number;
  duplicates: number;
  repeated: number;
}): string {
  if (lines === 0) return 'The file holds no events: nothing was imported.';
  const events = lines === 1 ? '1 event' : `${lines} events`;
  if (repeated === 0)
    return `Imported ${events}: ${stored} new, ${duplicates} already here.`;
  // Lines, not events, when some repeat: a file of 11 events written twice was
  // "22 events" (QA pass 16).
  return `Read ${lines} lines: ${stored} new ${stored === 1 ? 'event' : 'events'}, ${duplicates - repeated} already here, ${repeated} repeating an earlier line.`;
}

/** Imports a JSON Lines file: all or nothing, errors name the line. */
/** Cancels the import under way: it ends saying so, nothing stored (unless it had read everything). */
export async function cancelImport(): Promise<void> {
  await (await started).cancelImport();
}

export async function importLog(file: File): Promise<void> {
  const s = await started;
  transferResult.value = undefined;
  transfer.value = {
    kind: 'import',
    label: 'Importing',
    done: 0,
    total: file.size,
  };
  try {
    const result = await s.importLog(file, progressOf('import', 'Importing'));
    transferResult.value = importedText(result);
    await refreshDocuments();
    await refreshView();
    if (!asked()) {
      const first = documents.value.find((d) => !d.deleted);
      if (first) await openDoc(first.docId);
    }
  } catch (error) {
    transferResult.value = (error as Error).message;
  } finally {
    transfer.value = undefined;
  }
}
