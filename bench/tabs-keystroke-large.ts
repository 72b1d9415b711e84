import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { cleanUp } from './browser-session.ts';
import {
  importThroughApp,
  launchBuiltApp,
  type BuiltApp,
} from './built-app.ts';
import {
  profileAllocations,
  profileMainThread,
  profileWorkers,
  traceMainThread,
} from './cpu-profile.ts';
import { documentWithConflicts } from './conflicts-query.ts';
import { openDocumentHolding } from './open-document.ts';
import { countCpu } from './process-cpu.ts';
import { percentile, sampleRuns, toResult } from './measure.ts';
import type { BenchResult, Scenario } from './scenario.ts';
import { peerTabs, timeKeystrokes, type TabPair } from './tabs-keystroke.ts';

const LABEL = 'Document text';
export const titleOf = (size: number) =>
  `Long document, ${size / 1000}k events`;

/** A document of `size` events with 300 concurrent episodes, exported as JSON Lines. */
export async function exportedDocument(
  dir: string,
  size: number,
): Promise<{ file: string; length: number; events: number; text: string }> {
  const { log, doc } = await documentWithConflicts(size, `long-${size}`);
  await doc.setField('title', titleOf(size));
  const { text } = await doc.summary();
  const file = join(dir, `document-${size}.jsonl`);
  const out = createWriteStream(file);
  let events = 0;
  for await (const line of log.export()) {
    out.write(line + '\n');
    events++;
  }
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
  await log.close();
  return { file, length: text.length, events, text };
}

/** The figures of one open: from the click on the document in the list. */
interface OpenTimes {
  /** Until the editor holds the whole text. */
  text: number;
  /** Until the conflict timeline shows the history graph up to the last event and the conflict count. */
  timeline: number;
}

/** How far back the history jump goes: DESIGN's "a point 90k events back". */
const JUMP_BACK = 90_000;

/**
 * In the page with the long document just opened: moves the version history's
 * slider `back` events back, timing in the page until that version's text and the
 * history graph around it are painted. Nothing of it is cached: the tab's worker
 * is new.
 */
async function timeJump(page: Page, events: number): Promise<number> {
  return page.evaluate(
    (target) =>
      new Promise<number>((resolve, reject) => {
        const range = document.querySelector<HTMLInputElement>(
          'section[aria-label="Version history"] input[type="range"]',
        );
        if (!range) return reject(new Error('no version history slider'));
        const start = performance.now();
        const frame = () => {
          const past = document.querySelector<HTMLTextAreaElement>(
            'textarea[aria-label="Text at this version"]',
          );
          const graph = /events (\d+) to (\d+) of/.exec(
            document
              .querySelector('section[aria-label="Conflict timeline"] svg')
              ?.getAttribute('aria-label') ?? '',
          );
          if (
            past &&
            past.value !== 'Loading…' &&
            graph &&
            Number(graph[1]) <= target &&
            target <= Number(graph[2])
          )
            resolve(performance.now() - start);
          else if (performance.now() - start > 60_000)
            reject(new Error('the version jumped to was not shown'));
          else requestAnimationFrame(frame);
        };
        range.value = String(target);
        range.dispatchEvent(new Event('input', { bubbles: true }));
        requestAnimationFrame(frame);
      }),
    events - JUMP_BACK,
  );
}

/** A small document for `page` to open on every reload: the tab remembers it. */
async function startingDocument(page: Page, url: string): Promise<string> {
  await page.goto(url);
  await page.getByRole('status').waitFor();
  await page.getByRole('button', { name: 'New document' }).click();
  const title = page.getByRole('textbox', { name: 'Title', exact: true });
  // The new document, not the one the tab opened on start (a long one: renaming
  // that one instead left this one "Untitled").
  for (const deadline = Date.now() + 30_000; ;) {
    if ((await title.inputValue()) === 'Untitled') break;
    if (Date.now() > deadline) throw new Error('the new document did not open');
    await page.waitForTimeout(20);
  }
  await title.fill('Starting document');
  await title.press('Enter');
  await page
    .getByRole('textbox', { name: LABEL })
    .fill('A small document, open on reload.');
  await page.getByRole('status').getByText('All changes saved').waitFor();
  return page.evaluate(() => sessionStorage.getItem('forkline.open')!);
}

/**
 * Reloads `page` (a new worker: nothing of the long document cached anywhere), lets
 * it open the small document it had open and settle, then opens the long one, timing
 * in the page itself: the click, then each animation frame until the text and the
 * timeline are there. A frame callback runs just before that frame is painted.
 */
async function timeOpen(
  page: Page,
  url: string,
  starting: string,
  size: number,
  { length, events }: { length: number; events: number },
  /** Started once the tab has settled, just before the click; stopped once both are in. */
  profile?: () => Promise<() => Promise<unknown>>,
): Promise<OpenTimes> {
  await page.evaluate(
    (id) => sessionStorage.setItem('forkline.open', id),
    starting,
  );
  await page.goto(url);
  await page
    .getByRole('region', { name: 'Conflict timeline' })
    .getByRole('img')
    .waitFor();
  // Settled: the small document's view (its title) is in too.
  const title = page.getByRole('textbox', { name: 'Title', exact: true });
  for (const deadline = Date.now() + 30_000; ;) {
    if ((await title.inputValue()) === 'Starting document') break;
    if (Date.now() > deadline)
      throw new Error(
        `the tab did not open the document it had open: its title says ${JSON.stringify(await title.inputValue())}`,
      );
    await page.waitForTimeout(20);
  }
  const button = page
    .getByRole('list', { name: 'Documents' })
    .getByRole('button', { name: titleOf(size), exact: true });
  await button.waitFor();
  const stop = await profile?.();
  const times = await button.evaluate(
    (element, { label, length, events }) =>
      new Promise<OpenTimes>((resolve, reject) => {
        const times: Partial<OpenTimes> = {};
        const start = performance.now();
        const deadline = start + 120_000;
        const frame = () => {
          const at = performance.now() - start;
          // The editor (CodeMirror keeps its view on its content element).
          const editor = document.querySelector(`[aria-label="${label}"]`) as {
            cmTile?: {
              root?: { view?: { state: { doc: { length: number } } } };
            };
          } | null;
          if (
            times.text === undefined &&
            editor?.cmTile?.root?.view?.state.doc.length === length
          )
            times.text = at;
          const graph = document
            .querySelector('section[aria-label="Conflict timeline"] svg')
            ?.getAttribute('aria-label');
          const counted = document.querySelector(
            'section[aria-label="Conflict timeline"] .count',
          );
          if (
            times.timeline === undefined &&
            counted &&
            new RegExp(` of ${events}, in \\d+ lanes?$`).test(graph ?? '')
          )
            times.timeline = at;
          if (times.text !== undefined && times.timeline !== undefined)
            resolve(times as OpenTimes);
          else if (performance.now() > deadline)
            reject(new Error(`opening: only ${JSON.stringify(times)}`));
          else requestAnimationFrame(frame);
        };
        (element as HTMLButtonElement).click();
        requestAnimationFrame(frame);
      }),
    { label: LABEL, length, events },
  );
  await stop?.();
  return times;
}

/**
 * Two tabs of the built app on the imported long document, and what the import
 * cost the other tab, open on another document: its main-thread tasks over 50 ms
 * from the file's choice until its documents list names the new document.
 */
async function longDocumentTabs(
  app: BuiltApp,
  size: number,
  file: string,
  length: number,
): Promise<TabPair & { otherTabLongTasks: number[] }> {
  const [typing, watching] = [await app.newPage(), await app.newPage()];
  for (const page of [typing, watching]) {
    await page.goto(app.url);
    await page.getByRole('status').waitFor();
  }
  await watching.evaluate(watchLongTasks);
  await importThroughApp(typing, file, 300_000);
  await watching
    .getByRole('list', { name: 'Documents' })
    .getByRole('button', { name: titleOf(size), exact: true })
    .waitFor({ timeout: 300_000 });
  const otherTabLongTasks = await watching.evaluate(
    () => (globalThis as { longTasks?: number[] }).longTasks!,
  );
  for (const page of [typing, watching])
    await openDocumentHolding(page, titleOf(size), length);
  return {
    typing,
    watching,
    otherTabLongTasks,
    close: async () => {
      await watching.close();
      await typing.close();
    },
  };
}

/** How many events the page's history graph says the document holds. */
async function eventsShown(page: Page): Promise<number> {
  const label = await page
    .getByRole('region', { name: 'Conflict timeline' })
    .getByRole('img')
    .getAttribute('aria-label');
  return Number(/ of (\d+),/.exec(label ?? '')?.[1] ?? 0);
}

/** In the watching tab: every main-thread task over 50 ms from now on. */
function watchLongTasks(): void {
  const seen: number[] = [];
  (globalThis as { longTasks?: number[] }).longTasks = seen;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) seen.push(entry.duration);
  }).observe({ type: 'longtask' });
}

/**
 * Issue 15: a keystroke typed in one tab until the other tab's textarea shows it, on
 * a document of 10k and of 100k events (sequential typing with 300 concurrent
 * episodes, imported through the page), and the watching tab's main-thread tasks
 * over 50 ms meanwhile. Baseline: Yjs over a BroadcastChannel, in the same run.
 */
export const tabsKeystrokeLargeScenario: Scenario = {
  name: 'long-document.keystroke',
  summary:
    'keystroke to the other tab on documents of 10k and 100k events, and long tasks meanwhile, vs Yjs over BroadcastChannel',
  async run(context): Promise<BenchResult[]> {
    // FORKLINE_ONLY_10K: the 10k documents alone, for a profile in a minute, not three.
    const sizes =
      context.quick || process.env.FORKLINE_ONLY_10K
        ? [10_000]
        : [10_000, 100_000];
    const count = context.quick ? 30 : 300;
    const dir = await mkdtemp(join(tmpdir(), 'forkline-keystroke-'));
    const app = await launchBuiltApp(context.note);
    const pairs: Record<string, TabPair> = {};
    try {
      const documents: Record<
        string,
        { size: number; length: number; events: number }
      > = {};
      const texts: Record<string, string> = {};
      for (const size of sizes) {
        const { file, length, events, text } = await exportedDocument(
          dir,
          size,
        );
        const label = `${size / 1000}k`;
        documents[label] = { size, length, events };
        texts[label] = text;
        const pair = await longDocumentTabs(app, size, file, length);
        pairs[label] = pair;
        const long = pair.otherTabLongTasks;
        context.note(
          `${label}: ${events} events, ${length} characters, imported and open in two tabs; ` +
            `meanwhile the other tab had ${long.length} tasks over 50 ms (longest ${Math.round(Math.max(0, ...long))} ms)`,
        );
      }
      // Opening, in a third tab: reloaded each time, sizes taking turns.
      const opener = await app.newPage();
      const starting = await startingDocument(opener, app.url);
      const profiles = process.env.FORKLINE_PROFILE_DIR;
      const traces = process.env.FORKLINE_TRACE_DIR;
      const opens = await sampleRuns(context.runs, async (run) => {
        const figures: Record<string, number> = {};
        for (const [label, doc] of Object.entries(documents)) {
          // FORKLINE_PROFILE_DIR: the opening tab's main thread and worker, last run,
          // at every size: the goal is the 100k figure against the 10k one.
          const profiled = profiles && run === context.runs;
          const profile = (name: string) => async () => {
            const stopMain = await profileMainThread(opener);
            const stopWorker = await profileWorkers(
              opener,
              join(profiles!, `${name}-${label}-worker.cpuprofile`),
            );
            return async () => {
              await stopWorker();
              await stopMain(
                join(profiles!, `${name}-${label}-main.cpuprofile`),
              );
            };
          };
          // FORKLINE_TRACE_DIR: the opening tab's DevTools timeline trace instead.
          const traced = !profiled && traces && run === context.runs;
          const trace = (name: string) => async () => {
            const stop = await traceMainThread(opener);
            return () => stop(join(traces!, `${name}-${label}.trace.json`));
          };
          const watch = profiled ? profile : traced ? trace : undefined;
          const times = await timeOpen(
            opener,
            app.url,
            starting,
            doc.size,
            doc,
            watch?.('open'),
          );
          figures[`${label}.text`] = times.text;
          figures[`${label}.timeline`] = times.timeline;
          if (doc.events > JUMP_BACK) {
            const stop = await watch?.('jump')();
            figures[`${label}.jump`] = await timeJump(opener, doc.events);
            await stop?.();
          }
        }
        return figures;
      });
      await opener.close();
      pairs.yjs = await peerTabs(app, 'yjs-broadcastchannel');
      // The baseline at each length: Yjs tabs whose textarea holds the same text.
      for (const [label, text] of Object.entries(texts)) {
        pairs[`yjs-${label}`] = await peerTabs(
          app,
          'yjs-broadcastchannel',
          text,
        );
        // Yjs shown in CodeMirror, the app's editor: the same text, the same editor,
        // so what is left between the two is the app's own work.
        pairs[`yjs-cm-${label}`] = await peerTabs(app, 'yjs-codemirror', text);
      }
      // Each length's tabs beside their baseline's, taking turns at going first: a
      // round's first pair is timed right after the last round's work, the same pair
      // first in every round took that in its tail alone.
      const order = (run: number) => [
        ...Object.keys(texts).flatMap((label) =>
          run % 2 === 1
            ? [label, `yjs-${label}`, `yjs-cm-${label}`]
            : [`yjs-cm-${label}`, `yjs-${label}`, label],
        ),
        'yjs',
      ];
      const samples = await sampleRuns(context.runs, async (run) => {
        const figures: Record<string, number> = {};
        for (const name of order(run)) {
          const pair = pairs[name]!;
          const forkline = !name.startsWith('yjs');
          if (forkline) await pair.watching.evaluate(watchLongTasks);
          // FORKLINE_PROFILE_DIR: both tabs' main threads, last run, Yjs's too, to
          // compare; FORKLINE_TRACE_DIR: the browser's DevTools timeline trace (layout
          // included; each event's CPU time beside its wall time).
          const stops: (() => Promise<void>)[] = [];
          if (run === context.runs && traces) {
            const stop = await traceMainThread(pair.watching);
            stops.push(() =>
              stop(join(traces, `keystroke-${name}.trace.json`)),
            );
          } else if (run === context.runs && profiles)
            for (const tab of ['typing', 'watching'] as const) {
              // FORKLINE_PROFILE_ALLOCATIONS: what each tab allocates, not its CPU.
              const allocations = !!process.env.FORKLINE_PROFILE_ALLOCATIONS;
              const stop = await (
                allocations ? profileAllocations : profileMainThread
              )(pair[tab]);
              const kind = allocations ? 'heapprofile' : 'cpuprofile';
              stops.push(() =>
                stop(join(profiles, `keystroke-${name}-${tab}.${kind}`)),
              );
            }
          // The whole browser's CPU time, not while a profiler or tracer adds its own.
          const cpu =
            stops.length === 0 && app.browserPid !== undefined
              ? countCpu(app.browserPid)
              : undefined;
          const latencies = await timeKeystrokes(pair, count);
          if (cpu) figures[`${name}.cpu`] = cpu.stop() / count;
          for (const stop of stops) await stop();
          figures[`${name}.p50`] = percentile(latencies, 50);
          figures[`${name}.p99`] = percentile(latencies, 99);
          if (forkline)
            figures[`${name}.long`] = await pair.watching.evaluate(
              () => (globalThis as { longTasks?: number[] }).longTasks!.length,
            );
        }
        return figures;
      });
      // Worker CPU per remote keystroke: one more round with the watching tab's
      // worker profiled, until it has delivered every event the round stored.
      const workerCpu: Record<string, number> = {};
      for (const [name, pair] of Object.entries(pairs)) {
        if (name.startsWith('yjs')) continue;
        const stop = await profileWorkers(pair.watching);
        await timeKeystrokes(pair, count);
        await pair.typing
          .getByRole('status')
          .getByText('All changes saved')
          .waitFor();
        const stored = await eventsShown(pair.typing);
        for (const deadline = Date.now() + 60_000; ;) {
          if ((await eventsShown(pair.watching)) >= stored) break;
          if (Date.now() > deadline)
            throw new Error('the watching tab did not receive every event');
          await pair.watching.waitForTimeout(20);
        }
        workerCpu[name] = (await stop()) / count;
      }
      const yjs = {
        p50: toResult(
          'yjs-broadcastchannel.keystroke.beside-100k.p50',
          'ms',
          samples['yjs.p50']!,
        ),
        p99: toResult(
          'yjs-broadcastchannel.keystroke.beside-100k.p99',
          'ms',
          samples['yjs.p99']!,
        ),
      };
      const results: BenchResult[] = [yjs.p50, yjs.p99];
      // DESIGN §13's open.text.100k and open.timeline.100k, each beside the 10k figure.
      // The issue sets two goals on each: 100 ms, and 1.2 times the 10k figure; a
      // result carries one, so the second is judged under a name of its own.
      for (const part of ['text', 'timeline'] as const) {
        const small = toResult(`open.${part}.10k`, 'ms', opens[`10k.${part}`]!);
        results.push(small);
        const large = opens[`100k.${part}`];
        if (large)
          results.push(
            toResult(`open.${part}.100k`, 'ms', large, {
              baseline: small,
              goal: '<= 100',
            }),
            toResult(`open.${part}.100k-vs-10k`, 'ms', large, {
              baseline: small,
              goal: '<= 1.2x',
            }),
          );
      }
      if (opens['100k.jump'])
        results.push(
          toResult('history.jump.100k', 'ms', opens['100k.jump'], {
            goal: '<= 150',
          }),
        );
      for (const size of sizes) {
        const label = `${size / 1000}k`;
        // Yjs over BroadcastChannel, its textarea holding the same text: the baseline.
        const same = {
          p50: toResult(
            `yjs-broadcastchannel.keystroke.${label}.p50`,
            'ms',
            samples[`yjs-${label}.p50`]!,
          ),
          p99: toResult(
            `yjs-broadcastchannel.keystroke.${label}.p99`,
            'ms',
            samples[`yjs-${label}.p99`]!,
          ),
        };
        results.push(same.p50, same.p99);
        // Informational: Yjs in CodeMirror at this length, and the app against it.
        const inEditor = {
          p50: toResult(
            `yjs-codemirror.keystroke.${label}.p50`,
            'ms',
            samples[`yjs-cm-${label}.p50`]!,
          ),
          p99: toResult(
            `yjs-codemirror.keystroke.${label}.p99`,
            'ms',
            samples[`yjs-cm-${label}.p99`]!,
          ),
        };
        results.push(inEditor.p50, inEditor.p99);
        for (const p of ['p50', 'p99'] as const)
          results.push(
            toResult(
              `tabs.keystroke.${label}.${p}-vs-yjs-codemirror`,
              'ms',
              samples[`${label}.${p}`]!,
              { baseline: inEditor[p] },
            ),
          );
        // What a keystroke costs the machine: every process of the browser, both tabs,
        // their workers, the GPU and browser processes. A tail on a busy machine is
        // waiting for a core; this says whether forkline asks for more of them.
        const cpu = samples[`${label}.cpu`];
        const yjsCpu = samples[`yjs-${label}.cpu`];
        if (cpu && yjsCpu) {
          const baseline = toResult(
            `yjs-broadcastchannel.keystroke.${label}.cpu`,
            'ms',
            yjsCpu,
          );
          results.push(
            baseline,
            toResult(`tabs.keystroke.${label}.cpu`, 'ms', cpu, { baseline }),
          );
        }
        const inEditorCpu = samples[`yjs-cm-${label}.cpu`];
        if (inEditorCpu)
          results.push(
            toResult(
              `yjs-codemirror.keystroke.${label}.cpu`,
              'ms',
              inEditorCpu,
            ),
          );
        const goals =
          size === 100_000
            ? { p50: '<= 4', p99: '<= 16' }
            : { p50: undefined, p99: undefined };
        for (const p of ['p50', 'p99'] as const) {
          const figure = toResult(
            `tabs.keystroke.${label}.${p}`,
            'ms',
            samples[`${label}.${p}`]!,
            {
              baseline: same[p],
              ...(goals[p] ? { goal: goals[p] } : {}),
            },
          );
          results.push(figure);
          // The other goals at 100k, each judged under a name of its own:
          // no worse than Yjs over BroadcastChannel at the same length, and at most
          // 1.2 times the 10k figure.
          if (size !== 100_000) continue;
          results.push(
            toResult(`${figure.name}-vs-yjs`, 'ms', samples[`${label}.${p}`]!, {
              baseline: same[p],
              goal: '<= 1x',
            }),
          );
          const small = results.find(
            (r) => r.name === `tabs.keystroke.10k.${p}`,
          );
          if (small)
            results.push(
              toResult(
                `${figure.name}-vs-10k`,
                'ms',
                samples[`${label}.${p}`]!,
                {
                  baseline: small,
                  goal: '<= 1.2x',
                },
              ),
            );
        }
        if (workerCpu[label] !== undefined)
          results.push({
            name: `tabs.keystroke.${label}.worker-cpu`,
            value: workerCpu[label],
            unit: 'ms',
            ...(size === 100_000 ? { goal: '<= 1' } : {}),
            runs: 1,
            min: workerCpu[label],
            max: workerCpu[label],
          });
        results.push(
          toResult(
            `tabs.keystroke.${label}.long-tasks`,
            'tasks',
            samples[`${label}.long`]!,
            {
              goal: '<= 0',
            },
          ),
        );
      }
      return results;
    } finally {
      await cleanUp(
        context.note,
        ...Object.values(pairs).map((pair) => () => pair.close()),
        () => app.close(),
        () => rm(dir, { recursive: true, force: true }),
      );
    }
  },
};
