// The insights figures (issue 17), in the peer page: the engine and the worker's
// own services over the app's IndexedDB database, on this page's thread (what the
// worker runs, without the hop to it). The harness imported the log through the
// app first, and closed the app's tabs.
import {
  openDocument,
  openLogOn,
  type Log,
  type ProjectionHandle,
} from '../../src/index.ts';
import { attribute, authorshipProjection } from '../../src/doc/authorship.ts';
import { readTextAt } from '../../src/doc/document.ts';
import {
  insightsOf,
  insightsProjection,
  type InsightsState,
} from '../../src/doc/insights.ts';
import { createInsightsService } from '../../worker/insights-service.ts';
import { openIdbStore, type IdbStore } from '../../worker/idb-store.ts';
import { eventPages } from '../../src/log/store.ts';
import {
  projectionKeyOf,
  projectionStateKeyOf,
} from '../../src/log/projections.ts';
import type { InsightsFigures, InsightsSpec } from './peer-protocol.ts';

/**
 * A full collection of the page's heap before a figure is timed (V8's `gc`, which
 * the benchmarks' browser exposes): the figures come one after another in one page,
 * and a major collection of what an earlier one left (up to 150 ms at 260k events)
 * otherwise lands on whichever figure is timed next.
 */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Until `handle` has taken in everything `log` holds. */
async function caughtUp(handle: ProjectionHandle<unknown>, log: Log) {
  const target = await log.versionVector();
  const covered = () =>
    Object.entries(target).every(([a, s]) => (handle.vector[a] ?? 0) >= s);
  if (covered()) return;
  await new Promise<void>((resolve) => {
    const stop = handle.onChange(() => {
      if (!covered()) return;
      stop();
      resolve();
    });
  });
}

/** `count` edits at the end of document `docId`, one event each, timed. */
async function appendEdits(
  log: Log,
  docId: string,
  count: number,
): Promise<number> {
  const doc = await openDocument(log, docId, { author: 'Bench' });
  const { text } = await doc.summary();
  let length = text.length;
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    await doc.editText(length, 0, 'x');
    length++;
  }
  return performance.now() - started;
}

/**
 * The figures that read (`spec.phase` 'reads': the whole-log read, the first
 * computation, the service's) or the ones that write (the rest: appends, a reopen,
 * authorship). The bench takes every run's reads before any run's writes: a run
 * appends 5,000 events and packs and merges them, and the browser's storage works
 * that off for seconds after (on this 2-core machine the next run's whole-log read
 * waited on IndexedDB, idle, and took 367, 701, 1,071, then 1,483 ms in four runs
 * one after another).
 */
export async function insightsRuns(
  spec: InsightsSpec,
): Promise<Partial<InsightsFigures>> {
  const store = await openIdbStore(spec.database);
  const log = await openLogOn(store);
  try {
    // Timed on the store as it settles: opened, it packs and merges what the last run
    // appended, and that sweep (about 2 s at 260k) landed on whichever figure came next.
    await store.compacted();
    return spec.phase === 'reads'
      ? await readFigures(log, store)
      : await writeFigures(log, store, spec);
  } finally {
    await log.close();
  }
}

async function readFigures(log: Log, store: IdbStore) {
  // The baseline: every event of the log read once, in arrival order.
  collectGarbage();
  let started = performance.now();
  let events = 0;
  for await (const event of log.since({})) if (event) events++;
  const read = performance.now() - started;
  // The same events as a projection reads them: in pages, no async step per
  // event, nothing folded. What the first computation adds to this is its own.
  collectGarbage();
  started = performance.now();
  for await (const page of eventPages(store, 1, { streams: 'doc/' }))
    if (page.length === 0) break;
  const pagesRead = performance.now() - started;

  // The first computation: the projection from nothing, as the worker's service opens it.
  collectGarbage();
  started = performance.now();
  // A name no run used: a checkpoint an earlier run saved would be reopened.
  const name = `insights-first-${crypto.randomUUID()}`;
  const first = await log.project(name, insightsProjection(), {
    streams: 'doc/',
  });
  const data = insightsOf(first.state);
  const full = performance.now() - started;
  const stats = first.stats;
  await first.close();
  // Its checkpoint is not left for the next run's storage to carry.
  await store.deleteSnapshot(projectionStateKeyOf(name));
  await store.deleteSnapshot(projectionKeyOf(name));
  const insights = createInsightsService(log, store);
  started = performance.now();
  await insights.insights();
  const again = performance.now() - started;
  return {
    events,
    read,
    pagesRead,
    full,
    again,
    conflicts: data.conflicts.length,
    longestDocId: data.busiestDocuments[0]?.docId,
    stats,
  };
}

async function writeFigures(log: Log, store: IdbStore, spec: InsightsSpec) {
  const insights = createInsightsService(log, store);
  await insights.insights();
  let started: number;
  // Per event: appends with a live projection open, less the same appends without.
  // The machine's noise is larger than the difference: each round times both, one
  // right after the other, in turn which first, each once the store has settled
  // (closing the projection saves its checkpoint, and appends leave the store
  // packing), and the figure is the median of the rounds' differences. With the
  // medians of three rounds of each taken apart, the figure went from 0.3 to 1.7
  // ms an event from one run to the next.
  const liveName = `insights-live-${crypto.randomUUID()}`;
  const plainRounds: number[] = [];
  const differences: number[] = [];
  const timePlain = async () => {
    await store.compacted();
    return appendEdits(log, spec.quietDocId, spec.appendEvents);
  };
  const timeLive = async () => {
    const live = await log.project(liveName, insightsProjection(), {
      streams: 'doc/',
    });
    await caughtUp(live, log);
    await store.compacted();
    started = performance.now();
    await appendEdits(log, spec.quietDocId, spec.appendEvents);
    await caughtUp(live, log);
    const took = performance.now() - started;
    await live.close();
    return took;
  };
  for (let round = 0; round < 5; round++) {
    let plainRound: number;
    let liveRound: number;
    if (round % 2 === 0) {
      plainRound = await timePlain();
      liveRound = await timeLive();
    } else {
      liveRound = await timeLive();
      plainRound = await timePlain();
    }
    plainRounds.push(plainRound);
    differences.push(liveRound - plainRound);
  }
  const plain = median(plainRounds);
  started = performance.now();
  await insights.insights();
  const refresh = performance.now() - started;

  // Reopening from a checkpoint (the live one's, saved as it closed: an odd
  // number of rounds ends with it), against folding just the events since it.
  const since = await log.versionVector();
  await appendEdits(log, spec.quietDocId, spec.reopenEvents);
  await store.compacted();
  // Both read the events since the checkpoint: read once first, so that neither
  // pays alone for the storage's caches (the baseline, second, used to get them warm).
  for await (const event of log.since(since)) if (!event) break;
  collectGarbage();
  started = performance.now();
  const reopened = await log.project(liveName, insightsProjection(), {
    streams: 'doc/',
  });
  const reopen = performance.now() - started;
  await reopened.close();
  const projection = insightsProjection();
  collectGarbage();
  started = performance.now();
  let state: InsightsState = projection.initial();
  for await (const event of log.since(since))
    state = projection.evolve(state, event);
  const foldSince = performance.now() - started;

  // Authorship of the longest document: its index from nothing (kept after), then shown.
  const longest = spec.longestDocId ?? spec.quietDocId;
  const stream = `doc/${longest}`;
  started = performance.now();
  const index = await log.project(
    `authorship\n${stream}`,
    authorshipProjection(stream),
    { streams: stream },
  );
  const authorshipIndex = performance.now() - started;
  const handle = await openDocument(log, longest);
  await handle.summary(); // the text itself, opened: not authorship's cost
  started = performance.now();
  const attributed = await readTextAt(handle, undefined, (text) =>
    attribute(text, index.state),
  );
  const authorship = performance.now() - started;
  await index.close();
  const characters = attributed.runs.reduce((n, r) => n + r.text.length, 0);

  return {
    perEvent: median(differences) / spec.appendEvents,
    appendPerEvent: plain / spec.appendEvents,
    refresh,
    reopen,
    foldSince,
    reopenEvents: spec.reopenEvents,
    authorshipIndex,
    authorship,
    characters,
  };
}

/**
 * Packs whatever the app's worker left unpacked in `database` (what its background
 * compaction does once the page is idle): the explorer is timed on the store as it
 * settles, not while a sweep runs beside it.
 */
export async function compactDatabase(database: string): Promise<number> {
  const store = await openIdbStore(database);
  try {
    return await store.compact();
  } finally {
    await store.close();
  }
}
