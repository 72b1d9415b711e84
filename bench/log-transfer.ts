import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { callBench, cleanUp } from './browser-session.ts';
import { profileWorkers } from './cpu-profile.ts';
import { sampleRuns, summarize, toResult } from './measure.ts';
import { formatNumber } from './report-table.ts';
import type { BenchResult, Scenario, ScenarioContext } from './scenario.ts';
import { WorkerHeapProbe, type HeapPeaks } from './worker-heap.ts';

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

/**
 * The log workers' heap while `body` runs, read from outside (worker-heap.ts). In a
 * run of its own after the timed ones, so that the sampling cannot slow them.
 */
async function heapDuring(
  page: Page,
  body: () => Promise<unknown>,
): Promise<HeapPeaks> {
  const probe = await WorkerHeapProbe.attach(page);
  try {
    const sampling = probe.sample();
    const failed = await body().then(
      () => undefined,
      (error: unknown) => ({ error }),
    );
    const peaks = await sampling.stop();
    if (failed) throw failed.error;
    return peaks;
  } finally {
    await probe.detach();
  }
}

/** A figure measured once, in MB. */
const megabytes = (name: string, mb: number, baseline?: BenchResult) =>
  toResult(name, 'MB', summarize([mb]), baseline ? { baseline } : {});

/** The one value of `values`, or an error naming what was expected. */
function single(values: number[], what: string): number {
  if (values.length !== 1)
    throw new Error(`expected one ${what}, sampled ${values.length}`);
  return values[0]!;
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
      const heap = await heapDuring(page, () => callBench(page, 'timeExport'));
      // FORKLINE_PROFILE_DIR: the log worker through one more export, untimed.
      const profiles = process.env.FORKLINE_PROFILE_DIR;
      if (profiles) {
        const stop = await profileWorkers(
          page,
          join(profiles, 'export-worker.cpuprofile'),
        );
        await callBench(page, 'timeExport');
        context.note(
          `profiled the log worker: ${Math.round(await stop())} ms busy`,
        );
      }
      const floor = toResult(
        'json.stringify.export.throughput',
        'MB/s',
        samples.stringify,
      );
      const before = megabytes(
        'export.heap.before',
        single(heap.first, 'log worker'),
      );
      return [
        floor,
        toResult('export.throughput', 'MB/s', samples.export, {
          baseline: floor,
          goal: '>= 100',
        }),
        before,
        megabytes(
          'export.heap.peak',
          single(heap.running, 'log worker'),
          before,
        ),
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
      const heap = await heapDuring(page, () =>
        callBench(page, 'timeImport', 'bench-import-heap'),
      );
      const idb = toResult(
        'idb.put.import.throughput',
        'events/s',
        samples.idb,
      );
      return [
        idb,
        toResult('import.throughput', 'events/s', samples.import, {
          baseline: idb,
          goal: '>= 30000',
        }),
        megabytes(
          'import.heap.peak',
          single(heap.started, 'importing log worker'),
        ),
      ];
    }),
};
