import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { createServer } from 'vite';
import { chromiumLaunchOptions } from '../scripts/chromium.mjs';
import type { BenchPage } from './browser/protocol.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PAGE_PATH = '/bench/browser/bench-page.html';

/** Chromium with one on-disk profile, and the dev server its bench pages come from. */
export interface BenchBrowser {
  /** A new tab on the bench page. Every tab shares the profile, so IndexedDB too. */
  openTab(): Promise<Page>;
  /** Closes the browser, then the server, then deletes the profile. */
  close(): Promise<void>;
}

/**
 * Starts a Vite dev server on a free loopback port and Debian's Chromium. The profile
 * is a real directory (launchPersistentContext), not an incognito context: Chromium
 * keeps an incognito context's IndexedDB in memory, and a local-first log lives on disk.
 * @throws whatever the server or the browser threw; what did start is closed first.
 */
export async function launchBenchBrowser(
  note: (message: string) => void,
): Promise<BenchBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'forkline-bench-'));
  const closers: (() => Promise<unknown>)[] = [
    () => rm(profile, { recursive: true, force: true }),
  ];
  const close = async () => {
    for (const closer of closers.splice(0).reverse())
      await closer().catch((error: unknown) => note(`cleanup: ${error}`));
  };
  try {
    const server = await createServer({
      root: ROOT,
      configFile: join(ROOT, 'vite.config.ts'),
      server: {
        host: '127.0.0.1',
        port: 0,
        strictPort: false,
        hmr: false,
        // Cross-origin isolation: performance.now() then resolves 5 µs, not 100 µs,
        // which matters for a BroadcastChannel hop of a few tenths of a ms.
        headers: {
          'Cross-Origin-Opener-Policy': 'same-origin',
          'Cross-Origin-Embedder-Policy': 'require-corp',
        },
      },
      logLevel: 'error',
    });
    closers.push(() => server.close());
    await server.listen();
    const url = server.resolvedUrls!.local[0]!.replace(/\/$/, '');
    const context = await chromium.launchPersistentContext(
      profile,
      chromiumLaunchOptions({ browser: true }),
    );
    closers.push(() => context.close());
    return {
      async openTab() {
        const page = await context.newPage();
        page.on('pageerror', (error) => note(`page error: ${error.message}`));
        page.on('console', (message) => {
          if (message.type() === 'error' || message.type() === 'warning')
            note(`page ${message.type()}: ${message.text()}`);
        });
        await page.goto(url + PAGE_PATH);
        await page.waitForFunction(() => 'bench' in globalThis);
        if (!(await page.evaluate(() => crossOriginIsolated)))
          note(
            'the bench page is not cross-origin isolated: timers resolve 0.1 ms',
          );
        return page;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

declare const bench: BenchPage;

/** Calls the bench page's `bench.method(...args)` in the page and returns its result. */
export function callBench<K extends keyof BenchPage>(
  page: Page,
  method: K,
  ...args: Parameters<BenchPage[K]>
): Promise<Awaited<ReturnType<BenchPage[K]>>> {
  return page.evaluate(
    ([name, values]) =>
      (bench[name] as (...values: unknown[]) => unknown)(...values),
    [method, args] as const,
  ) as Promise<Awaited<ReturnType<BenchPage[K]>>>;
}

/**
 * Runs every cleanup step even when one throws, and notes failures rather than
 * throwing them: in a finally block, a throw would hide the error that got there.
 */
export async function cleanUp(
  note: (message: string) => void,
  ...steps: (() => Promise<unknown>)[]
): Promise<void> {
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      note(`cleanup: ${error instanceof Error ? error.message : error}`);
    }
  }
}
