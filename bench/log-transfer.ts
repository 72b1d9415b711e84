import type { Page } from 'playwright-core';
import { callBench, cleanUp } from './browser-session.ts';
import { sampleRuns, toResult } from './measure.ts';
import { formatNumber } from './report-table.ts';
import type { Scenario, ScenarioContext } from './scenario.ts';

const EVENTS = 100_000;
const QUICK_EVENTS = 10_000;
const BATCH = 1000;
const STREAMS = 4;

/**
 * Runs `body` on a new tab whose page has appended the source log (not timed), then
 * closes its worker, deletes its database and closes the tab.
 */
async function withSourceLog<T>(
  context: ScenarioContext,
  name: string,
  body: (page: Page, events: number) => Promise<T>,
): Promise<T> {
  const events = context.quick ? QUICK_EVENTS : EVENTS;
  const page = await (await context.browser()).openTab();
  try {
    const ms = await callBench(page, 'buildSourceLog', {
      database: `bench-${name}-source`,
      events,
      batch: BATCH,
      streams: STREAMS,
    });
    context.note(
      `appended the ${events}-event source log in ${Math.round(ms)} ms`,
    );
    return await body(page, events);
  } finally {
    await cleanUp(
      context.note,
      () => callBench(page, 'closeSourceLog'),
      () => page.close(),
    );
  }
}

const megabytesPerSecond = (run: { ms: number; bytes: number }) =>
  run.bytes / 1e6 / (run.ms / 1000);

/**
 * DESIGN §8 and §13: the whole log to a JSON Lines Blob through the real worker, with
 * a Comlink-proxied progress callback, as the page's export button does. The floor
 * is JSON.stringify, in the page, of the CloudEvents objects the export writes: the
 * same bytes, without reading IndexedDB or building a Blob.
 */
export const exportScenario: Scenario = {
  name: 'export.throughput',
  summary:
    'MB/s of service.exportLog of a 100k-event log vs JSON.stringify of the same records',
  run: (context) =>
    withSourceLog(context, 'export', async (page) => {
      const sizes = new Set<string>();
      const samples = await sampleRuns(context.runs, async () => {
        const floor = await callBench(page, 'timeStringify');
        const exported = await callBench(page, 'timeExport');
        sizes.add(`${formatNumber(exported.bytes / 1e6)} MB exported`);
        sizes.add(`${formatNumber(floor.bytes / 1e6)} MB stringified`);
        return {
          stringify: megabytesPerSecond(floor),
          export: megabytesPerSecond(exported),
        };
      });
      context.note([...sizes].join(', '));
      const floor = toResult(
        'json.stringify.export.throughput',
        'MB/s',
        samples.stringify,
      );
      return [
        floor,
        toResult('export.throughput', 'MB/s', samples.export, {
          baseline: floor,
        }),
      ];
    }),
};

/**
 * DESIGN §8 and §13: an export of the source log imported by a second log worker of
 * the same page into a new database: every line checked and every id recomputed,
 * then one transaction. Each run checks the copy's heads and version vector. The
 * baseline puts the same events into one object store in one transaction.
 */
export const importScenario: Scenario = {
  name: 'import.throughput',
  summary:
    'events/s of service.importLog of a 100k-event export into a new database vs raw idb puts',
  run: (context) =>
    withSourceLog(context, 'import', async (page, events) => {
      await callBench(page, 'timeExport');
      const samples = await sampleRuns(context.runs, async (run) => {
        const idbMs = await callBench(
          page,
          'timeIdbImport',
          `bench-idb-import-${run}`,
        );
        const importMs = await callBench(
          page,
          'timeImport',
          `bench-import-${run}`,
        );
        return {
          idb: (events / idbMs) * 1000,
          import: (events / importMs) * 1000,
        };
      });
      const idb = toResult(
        'idb.put.import.throughput',
        'events/s',
        samples.idb,
      );
      return [
        idb,
        toResult('import.throughput', 'events/s', samples.import, {
          baseline: idb,
        }),
      ];
    }),
};
