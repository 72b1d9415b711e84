import { callBench, cleanUp } from './browser-session.ts';
import { percentile, sampleRuns, toResult } from './measure.ts';
import { formatNumber } from './report-table.ts';
import type { Scenario } from './scenario.ts';

const HOT = 20_000;
const QUICK_HOT = 5_000;
/** Events per append while writing the hot tail (kept hot by `directSegmentMin`). */
const BATCH = 1000;
const HOT_STREAM = 'bench/hot';
const TYPING_STREAM = 'bench/typing';
/** Between one single append's reply and the next: keystrokes a frame or so apart. */
const TYPING_INTERVAL_MS = 20;

const perSecond = (events: number, ms: number) => (events / ms) * 1000;

/**
 * Issue 14's compaction cost, DESIGN §13 `compaction.throughput`. A hot tail of
 * bench events (one IndexedDB record each) is written in the page through the
 * engine on `openIdbStore` with background compaction off, then:
 * - packed by `store.compact()` on a store opened again, still without background
 *   compaction, timed: events/s compacted, against the events/s the same events
 *   took to append hot (the baseline);
 * - written again to another database and opened by the real log worker, whose
 *   compactor starts packing it at open; meanwhile single-event appends through the
 *   worker, as typing makes them, are timed until no event of the tail is hot; then
 *   as many more with nothing left to compact, the baseline.
 */
export const compactionScenario: Scenario = {
  name: 'compaction.throughput',
  summary:
    'events/s store.compact() packs a 20k-event hot tail, and append latency while the worker compacts',
  async run(context) {
    const events = context.quick ? QUICK_HOT : HOT;
    const page = await (await context.browser()).openTab();
    const tail = (database: string) => ({
      database,
      stream: HOT_STREAM,
      events,
      batch: BATCH,
    });
    try {
      const samples = await sampleRuns(context.runs, async (run) => {
        const packing = tail(`bench-compaction-${run}`);
        const fillMs = await callBench(page, 'fillHotTail', packing);
        const compacted = await callBench(page, 'timeCompaction', packing);
        const typing = tail(`bench-compaction-typing-${run}`);
        await callBench(page, 'fillHotTail', typing);
        const typed = await callBench(page, 'typeDuringCompaction', {
          database: typing.database,
          hotStream: HOT_STREAM,
          typingStream: TYPING_STREAM,
          intervalMs: TYPING_INTERVAL_MS,
        });
        context.note(
          `run ${run}: ${events} hot events packed by compact() in ${Math.round(compacted.ms)} ms; ` +
            `by the worker's compactor in ${Math.round(typed.compactionMs)} ms from its start, ` +
            `${typed.during.length} appends meanwhile (slowest ${formatNumber(Math.max(...typed.during))} ms)`,
        );
        return {
          fill: perSecond(events, fillMs),
          compact: perSecond(compacted.packed, compacted.ms),
          background: perSecond(events, typed.compactionMs),
          duringP50: percentile(typed.during, 50),
          duringP99: percentile(typed.during, 99),
          idleP50: percentile(typed.idle, 50),
          idleP99: percentile(typed.idle, 99),
        };
      });
      const fill = toResult(
        'compaction.hot-append.throughput',
        'events/s',
        samples.fill,
      );
      const idleP50 = toResult(
        'compaction.typing.idle.p50',
        'ms',
        samples.idleP50,
      );
      const idleP99 = toResult(
        'compaction.typing.idle.p99',
        'ms',
        samples.idleP99,
      );
      return [
        fill,
        toResult('compaction.throughput', 'events/s', samples.compact, {
          baseline: fill,
        }),
        toResult(
          'compaction.background.throughput',
          'events/s',
          samples.background,
          { baseline: fill },
        ),
        idleP50,
        toResult('compaction.typing.p50', 'ms', samples.duringP50, {
          baseline: idleP50,
        }),
        idleP99,
        toResult('compaction.typing.p99', 'ms', samples.duringP99, {
          baseline: idleP99,
          goal: '<= 16',
        }),
      ];
    } finally {
      await cleanUp(context.note, () => page.close());
    }
  },
};
