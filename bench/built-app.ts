import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { chromiumLaunchOptions } from '../scripts/chromium.mjs';
import { productionBuild } from '../scripts/production-build.ts';
import { startAppServer } from '../server/app-server.ts';
import type { PeerPage } from './browser/peer-protocol.ts';
import { browserProcess } from './process-cpu.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const PEER_PAGE_PATH = '/bench/browser/peer-page.html';

/** The production build of the app and of the peer page, served as `npm start` does. */
export interface BuiltApp {
  /** The app's origin, e.g. http://127.0.0.1:41234 */
  url: string;
  /** One on-disk profile: every page shares its IndexedDB. */
  context: BrowserContext;
  /** A new tab on the peer page, once its `peers` global is installed. */
  openPeerPage(): Promise<Page>;
  /** A new tab, not yet navigated, that reports page errors as notes. */
  newPage(): Promise<Page>;
  /** The browser's main process, to count its CPU time (see countCpu); undefined off Linux. */
  browserPid: number | undefined;
  /** Closes the browser, then the server, then deletes the build and the profile. */
  close(): Promise<void>;
}

/**
 * Builds the app and the peer page with the project's vite.config.ts (production mode,
 * as `npm start` serves it), serves them with `startAppServer` on a free loopback port
 * and starts Debian's Chromium on a temporary on-disk profile.
 * @throws whatever the build, the server or the browser threw; what did start is closed first.
 */
/**
 * The launch options with V8's `gc()` exposed to pages: a peer page's scenario may
 * collect the heap before a figure, so that no figure pays for garbage an earlier
 * one left (the app itself never calls it).
 */
function withGcExposed<T extends { args: string[] }>(options: T): T {
  return { ...options, args: [...options.args, '--js-flags=--expose-gc'] };
}

export async function launchBuiltApp(
  note: (message: string) => void,
): Promise<BuiltApp> {
  const scratch = await mkdtemp(join(tmpdir(), 'forkline-bench-app-'));
  const closers: (() => Promise<unknown>)[] = [
    () => rm(scratch, { recursive: true, force: true }),
  ];
  const close = async () => {
    for (const closer of closers.splice(0).reverse())
      await closer().catch((error: unknown) => note(`cleanup: ${error}`));
  };
  try {
    const outDir = join(scratch, 'dist');
    // Exactly what `npm start` serves, plus the peer page.
    await productionBuild(outDir, {
      sourcemap: false,
      // FORKLINE_PROFILE_DIR: readable function names in the profiles.
      ...(process.env.FORKLINE_PROFILE_DIR ? { minify: false } : {}),
      rollupOptions: {
        input: {
          index: join(ROOT, 'index.html'),
          peers: join(ROOT, PEER_PAGE_PATH),
        },
      },
    });
    const app = await startAppServer({
      root: outDir,
      dataDir: join(scratch, 'relay'),
      port: 0,
      // The peer page's Automerge baseline compiles WebAssembly; the app does not.
      wasm: true,
      say: () => undefined,
    });
    closers.push(() => app.close());
    const profile = join(scratch, 'profile');
    const context = await chromium.launchPersistentContext(profile, {
      ...withGcExposed(chromiumLaunchOptions({ browser: true })),
      viewport: { width: 1200, height: 900 },
    });
    closers.push(() => context.close());
    const newPage = async () => {
      const page = await context.newPage();
      page.on('pageerror', (error) => note(`page error: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error') note(`page error: ${message.text()}`);
      });
      return page;
    };
    return {
      url: app.url,
      context,
      browserPid:
        process.platform === 'linux'
          ? browserProcess(`--user-data-dir=${profile}`)
          : undefined,
      newPage,
      async openPeerPage() {
        const page = await newPage();
        await page.goto(app.url + PEER_PAGE_PATH);
        await page.waitForFunction(() => 'peers' in globalThis);
        return page;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

declare const peers: PeerPage;

/** Calls the peer page's `peers.method(...args)` in the page and returns its result. */
export function callPeers<K extends keyof PeerPage>(
  page: Page,
  method: K,
  ...args: Parameters<PeerPage[K]>
): Promise<Awaited<ReturnType<PeerPage[K]>>> {
  return page.evaluate(
    ([name, values]) =>
      (peers[name] as (...values: unknown[]) => unknown)(...values),
    [method, args] as const,
  ) as Promise<Awaited<ReturnType<PeerPage[K]>>>;
}

/**
 * Imports `file` through the app's "Import log" in `page` and resolves once the
 * page says how it went. The paragraph that says so is there, empty, before it
 * speaks (a live region), so this waits for its words, not for it.
 * @throws Error with the page's words when they are not "Imported …".
 */
export async function importThroughApp(
  page: Page,
  file: string,
  timeout: number,
): Promise<void> {
  await page.getByLabel('Import log').setInputFiles(file);
  const said = page.locator('.transfer-result');
  await page.waitForFunction(
    () => !!document.querySelector('.transfer-result')?.textContent,
    undefined,
    { timeout, polling: 250 },
  );
  const result = (await said.textContent()) ?? '';
  if (!result.startsWith('Imported'))
    throw new Error(`importing ${file}: ${result}`);
}
