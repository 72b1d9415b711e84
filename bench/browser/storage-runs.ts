// What the real log worker's IndexedDB database occupies on disk once a log is
// imported into it (DESIGN §13 storage.bytes-per-event), as the browser counts it.
import { proxy } from 'comlink';
import { openDB } from 'idb';
import { startLogWorker } from '../../src/ui/log-client.ts';
import { withTimeout } from './bench-data.ts';
import type { StorageRun, StorageUsage } from './protocol.ts';

const START_TIMEOUT = 30_000;
/** Chromium updates its usage figure after the write: wait until it holds still. */
const SETTLE_POLL_MS = 250;
const SETTLE_TIMEOUT_MS = 10_000;
/** More than Chromium's grace period (2 s) before it closes an unused LevelDB. */
const BACKING_STORE_CLOSED_MS = 3_000;

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
 * Imports `run.jsonl` through a new log worker into a new database and reads the
 * origin's IndexedDB usage: before, with the empty database open, after the import,
 * and at rest. Chromium keeps an origin's databases in one LevelDB, whose log file
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
  let imported: number;
  try {
    await tab.service.versionVector();
    empty = await settledUsage();
    const result = await tab.service.importLog(
      new Blob([run.jsonl]),
      proxy(() => undefined),
    );
    if (result.stored !== run.events)
      throw new Error(
        `the import stored ${result.stored} events of ${run.events}`,
      );
    imported = await settledUsage();
    await tab.service.close();
  } finally {
    tab.terminate();
  }
  await new Promise((resolve) => setTimeout(resolve, BACKING_STORE_CLOSED_MS));
  (await openDB(run.database)).close();
  const atRest = await settledUsage();
  return { before, empty, imported, atRest };
}
