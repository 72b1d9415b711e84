import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { callPeers, importThroughApp, launchBuiltApp } from './built-app.ts';
import {
  profileMainThread,
  profileWorkers,
  traceMainThread,
} from './cpu-profile.ts';
import { cachedInsightsLog } from './insights-log.ts';
import { watchWorkers } from './worker-watchdog.ts';
import { sampleRuns, summarize, toResult } from './measure.ts';
import type { BenchResult, Scenario } from './scenario.ts';
import type { InsightsFigures } from './browser/peer-protocol.ts';

/** The app's own database: the log is imported through the app, as a person would. */
const DATABASE = 'forkline';
const FIELD_SET = 'doc.field.set';
const VERSION_RESTORED = 'doc.version.restored';

/** A filter as the explorer's fields set it: which field, and the value chosen. */
type FilterStep = {
  label: string;
  field: 'Stream' | 'Type' | 'From';
  value: string;
};

/**
 * In the app's page, the explorer open: sets each field in turn (then back to
 * nothing) and times, from the change, the frame that first paints the rows the
 * filter gives. The explorer says "Reading events…" until they come.
 */
async function timeFilters(page: Page, steps: FilterStep[]): Promise<number[]> {
  return page.evaluate(async (steps) => {
    const region = document.querySelector('[aria-label="Event explorer"]')!;
    const field = (label: string) =>
      [...region.querySelectorAll('label')]
        .find((l) => l.querySelector('.label')?.textContent === label)!
        .querySelector('select, input') as HTMLSelectElement | HTMLInputElement;
    const hint = () => region.querySelector('.events-box .hint')!;
    const painted = (started: number) =>
      new Promise<number>((resolve) => {
        let seenReading = false;
        const check = () => {
          const text = hint().textContent ?? '';
          if (text.startsWith('Reading')) seenReading = true;
          else if (seenReading) {
            observer.disconnect();
            requestAnimationFrame(() => resolve(performance.now() - started));
          }
        };
        const observer = new MutationObserver(check);
        observer.observe(region, {
          subtree: true,
          characterData: true,
          childList: true,
        });
        check();
      });
    const set = async (label: string, value: string) => {
      const el = field(label);
      const started = performance.now();
      const done = painted(started);
      el.value = value;
      el.dispatchEvent(new Event('change', { bubbles: true }));
      return done;
    };
    const times: number[] = [];
    for (const step of steps) {
      times.push(await set(step.field, step.value));
      times.push(await set(step.field, ''));
    }
    return times;
  }, steps);
}

export const insightsScenario: Scenario = {
  name: 'insights',
  summary:
    'explorer first page, insights of the whole log (vs a plain read), per event, checkpointed reopen, authorship',
  async run(context): Promise<BenchResult[]> {
    const size = context.quick ? 26_000 : 260_000;
    const app = await launchBuiltApp(context.note);
    let log: Awaited<ReturnType<typeof cachedInsightsLog>> | undefined;
    try {
      const started = performance.now();
      log = await cachedInsightsLog(size);
      context.note(
        `${log.events} events over ${log.docIds.length} documents by 5 authors, ${log.cached ? 'made before (node_modules/.cache)' : `made in ${((performance.now() - started) / 1000).toFixed(0)} s`}`,
      );
      const importing = await app.newPage();
      await importing.goto(app.url);
      await importing.getByRole('status').waitFor();
      await importThroughApp(importing, log.file, 900_000);
      await importing.close();
      const packer = await app.openPeerPage();
      const packed = await callPeers(packer, 'compactDatabase', DATABASE);
      await packer.close();
      context.note(`imported through the app; ${packed} events packed after`);
      const page = await app.newPage();
      await page.goto(app.url);
      await page.getByRole('status').waitFor();

      // A log worker held for seconds is a bug at any size: watched through every pass.
      const stopWatching = await watchWorkers(page, context.note);
      await page.getByRole('button', { name: 'Event explorer' }).click();
      await page
        .getByRole('table', { name: 'Events' })
        .locator('tbody tr:not([aria-hidden])')
        .first()
        .waitFor({ timeout: 60_000 });
      const firstTime = await page.evaluate(() => {
        const cell = document.querySelector('table.events tbody tr td button');
        return cell?.getAttribute('aria-label') ?? '';
      });
      context.note(`explorer open: ${firstTime.slice(0, 60)}`);
      const middle = new Date(Date.now() - 30 * 60_000)
        .toISOString()
        .slice(0, 16);
      const steps: FilterStep[] = [
        {
          label: 'the busiest document',
          field: 'Stream',
          value: `doc/${log.docIds[0]}`,
        },
        {
          label: 'a quiet document',
          field: 'Stream',
          value: `doc/${log.docIds[log.docIds.length - 1]}`,
        },
        { label: 'field changes (1 in 100)', field: 'Type', value: FIELD_SET },
        { label: 'restores (none)', field: 'Type', value: VERSION_RESTORED },
        { label: 'from half an hour ago', field: 'From', value: middle },
      ];
      // FORKLINE_PROFILE_DIR: the page's log worker and main thread through every
      // pass (a stall may come in any).
      const profiles = process.env.FORKLINE_PROFILE_DIR;
      const stopWorker = profiles
        ? await profileWorkers(
            page,
            join(profiles, 'explorer-worker.cpuprofile'),
          )
        : undefined;
      const stopMain = profiles ? await profileMainThread(page) : undefined;
      // Every filter's time of every run is a sample: the median says how the
      // explorer usually answers, the max how it answers its worst filter.
      const filterTimes: number[] = [];
      await sampleRuns(context.runs, async (run) => {
        const times = await timeFilters(page, steps);
        if (run > 0) filterTimes.push(...times);
        return { filters: Math.max(...times) };
      });
      // FORKLINE_TRACE_DIR: the page's DevTools timeline trace (its threads, the
      // worker's among them) through the last pass, the one the note details.
      const traces = process.env.FORKLINE_TRACE_DIR;
      const stopTrace = traces ? await traceMainThread(page) : undefined;
      const each = await timeFilters(page, steps);
      await stopTrace?.(join(traces!, 'explorer.trace.json'));
      await stopWorker?.();
      await stopMain?.(join(profiles!, 'explorer-main.cpuprofile'));
      context.note(
        `explorer, per filter then back to none: ${steps
          .map(
            (s, i) =>
              `${s.label} ${each[2 * i]!.toFixed(1)} / ${each[2 * i + 1]!.toFixed(1)}`,
          )
          .join('; ')} ms`,
      );
      context.note(
        `the log worker's longest silence while the explorer was used: ${(await stopWatching()).toFixed(0)} ms`,
      );
      await page.close();

      const figures: InsightsFigures[] = [];
      const peer = await app.openPeerPage();
      const runs = context.quick ? 1 : 3;
      const spec = {
        database: DATABASE,
        quietDocId: log.docIds[log.docIds.length - 1]!,
        appendEvents: context.quick ? 100 : 300,
        reopenEvents: context.quick ? 500 : 2000,
      };
      // Every run's reads first, then every run's writes: a run's appends, packs
      // and merges leave the browser's storage busy for seconds, and the next
      // run's reads waited on it (insights-runs.ts).
      // FORKLINE_PROFILE_DIR: the peer page's main thread, which runs the worker's
      // services, through the first run's reads (the first computation is in it).
      for (let run = 0; run < runs; run++) {
        const profiling =
          profiles && run === 0 ? await profileMainThread(peer) : undefined;
        figures.push(
          (await callPeers(peer, 'insightsRuns', {
            ...spec,
            phase: 'reads',
          })) as InsightsFigures,
        );
        await profiling?.(join(profiles!, 'insights-peer.cpuprofile'));
      }
      for (let run = 0; run < runs; run++)
        Object.assign(
          figures[run]!,
          await callPeers(peer, 'insightsRuns', {
            ...spec,
            phase: 'writes',
            longestDocId: figures[0]!.longestDocId,
          }),
        );
      await peer.close();
      const f = (pick: (x: InsightsFigures) => number) =>
        summarize(figures.map(pick));
      // The first run: its indexes were built from nothing (later runs reopen them).
      const last = figures[0]!;
      context.note(
        `${last.events} events read; ${last.conflicts} conflicts; the worker's service asked first (its own projection) ${last.again.toFixed(0)} ms, ` +
          `after the appends ${last.refresh.toFixed(0)} ms; first computation folded ${last.stats.folded} events, ` +
          `refolded ${last.stats.refolds} times (${last.stats.refolded} events again); the longest document has ${last.characters} characters, its authorship index from nothing ${last.authorshipIndex.toFixed(0)} ms`,
      );
      context.note(
        `the log read in pages as a projection reads it, nothing folded: ${figures.map((x) => x.pagesRead.toFixed(0)).join(', ')} ms (the first computation's ${figures.map((x) => x.full.toFixed(0)).join(', ')})`,
      );
      const read = toResult(
        'read.whole-log',
        'ms',
        f((x) => x.read),
      );
      const append = toResult(
        'append.per-event',
        'ms',
        f((x) => x.appendPerEvent),
      );
      const foldSince = toResult(
        'projection.fold-since-checkpoint',
        'ms',
        f((x) => x.foldSince),
      );
      return [
        toResult('explorer.first-page', 'ms', summarize(filterTimes), {
          goal: '<= 50',
        }),
        read,
        toResult(
          'insights.full',
          'ms',
          f((x) => x.full),
          {
            baseline: read,
            goal: '<= 1.5x read.whole-log',
          },
        ),
        append,
        toResult(
          'insights.per-event',
          'ms',
          f((x) => x.perEvent),
          {
            baseline: append,
            goal: '<= 1',
          },
        ),
        foldSince,
        toResult(
          'projection.reopen',
          'ms',
          f((x) => x.reopen),
          {
            baseline: foldSince,
            goal: '<= 1.2x projection.fold-since-checkpoint',
          },
        ),
        toResult(
          'authorship.longest-document',
          'ms',
          f((x) => x.authorship),
          {
            goal: '<= 100',
          },
        ),
      ];
    } finally {
      await app.close();
      await log?.done();
    }
  },
};
