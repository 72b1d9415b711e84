// The hot tail of the log's IndexedDB store (issue 14): events stored one record each
// in `events`, not yet packed into segments. Written and watched from the page.
import { openDB, type IDBPDatabase } from 'idb';
import { openLog } from '../../src/index.ts';
import type { ForklineDB } from '../../worker/idb-schema.ts';
import { openIdbStore } from '../../worker/idb-store.ts';
import { benchBatches } from './bench-data.ts';
import type { HotTail } from './protocol.ts';

/** How often a wait reads the count of hot events while the compactor works. */
const POLL_MS = 50;

/**
 * Appends `tail.events` bench events to `tail.stream` of a new database through the
 * engine on the IndexedDB store, with background compaction off and no batch large
 * enough to be written as a segment (`directSegmentMin`), so that every one stays
 * hot. Resolves to the ms the appends took.
 * @throws Error when an event did not stay hot.
 */
export async function fillHotTail(tail: HotTail): Promise<number> {
  const store = await openIdbStore(tail.database, {
    compaction: false,
    directSegmentMin: Infinity,
  });
  const log = await openLog({ store });
  const batches = benchBatches(tail.batch, tail.events);
  let ms: number;
  try {
    const started = performance.now();
    for (const batch of batches) await log.append(tail.stream, batch);
    ms = performance.now() - started;
  } finally {
    await log.close();
  }
  const hot = await withConnection(tail.database, (db) =>
    hotEvents(db, tail.stream),
  );
  if (hot !== tail.events)
    throw new Error(`${hot} of ${tail.events} events stayed hot`);
  return ms;
}

/** Runs `body` on a connection of the page's own to an existing database. */
export async function withConnection<T>(
  database: string,
  body: (db: IDBPDatabase<ForklineDB>) => Promise<T>,
): Promise<T> {
  // No version: the one the log's store made, never an upgrade.
  const db = await openDB<ForklineDB>(database);
  try {
    return await body(db);
  } finally {
    db.close();
  }
}

const hotRange = (stream?: string) =>
  stream === undefined
    ? undefined
    : IDBKeyRange.bound([stream, 0], [stream, Infinity]);

/** Hot events of `stream`, or of every stream when none is named. */
export function hotEvents(
  db: IDBPDatabase<ForklineDB>,
  stream?: string,
): Promise<number> {
  return db.count('hot', hotRange(stream));
}

/**
 * Resolves, with the time it saw it, once `db` holds no hot event of `stream` (of
 * any stream when none is named): the log worker's background compactor has packed
 * them. A wait for a condition: the worker announces nothing when it compacts, so
 * the count is read every POLL_MS, each read a short readonly transaction.
 * @throws Error when events are still hot after `timeoutMs`.
 */
export async function untilPacked(
  db: IDBPDatabase<ForklineDB>,
  stream: string | undefined,
  timeoutMs: number,
): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    // The first key only: counting thousands of keys every poll held up the very
    // appends whose latency the bench measures.
    const range = hotRange(stream);
    const first = range
      ? await db.getKey('hot', range)
      : (await db.transaction('hot').store.openKeyCursor())?.key;
    if (first === undefined) return performance.now();
    if (performance.now() > deadline)
      throw new Error(
        `${await hotEvents(db, stream)} events still hot ${timeoutMs} ms on: the compactor did not pack them`,
      );
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
