import { callBench, cleanUp } from './browser-session.ts';
import { percentile, sampleRuns, toResult } from './measure.ts';
import type { Scenario } from './scenario.ts';

/**
 * Single-event append latency as a page sees it: Comlink to the log worker, one
 * IndexedDB transaction, the reply. The baseline is one raw idb put per transaction
 * behind the same hop, of a record the size of the one the log stores. p50 and p99 are taken per run, then their medians reported.
 */
export const appendSingleScenario: Scenario = {
  name: 'append.single.p50',
  summary: 'ms per single-event append through the worker vs one raw idb put',
  async run(context) {
    const count = context.quick ? 100 : 500;
    const page = await (await context.browser()).openTab();
    try {
      const samples = await sampleRuns(context.runs, async (run) => {
        const idb = await callBench(
          page,
          'idbPutSingles',
          { database: `bench-idb-single-${run}`, count },
          'stored',
        );
        const log = await callBench(page, 'appendSingles', {
          database: `bench-log-single-${run}`,
          count,
        });
        return {
          idbP50: percentile(idb, 50),
          idbP99: percentile(idb, 99),
          logP50: percentile(log, 50),
          logP99: percentile(log, 99),
        };
      });
      const idbP50 = toResult('idb.put.single.p50', 'ms', samples.idbP50);
      const idbP99 = toResult('idb.put.single.p99', 'ms', samples.idbP99);
      return [
        idbP50,
        toResult('append.single.p50', 'ms', samples.logP50, {
          baseline: idbP50,
        }),
        idbP99,
        toResult('append.single.p99', 'ms', samples.logP99, {
          baseline: idbP99,
        }),
      ];
    } finally {
      await cleanUp(context.note, () => page.close());
    }
  },
};
