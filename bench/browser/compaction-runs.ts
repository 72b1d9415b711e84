// Compaction (issue 14): a hot tail packed into segments on demand, timed, and
// single-event appends through the real log worker while its compactor packs one.
import { startLogWorker, type LogWorker } from '../../src/ui/log-client.ts';
import { openIdbStore } from '../../worker/idb-store.ts';
import { deleteDatabase } from './append-runs.ts';
import { benchData, EVENT_TYPE, withTimeout } from './bench-data.ts';
import { hotEvents, untilPacked, withConnection } from './hot-tail.ts';
import type {
  CompactionRun,
  HotTail,
  Latencies,
  TypingDuringCompaction,
  TypingRun,
} from './protocol.ts';

const START_TIMEOUT = 30_000;
/** Packing a 20k-event tail takes seconds; this only turns a stuck compactor into an error. */
const PACKED_TIMEOUT = 120_000;
/** Appends timed while nothing is being compacted: at least this many. */
const IDLE_APPENDS = 100;

/**
 * `store.compact(tail.stream)` on the hot tail `fillHotTail` left in `tail.database`,
 * with background compaction off so that only the timed call packs; then the
 * database is deleted.
 * @throws Error when it packed another count of events, or left any hot.
 */
export async function timeCompaction(tail: HotTail): Promise<CompactionRun> {
  try {
    const store = await openIdbStore(tail.database, { compaction: false });
    let ms: number;
    let packed: number;
    try {
      const started = performance.now();
      packed = await store.compact(tail.stream);
      ms = performance.now() - started;
    } finally {
      await store.close();
    }
    const hot = await withConnection(tail.database, (db) =>
      hotEvents(db, tail.stream),
    );
    if (packed !== tail.events || hot !== 0)
      throw new Error(
        `compact() packed ${packed} of ${tail.events} hot events and left ${hot}`,
      );
    return { ms, packed };
  } finally {
    await deleteDatabase(tail.database);
  }
}

/**
 * Single-event appends through a new log worker on `run.database`, which holds a
 * hot tail: the worker's compactor starts packing it as the store opens (the sweep
 * at open), and the appends go on until no event of `run.hotStream` is hot, each
 * `run.intervalMs` after the previous one resolved, as keystrokes come. Then as
 * many more (at least IDLE_APPENDS) with nothing to compact: the baseline. The
 * worker closes and the database is deleted.
 */
export async function typeDuringCompaction(
  run: TypingRun,
): Promise<TypingDuringCompaction> {
  try {
    return await withConnection(run.database, async (watcher) => {
      const started = performance.now();
      const tab = await withTimeout(
        startLogWorker({ database: run.database }),
        START_TIMEOUT,
        'starting the log worker',
      );
      try {
        let packing = true;
        const packed = untilPacked(watcher, run.hotStream, PACKED_TIMEOUT);
        // Handled here so that a timeout is not reported as unhandled before the await.
        packed.then(
          () => (packing = false),
          () => (packing = false),
        );
        const type = timedAppends(tab, run);
        const appends: TimedAppend[] = [];
        while (packing) appends.push(await type.next());
        const packedAt = await packed;
        // An append that started once the tail was packed did not wait for it.
        const during = appends
          .filter((a) => a.startedAt < packedAt)
          .map((a) => a.ms);
        if (during.length === 0)
          throw new Error(
            'the tail was packed before the first append: make it longer',
          );
        const idle: Latencies = [];
        while (idle.length < Math.max(during.length, IDLE_APPENDS))
          idle.push((await type.next()).ms);
        return { during, idle, compactionMs: packedAt - started };
      } finally {
        await tab.service.close();
        tab.terminate();
      }
    });
  } finally {
    await deleteDatabase(run.database);
  }
}

interface TimedAppend {
  startedAt: number;
  ms: number;
}

/** One bench event at a time to `run.typingStream`: each call waits, appends, times it. */
function timedAppends(tab: LogWorker, run: TypingRun) {
  let n = 0;
  return {
    async next(): Promise<TimedAppend> {
      await new Promise((resolve) => setTimeout(resolve, run.intervalMs));
      const event = { type: EVENT_TYPE, data: benchData(n++) };
      const startedAt = performance.now();
      await tab.service.append(run.typingStream, event);
      return { startedAt, ms: performance.now() - startedAt };
    },
  };
}
