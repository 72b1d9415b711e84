import type { Page } from 'playwright-core';
import { decodeSegment } from '../../../src/log/segment-codec.ts';
import type { SegmentMeta } from '../../../src/log/segment-directory.ts';
import type { EventRecord, StreamRecord } from '../../../src/log/store.ts';

/** Where a stored event sits: a hot record, or the segment under this key. */
export type Place = 'hot' | number;

/** What the profile's database holds, read with the raw IndexedDB API in one transaction. */
export interface StoredLog {
  /** Every stored event, hot and packed, by position: one entry per record found. */
  records: (EventRecord & { place: Place })[];
  /** Heads and sizes as the `streams` store keeps them. */
  streams: StreamRecord[];
  /** Keys of segments stored without their summary, or summaries without a segment. */
  unpaired: number[];
}

interface RawLog {
  hot: EventRecord[];
  segments: [number, Uint8Array][];
  metas: [number, SegmentMeta][];
  streams: StreamRecord[];
}

/**
 * Reads the profile's database as it is on disk, below the app: the hot tail, every
 * segment (decoded here with the codec the worker writes them with) and the streams'
 * heads. Throws if the app has not made the database yet: opening it here would
 * make an empty one, which the app's worker would then take as already set up.
 */
export async function readStoredLog(page: Page): Promise<StoredLog> {
  const raw = (await page.evaluate(readRaw, undefined)) as RawLog;
  const metas = new Map(raw.metas);
  const bodies = new Map(raw.segments);
  const unpaired = [...new Set([...metas.keys(), ...bodies.keys()])].filter(
    (key) => !metas.has(key) || !bodies.has(key),
  );
  const records: StoredLog['records'] = raw.hot.map((r) => ({
    ...r,
    place: 'hot',
  }));
  for (const [key, meta] of metas) {
    const body = bodies.get(key);
    if (!body) continue;
    for (const record of decodeSegment({ ids: meta.ids, body }, meta.stream))
      records.push({ ...record, place: key });
  }
  records.sort((a, b) => a.pos - b.pos);
  unpaired.sort((a, b) => a - b);
  return { records, streams: raw.streams, unpaired };
}

/** What the stores of a compaction held at one moment (`at`: Date.now() in the page). */
export interface StorageState {
  hot: number;
  segments: number;
  at: number;
}

/** What `watchCompaction` waits for. */
export interface CompactionWatch {
  /** Start once the hot tail holds at least this many events. */
  from: number;
  /** Stop after this many commits (changes seen)... */
  commits: number;
  /** ...or once the stores hold this (any number of segments when not given). */
  settled: { hot: number; segments?: number };
  /** Give up after this many ms, resolving with what was seen. */
  within: number;
  /**
   * Terminate the log worker the moment the last commit is seen, in the same task
   * (terminateLogWorker): a kill with no delay at all after a commit.
   */
  terminate?: boolean;
}

/**
 * Watches what the compactor does: from the moment the hot tail holds `from` events,
 * every change in how many hot events and how many segments there are is a commit,
 * whichever store it touched. Resolves with the first state and each changed one
 * after it, in order. The compactor announces nothing outside its worker, so the page
 * asks storage again as soon as each answer comes back: a question waits behind a
 * compaction transaction in progress and is answered once it has committed.
 */
export function watchCompaction(
  page: Page,
  watch: CompactionWatch,
): Promise<StorageState[]> {
  return page.evaluate(readRaw, {
    from: watch.from,
    commits: watch.commits,
    settled: watch.settled,
    until: Date.now() + watch.within,
    terminate: watch.terminate ?? false,
  }) as Promise<StorageState[]>;
}

/**
 * Runs in the page: reads the stores whole (no `watch`), or watches them. One
 * function for both because it is serialized: it may use globals only.
 */
async function readRaw(
  watch:
    | {
        from: number;
        commits: number;
        settled: { hot: number; segments?: number };
        until: number;
        terminate: boolean;
      }
    | undefined,
): Promise<RawLog | StorageState[]> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open('forkline');
    request.onupgradeneeded = () => {
      request.transaction!.abort();
      reject(new Error('the app has not made its database yet'));
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const answer = <T>(request: IDBRequest) =>
    new Promise<T>((resolve, reject) => {
      request.onsuccess = () => resolve(request.result as T);
      request.onerror = () => reject(request.error);
    });
  try {
    if (watch) {
      const { from, commits, settled, until } = watch;
      const seen: StorageState[] = [];
      for (;;) {
        const tx = db.transaction(['hot', 'segmentMeta'], 'readonly');
        const [hot, segments] = await Promise.all([
          answer<number>(tx.objectStore('hot').count()),
          answer<number>(tx.objectStore('segmentMeta').count()),
        ]);
        const at = Date.now();
        const last = seen.at(-1);
        if (last ? last.hot !== hot || last.segments !== segments : hot >= from)
          seen.push({ hot, segments, at });
        const done =
          seen.length > commits ||
          (seen.length > 0 &&
            hot === settled.hot &&
            (settled.segments ?? segments) === segments);
        if (done && watch.terminate)
          (
            globalThis as unknown as { forklineTerminateLogWorker(): void }
          ).forklineTerminateLogWorker();
        if (done || at > until) return seen;
      }
    }
    const tx = db.transaction(
      ['hot', 'segments', 'segmentMeta', 'streams'],
      'readonly',
    );
    const all = <T>(store: string) =>
      answer<T[]>(tx.objectStore(store).getAll());
    const keys = (store: string) =>
      answer<number[]>(tx.objectStore(store).getAllKeys());
    const [hot, bodies, bodyKeys, metas, metaKeys, streams] = await Promise.all(
      [
        all<EventRecord>('hot'),
        all<{ body: Uint8Array }>('segments'),
        keys('segments'),
        all<SegmentMeta>('segmentMeta'),
        keys('segmentMeta'),
        all<StreamRecord>('streams'),
      ],
    );
    return {
      hot,
      segments: bodyKeys.map((key, i) => [key, bodies[i]!.body]),
      metas: metaKeys.map((key, i) => [key, metas[i]!]),
      streams,
    };
  } finally {
    db.close();
  }
}
