import type pg from 'pg';
import { RecentMap } from '../src/log/recent-map.ts';
import type { EventRecord } from '../src/log/store.ts';

/** Event text a relay process keeps of recent events, per database, at most. */
export const RECORD_CACHE_BYTES = 8 * 1024 * 1024;
/** What a record costs beyond its text: the objects that hold it, roughly. */
const RECORD_OVERHEAD = 256;

/**
 * The event records of one database's logs that this process committed or looked
 * up by id lately (not those read in pages: a catch-up would push every recent
 * record out), by log and id, up to RECORD_CACHE_BYTES of their text: the oldest go first.
 * A record never changes once stored (events are content-addressed; a position,
 * a generation and an arrival time are given once), so one kept here is what the
 * database holds. What a walk down a log's DAG reads (the conflict a merge
 * resolves, which an ingest records under the log's lock) comes from here
 * (`StoreReader.eventInMemory`): read from the database, it took a round trip per
 * event since the fork point.
 */
export class RecordCache {
  private kept = RecordCache.empty();

  private static empty() {
    return new RecentMap<string, readonly [EventRecord, number]>(
      RECORD_CACHE_BYTES,
      ([, bytes]) => bytes + RECORD_OVERHEAD,
    );
  }

  get(logId: string, id: string): EventRecord | undefined {
    return this.kept.get(`${logId}\n${id}`)?.[0];
  }

  /** Keeps a record the database holds; `bytes`: its stored text's length. */
  put(logId: string, record: EventRecord, bytes: number): void {
    this.kept.set(`${logId}\n${record.event.id}`, [record, bytes]);
  }

  /** Forgets everything: after a log's rows are deleted, they are not held. */
  clear(): void {
    this.kept = RecordCache.empty();
  }
}

const caches = new WeakMap<pg.Pool, RecordCache>();

/** The record cache of the database `pool` connects to (one per pool). */
export function recordCacheOf(pool: pg.Pool): RecordCache {
  let cache = caches.get(pool);
  if (!cache) caches.set(pool, (cache = new RecordCache()));
  return cache;
}
