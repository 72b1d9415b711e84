// What the real log worker's IndexedDB database occupies on disk once a log is
// imported into it (DESIGN §13 storage.bytes-per-event), as the browser counts it.
import { proxy } from 'comlink';
import { openDB } from 'idb';
import { startLogWorker } from '../../src/ui/log-client.ts';
import { withTimeout } from './bench-data.ts';
import { hotEvents, untilPacked, withConnection } from './hot-tail.ts';
import type { StorageRun, StorageUsage } from './protocol.ts';

const START_TIMEOUT = 30_000;
/** Chromium updates its usage figure after the write: wait until it holds still. */
const SETTLE_POLL_MS = 250;
const SETTLE_TIMEOUT_MS = 10_000;
/** More than Chromium's grace period (2 s) before it closes an unused LevelDB. */
const BACKING_STORE_CLOSED_MS = 3_000;
/** The compactor packs a leftover tail at 2 s idle: this only turns a stuck one into an error. */
const PACKED_TIMEOUT_MS = 60_000;
/** The file input the harness sets the export on (bench-page.html). */
const FILE_INPUT = '#bench-file';

/** The file the harness put on the page's file input: no copy through the protocol. */
function chosenFile(): File {
  const file = document.querySelector<HTMLInputElement>(FILE_INPUT)?.files?.[0];
  if (!file) throw new Error(`no file on ${FILE_INPUT}: set one first`);
  return file;
}

/** The origin's IndexedDB bytes: Chromium's usage breakdown, else the whole usage. */
async function indexedDbUsage(): Promise<number> {
  const estimate = (await navigator.storage.estimate()) as StorageEstimate & {
    usageDetails?: { indexedDB?: number };
  };
  const usage = estimate.usageDetails?.indexedDB ?? estimate.usage;
  if (usage === undefined)
    throw new Error('navigator.storage.estimate() reports no usage');
  return usage;
}

/** The usage once two readings SETTLE_POLL_MS apart agree (or after SETTLE_TIMEOUT_MS). */
async function settledUsage(): Promise<number> {
  const deadline = performance.now() + SETTLE_TIMEOUT_MS;
  let last = await indexedDbUsage();
  while (performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
    const next = await indexedDbUsage();
    if (next === last) return next;
    last = next;
  }
  return last;
}

/**
 * Imports the JSON Lines file on the page's file input through a new log worker into
 * a new database and reads the origin's IndexedDB usage: before, with the empty
 * database open, after the import, and at rest. An import writes its large runs as
 * segments; what it leaves hot (a stream's last few hundred events) the worker's
 * compactor packs at 2 s idle, and "at rest" is read after it has: the run waits,
 * the worker still open, until no event is hot. Chromium keeps an origin's databases in one LevelDB, whose log file
 * holds fresh writes uncompressed until LevelDB turns it into compressed tables; it
 * does so on reopening, and Chromium closes the LevelDB a grace period after the
 * last connection closed. So "at rest" is read after the worker closed, that period
 * passed, and one connection opened and closed again. The database stays: the
 * harness runs each measurement in a new profile, since other databases' writes
 * and deletions in the same LevelDB would move the figure.
 * @throws Error when the import stores another count of events than `run.events`.
 */
export async function measureImportedStorage(
  run: StorageRun,
): Promise<StorageUsage> {
  const before = await settledUsage();
  const tab = await withTimeout(
    startLogWorker({ database: run.database }),
    START_TIMEOUT,
    'starting the log worker',
  );
  let empty: number;
  let imported = 0;
  let hotAfterImport = 0;
  let packedMs = 0;
  try {
    await tab.service.versionVector();
    empty = await settledUsage();
    const result = await tab.service.importLog(
      chosenFile(),
      proxy(() => undefined),
    );
    const importedAt = performance.now();
    if (result.stored !== run.events)
      throw new Error(
        `the import stored ${result.stored} events of ${run.events}`,
      );
    await withConnection(run.database, async (db) => {
      hotAfterImport = await hotEvents(db);
      // Within the compactor's idle time, so mostly before it packs anything.
      imported = await settledUsage();
      packedMs =
        (await untilPacked(db, undefined, PACKED_TIMEOUT_MS)) - importedAt;
    });
    await tab.service.close();
  } finally {
    tab.terminate();
  }
  await new Promise((resolve) => setTimeout(resolve, BACKING_STORE_CLOSED_MS));
  (await openDB(run.database)).close();
  const atRest = await settledUsage();
  return { before, empty, imported, atRest, hotAfterImport, packedMs };
}
