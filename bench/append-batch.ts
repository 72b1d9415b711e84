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
 * against raw idb puts from a worker of the same page, one transaction per batch,
 * of records the size of those the log stores (the baseline: the ceiling),
 * and of the bare event inputs (`idb.put.data…`, a third the size, for reference).
 * In each run each writer gets a new database (deleted after it) and goes through
 * the batch sizes in turn, one stream per size.
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
        const idbMs = await callBench(
          page,
          'idbPutBatches',
          { database: `bench-idb-batches-${run}`, sizes },
          'stored',
        );
        const dataMs = await callBench(
          page,
          'idbPutBatches',
          { database: `bench-idb-data-batches-${run}`, sizes },
          'data',
        );
        const logMs = await callBench(page, 'appendBatches', {
          database: `bench-log-batches-${run}`,
          sizes,
        });
        const figures: Record<string, number> = {};
        sizes.forEach(({ batch, total }, i) => {
          figures[`idb${batch}`] = (total / idbMs[i]!) * 1000;
          figures[`data${batch}`] = (total / dataMs[i]!) * 1000;
          figures[`log${batch}`] = (total / logMs[i]!) * 1000;
        });
        return figures;
      });
      return BATCHES.flatMap((batch): BenchResult[] => {
        const data = toResult(
          `idb.put.data.batch${batch}.throughput`,
          'events/s',
          samples[`data${batch}`]!,
        );
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
        return [data, idb, log];
      });
    } finally {
      await cleanUp(context.note, () => page.close());
    }
  },
};
