import { openLogOn, type Log } from '../src/index.ts';
import { subscribeRecords, wakeSubscribers } from '../src/log/log.ts';
import { checkEventFilter } from '../src/log/event-filter.ts';
import { waitedOn } from '../src/log/yield.ts';
import { unreadableChanges } from '../src/doc/unreadable.ts';
import { TEXT_EDITED } from '../src/doc/doc-events.ts';
import {
  logPagesAfter,
  streamPagesAfter,
  type Stored,
} from '../src/log/subscriptions.ts';
import {
  connectToRelay,
  type RelayClient,
  type SocketLike,
} from '../src/sync/relay-client.ts';
import {
  accompanyWithFacts,
  createDocumentService,
  type WorkerDocumentService,
} from './document-service.ts';
import { createExplorerService } from './explorer-service.ts';
import { authorshipIndexes } from './authorship-indexes.ts';
import { createInsightsService } from './insights-service.ts';
import { openIdbStore, type IdbStore } from './idb-store.ts';
import { exportToBlob, importFromFile } from './log-files.ts';
import { IMPORT_CANCELLED } from '../src/contract/files.ts';
import type {
  Delivery,
  DocumentFacts,
  ExplorerService,
  InsightsService,
  LogService,
  OpenOptions,
  Opened,
  WorkerNotice,
} from '../src/contract/index.ts';
import { openTabFanout, type TabFanout } from './tab-fanout.ts';

export const DEFAULT_DATABASE = 'forkline';

interface Session {
  database: string;
  store: IdbStore;
  log: Log;
  fanout: TabFanout;
  /** Each subscription's stop, by the id the page was given. */
  subscriptions: Map<number, () => Promise<void>>;
  documents: WorkerDocumentService;
  explorer: ExplorerService;
  insights: InsightsService;
}

/**
 * The worker's half of the protocol: one IndexedDB-backed log per worker, shared with
 * every other tab through the database, with commits announced on a BroadcastChannel.
 */
export function createLogService(
  onIgnoredError: (error: unknown) => void = reportIgnored,
): LogService {
  let session: Promise<Session> | undefined;
  let nextSubscription = 1;
  let relay: RelayClient | undefined;
  const watchers: ((notice: WorkerNotice) => void)[] = [];
  const tell = (notice: WorkerNotice) =>
    watchers.forEach((watch) => watch(notice));

  async function start(options: OpenOptions): Promise<Session> {
    const database = options.database ?? DEFAULT_DATABASE;
    const store = await openIdbStore(database, {
      onVersionChange: () =>
        tell({
          kind: 'version-change',
          message:
            'forkline was updated in another tab. Reload this tab to keep editing; nothing saved is lost.',
        }),
      onConnectionLost: () =>
        tell({
          kind: 'connection-lost',
          message:
            'The browser closed the connection to local storage. Reload this tab to reconnect.',
        }),
    });
    const rejectPrefixes = options.rejectPrefixes ?? ['ledger/'];
    const log = await openLogOn(store, {
      onIgnoredError,
      ...(options.actor ? { actor: options.actor } : {}),
      policy: (stream) =>
        rejectPrefixes.some((prefix) => stream.startsWith(prefix))
          ? 'reject'
          : 'keep-both',
    });
    // Another tab committed: wake readers here, and send it on if this tab syncs.
    const fanout = openTabFanout(database, () => {
      wakeSubscribers(log);
      relay?.pushLocal();
    });
    // The log wakes its own subscribers: the other tabs and the relay are told here.
    const committed = () => {
      relay?.pushLocal();
      void store
        .replica()
        .then(({ lastPos }) => fanout.announce(lastPos), onIgnoredError);
    };
    const authorships = authorshipIndexes(log, onIgnoredError);
    const documents = createDocumentService(
      log,
      store,
      options.author,
      committed,
      onIgnoredError,
      authorships,
    );
    // Ask once to be exempt from eviction; the answer is shown by storage().
    void navigator.storage?.persist?.().catch(onIgnoredError);
    return {
      database,
      store,
      log,
      fanout,
      subscriptions: new Map(),
      documents,
      explorer: createExplorerService(log, store, authorships, onIgnoredError),
      insights: createInsightsService(
        log,
        store,
        onIgnoredError,
        async (docId) => (await documents.documentFacts(docId)).conflicts,
      ),
    };
  }

  const ready = () => (session ??= start({}));

  /**
   * Runs a write, then tells other tabs where the log now ends (from the write's own
   * results when it reports positions, else read back) and the relay to send it.
   */
  async function committing<T>(
    write: (s: Session) => Promise<T>,
    lastPositionOf?: (result: T) => number,
  ): Promise<T> {
    const s = await ready();
    const result = await write(s);
    const lastPos =
      lastPositionOf?.(result) ?? (await s.store.replica()).lastPos;
    s.fanout.announce(lastPos);
    relay?.pushLocal();
    return result;
  }

  const documents = async () => (await ready()).documents;
  /** The import under way: `cancelImport` aborts it. */
  let importing: AbortController | undefined;
  return {
    async open(options = {}): Promise<Opened> {
      session ??= start(options);
      const s = await session;
      if (options.lifeLock) await holdForLife(options.lifeLock);
      return { database: s.database, actor: s.log.actor };
    },
    append: (stream, events, options) =>
      committing(
        (s) => s.log.append(stream, events, options),
        (results) => results[results.length - 1]!.position,
      ),
    ingest: (events) => committing((s) => s.log.ingest(events)),
    heads: async (stream) => (await ready()).log.heads(stream),
    async readStream(stream, at) {
      const { log } = await ready();
      const events = [];
      for await (const event of log.read(stream, at ? { at } : {}))
        events.push(event);
      return events;
    },
    versionVector: async () => (await ready()).log.versionVector(),
    async since(vector) {
      const { log } = await ready();
      const events = [];
      for await (const event of log.since(vector)) events.push(event);
      return events;
    },
    position: async () => (await (await ready()).store.replica()).lastPos,
    conflicts: async (stream) => (await ready()).log.conflicts(stream),
    async readAfter(stream, position) {
      const records = await (
        await ready()
      ).store.streamEventsSince(stream, position);
      return records.map((r) => ({ event: r.event, position: r.pos }));
    },
    async subscribe(
      stream,
      fromPosition,
      onEvents: (batch: Delivery[], facts?: DocumentFacts) => void,
      options = {},
    ) {
      const s = await ready();
      const { types } = checkEventFilter({ types: options.types }, ['types']);
      const deleted = options.deletedDocuments
        ? s.documents.deletedStreams
        : undefined;
      const docId = options.document;
      const accompany =
        docId === undefined
          ? undefined
          : accompanyWithFacts(s.documents, docId);
      const id = nextSubscription++;
      s.subscriptions.set(
        id,
        subscribeRecords(s.log, {
          after: fromPosition,
          ...(stream === null ? {} : { stream }),
          // A catch-up of any length comes in pages, each a message and a task
          // of the page's own: the store's pages of the log, STREAM_PAGE events of
          // a stream. The page's listeners take them as they come (the documents
          // list lists once for a run of them).
          read:
            stream === null
              ? logPagesAfter(
                  s.store,
                  types && { types: deleted ? [...types, TEXT_EDITED] : types },
                )
              : streamPagesAfter(s.store, stream),
          ...(types && {
            accept: (record: Stored) =>
              types.includes(record.event.type) ||
              !!deleted?.has(record.event.stream),
          }),
          async deliver(records) {
            const facts = await accompany?.(records);
            // Copied, not transferred: packed events come from the store's cache of
            // decoded segments, which a transfer would leave with detached payloads.
            onEvents(
              records.map((r) => ({ event: r.event, position: r.pos })),
              facts,
            );
          },
        }),
      );
      return id;
    },
    async subscribeLog(options, onEvents, onCaughtUp) {
      const s = await ready();
      const id = nextSubscription++;
      // Held at once: an unsubscribe that comes while the catch-up starts waits for it.
      const stopping = s.log.subscribe(
        options,
        (events) => void onEvents(events),
        onCaughtUp ? () => void onCaughtUp() : undefined,
      );
      s.subscriptions.set(id, async () => (await stopping)());
      await stopping.catch((error: unknown) => {
        s.subscriptions.delete(id);
        throw error;
      });
      return id;
    },
    async unsubscribe(id) {
      const s = await ready();
      const stop = s.subscriptions.get(id);
      s.subscriptions.delete(id);
      await stop?.();
    },
    async connectRelay(config, onState) {
      const s = await ready();
      relay?.close();
      relay = connectToRelay(s.log, {
        ...config,
        createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
        onState,
        onIngested: () => {
          void s.store
            .replica()
            .then(({ lastPos }) => s.fanout.announce(lastPos), onIgnoredError);
        },
      });
    },
    async verifyLog() {
      const { log } = await ready();
      const report = await log.verify();
      return { ...report, unreadable: await unreadableChanges(log) };
    },
    async disconnectRelay() {
      relay?.close();
      relay = undefined;
    },
    async retryRelay() {
      relay?.retryNow();
    },
    async watch(onNotice) {
      watchers.push(onNotice);
    },
    async ping() {},
    async storage() {
      const estimate = await navigator.storage
        ?.estimate?.()
        .catch(() => undefined);
      const persisted =
        (await navigator.storage?.persisted?.().catch(() => false)) ?? false;
      return { usage: estimate?.usage, quota: estimate?.quota, persisted };
    },
    async exportLog(onProgress) {
      const s = await ready();
      return exportToBlob(s.log, (await s.store.replica()).lastPos, onProgress);
    },
    async importLog(file, onProgress) {
      const cancel = new AbortController();
      importing = cancel;
      try {
        return await committing((s) =>
          importFromFile(s.log, file, onProgress, cancel.signal),
        );
      } finally {
        if (importing === cancel) importing = undefined;
      }
    },
    cancelImport: async () => importing?.abort(new Error(IMPORT_CANCELLED)),
    listDocuments: async () => (await documents()).listDocuments(),
    setAuthor: async (author) => (await documents()).setAuthor(author),
    createDocument: async (title, docId) =>
      (await documents()).createDocument(title, docId),
    documentSnapshot: async (docId, onText) =>
      (await documents()).documentSnapshot(docId, onText),
    documentFacts: async (docId) => (await documents()).documentFacts(docId),
    documentView: async (docId, at) =>
      (await documents()).documentView(docId, at),
    conflictChanges: async (docId, forkPoint, mergedAt) =>
      (await documents()).conflictChanges(docId, forkPoint, mergedAt),
    appendTextUpdate: async (docId, update, expected) =>
      (await documents()).appendTextUpdate(docId, update, expected),
    rescueTyping: async (docId, update, expected, author) =>
      (await documents()).rescueTyping(docId, update, expected, author),
    setDocumentField: async (docId, name, value, at) =>
      (await documents()).setDocumentField(docId, name, value, at),
    setDocumentFieldValues: async (docId, name, values) =>
      (await documents()).setDocumentFieldValues(docId, name, values),
    restoreDocument: async (docId, at) =>
      (await documents()).restoreDocument(docId, at),
    deleteDocument: async (docId) => (await documents()).deleteDocument(docId),
    undeleteDocument: async (docId) =>
      (await documents()).undeleteDocument(docId),
    historyPage: async (docId, start, count) =>
      (await documents()).historyPage(docId, start, count),
    historyVersion: async (docId, count) =>
      (await documents()).historyVersion(docId, count),
    historyJump: async (docId, jump) =>
      (await documents()).historyJump(docId, jump),
    restoredVersion: async (docId, id) =>
      (await documents()).restoredVersion(docId, id),
    authorship: async (docId, at) => (await documents()).authorship(docId, at),
    // A person waits on these: a document folding meanwhile pauses for them.
    queryEvents: (filter, page) =>
      waitedOn(async () => (await ready()).explorer.queryEvents(filter, page)),
    rows: (ids) => waitedOn(async () => (await ready()).explorer.rows(ids)),
    eventDetail: (id) =>
      waitedOn(async () => (await ready()).explorer.eventDetail(id)),
    insights: async (docId) => (await ready()).insights.insights(docId),
    async close() {
      if (!session) return;
      const s = await session;
      s.fanout.close();
      await s.log.close();
    },
  };
}

/**
 * Takes the lock `name` and never releases it: the browser releases it when this
 * worker dies, which is how the page learns of the death. Resolves once held.
 */
function holdForLife(name: string): Promise<void> {
  if (!navigator.locks) return Promise.resolve();
  return new Promise((held, failed) => {
    navigator.locks
      .request(name, () => {
        held();
        return new Promise<never>(() => undefined);
      })
      .catch(failed);
  });
}

function reportIgnored(error: unknown): void {
  console.warn('forkline worker: ignored error', error);
}
