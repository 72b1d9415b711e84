import { callBench, cleanUp } from './browser-session.ts';
import { sampleRuns, toResult } from './measure.ts';
import type { BenchResult, Scenario } from './scenario.ts';

const BATCHES = [1, 10, 100, 1000] as const;
type Batch = (typeof BATCHES)[number];

/** Events one timed writer appends, per batch size: a few hundred ms of work each. */
const TOTAL: Record<Batch, number> = {
  1: 300,
  10: 1000,
  100: 3000,
  1000: 10_000,
};
const QUICK_TOTAL: Record<Batch, number> = {
  1: 30,
  10: 100,
  100: 500,
  1000: 1000,
};

/**
 * DESIGN §13: appends through the real log worker, driven from the page by Comlink,
 * against raw idb puts of the same events from a worker of the same page, one
 * transaction per batch. In each run each writer gets a new database (deleted after
 * it) and goes through the batch sizes in turn, one stream per size.
 */
export const appendBatchScenario: Scenario = {
  name: 'append.batch1000.throughput',
  summary:
    'events/s appended through the worker in batches of 1..1000 vs raw idb puts',
  async run(context) {
    const totals = context.quick ? QUICK_TOTAL : TOTAL;
    const page = await (await context.browser()).openTab();
    try {
      const sizes = BATCHES.map((batch) => ({ batch, total: totals[batch] }));
      const samples = await sampleRuns(context.runs, async (run) => {
        const idbMs = await callBench(page, 'idbPutBatches', {
          database: `bench-idb-batches-${run}`,
          sizes,
        });
        const logMs = await callBench(page, 'appendBatches', {
          database: `bench-log-batches-${run}`,
          sizes,
        });
        const figures: Record<string, number> = {};
        sizes.forEach(({ batch, total }, i) => {
          figures[`idb${batch}`] = (total / idbMs[i]!) * 1000;
          figures[`log${batch}`] = (total / logMs[i]!) * 1000;
        });
        return figures;
      });
      return BATCHES.flatMap((batch): BenchResult[] => {
        const idb = toResult(
          `idb.put.batch${batch}.throughput`,
          'events/s',
          samples[`idb${batch}`]!,
        );
        const log = toResult(
          `append.batch${batch}.throughput`,
          'events/s',
          samples[`log${batch}`]!,
          { baseline: idb, ...(batch === 1000 ? { goal: '>= 0.5x idb' } : {}) },
        );
        return [idb, log];
      });
    } finally {
      await cleanUp(context.note, () => page.close());
    }
  },
};
