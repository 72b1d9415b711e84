import type { BrowserContext, Page, Worker } from 'playwright-core';
import { inject } from 'vitest';
import {
  crashPage,
  killLogWorker,
  logWorker,
  terminateLogWorker,
} from './faults.ts';

/** What a crash trial kills: the tab's renderer (and its workers), or its log worker alone. */
export type Victim = 'page' | 'worker';

/**
 * How long a step that normally takes a second or two may take. Generous: on a loaded
 * 2-core CI machine the whole machine stalls at times. (Reloads and import reports
 * that never came at all were the supervisor freezing its page, fixed; see
 * test/unit/log-supervisor.test.ts.)
 */
export const LOADED = 90_000;

export const status = (page: Page) => page.getByRole('status');

/** The seeded moment of a kill: what a trial varies, not a wait for anything. */
export const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A kill made ready beforehand: `kill()` is then a single command. */
export interface ArmedKill {
  kill(): Promise<void>;
  /** Resolves once the victim is gone, whoever killed it. */
  gone: Promise<void>;
}

/**
 * Finds what killing `victim` takes (its worker, a CDP session), for a trial that
 * kills as soon as it sees something happen. The worker is terminated from the page
 * (terminateLogWorker): at once, even mid-task.
 */
export async function armKill(page: Page, victim: Victim): Promise<ArmedKill> {
  if (victim === 'worker') {
    const worker = await logWorker(page);
    const gone = new Promise<void>((resolve) =>
      worker.once('close', () => resolve()),
    );
    const kill = async () => {
      await terminateLogWorker(page);
      await gone;
    };
    return { kill, gone };
  }
  const cdp = await page.context().newCDPSession(page);
  const gone = new Promise<void>((resolve) =>
    page.once('crash', () => resolve()),
  );
  return { kill: () => crashPage(page, cdp), gone };
}

/** Kills without asking the page anything first: a busy page would delay the kill. */
export async function kill(
  page: Page,
  victim: Victim,
  worker?: Worker,
): Promise<void> {
  if (victim === 'page') await crashPage(page);
  else await killLogWorker(page, worker);
}

/** Opens the app again in `context` (a new tab after a crash, a reload otherwise). */
export async function reopen(
  context: BrowserContext,
  page: Page,
  victim: Victim,
): Promise<Page> {
  const timeout = LOADED;
  if (victim === 'worker') {
    await page.reload({ timeout });
    await status(page).waitFor({ timeout });
    return page;
  }
  await page.close();
  const fresh = await context.newPage();
  await fresh.goto(inject('appUrl'), { timeout });
  await status(fresh).waitFor({ timeout });
  return fresh;
}

/** The last console lines and errors of every page and worker of `context`. */
export function listen(context: BrowserContext): string[] {
  const heard: string[] = [];
  const note = (line: string) => {
    heard.push(`${((Date.now() % 1e6) / 1000).toFixed(3)} ${line}`);
    if (heard.length > 40) heard.shift();
  };
  const watch = (page: Page) => {
    page.on('console', (m) => note(`console.${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => note(`pageerror: ${e.message}`));
    page.on('crash', () => note('page crashed'));
    page.on('worker', (w) => {
      note(`worker started: ${w.url()}`);
      w.on('close', () => note(`worker closed: ${w.url()}`));
    });
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  return heard;
}

/** What a stalled trial's page shows, and what it and its workers said: for the log. */
export async function describePage(
  page: Page,
  heard: string[],
): Promise<string> {
  const silent = new Promise<string>((resolve) =>
    setTimeout(() => resolve('the page did not answer within 5 s'), 5_000),
  );
  const asked = page
    .evaluate(() =>
      ['[role=status]', '[role=alert]', '.transfer', '.transfer-result']
        .map((sel) =>
          [...document.querySelectorAll(sel)]
            .map((el) => `${sel}: ${el.textContent ?? ''}`)
            .join('\n'),
        )
        .filter(Boolean)
        .join('\n'),
    )
    .catch((error: Error) => `the page did not answer: ${error.message}`);
  const shown = await Promise.race([asked, silent]);
  const workers = page.isClosed()
    ? 'page closed'
    : page
        .workers()
        .map((w) => w.url())
        .join(', ');
  return `page shows:\n${shown}\nworkers: ${workers}\nheard:\n${heard.join('\n')}`;
}

/**
 * Runs `trial` for seeds `first`.. `first + count - 1`, two at a time (each in its own
 * browser profile), and prints a line per trial and a tally by the second word of
 * each line (its kind). The first failure stops the run after the trials in progress.
 */
export async function runTrials(
  name: string,
  first: number,
  count: number,
  trial: (seed: number) => Promise<string>,
): Promise<void> {
  console.info(`${name}: seeds ${first}..${first + count - 1}`);
  const started = Date.now();
  const lines: string[] = [];
  const next = { i: 0 };
  const runner = async () => {
    while (next.i < count) {
      const seed = first + next.i++;
      const t = Date.now();
      const line = await trial(seed).catch((error: unknown) => {
        next.i = count; // the other runner stops after its current trial
        throw error;
      });
      lines.push(`${line} (${Date.now() - t} ms)`);
      if (process.env.CRASH_VERBOSE) console.info(lines.at(-1));
    }
  };
  await Promise.all([runner(), runner()]);
  const tally = new Map<string, number>();
  for (const line of lines) {
    const key = line.split(' ')[1]!.replace(/:$/, '');
    tally.set(key, (tally.get(key) ?? 0) + 1);
  }
  console.info(
    `${name}: ${count} in ${((Date.now() - started) / 1000).toFixed(0)} s; ${[
      ...tally,
    ]
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}\n${lines.join('\n')}`,
  );
}
