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
 * and, for reference, of the bare event inputs (`idb.put.data…`, a third the size)
 * and of the stored records into a store with the log's key and indexes
 * (`idb.put.indexed…`: what IndexedDB alone charges for the log's layout).
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
        const indexedMs = await callBench(
          page,
          'idbPutBatches',
          { database: `bench-idb-indexed-batches-${run}`, sizes },
          'indexed',
        );
        const logMs = await callBench(page, 'appendBatches', {
          database: `bench-log-batches-${run}`,
          sizes,
        });
        const figures: Record<string, number> = {};
        sizes.forEach(({ batch, total }, i) => {
          figures[`idb${batch}`] = (total / idbMs[i]!) * 1000;
          figures[`data${batch}`] = (total / dataMs[i]!) * 1000;
          figures[`indexed${batch}`] = (total / indexedMs[i]!) * 1000;
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
          { baseline: idb, ...(batch === 1000 ? { goal: '>= 1.0x idb' } : {}) },
        );
        // Where the rest goes: raw puts into a store with the log's key and indexes.
        const indexed = toResult(
          `idb.put.indexed.batch${batch}.throughput`,
          'events/s',
          samples[`indexed${batch}`]!,
        );
        return [data, idb, indexed, log];
      });
    } finally {
      await cleanUp(context.note, () => page.close());
    }
  },
};
