import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { createServer, type ViteDevServer } from 'vite';
import { chromiumLaunchOptions } from '../../../scripts/chromium.mjs';

/** A Vite dev server on a free loopback port, serving the repository (app and fixtures). */
export async function startDevServer(): Promise<{
  url: string;
  server: ViteDevServer;
}> {
  const server = await createServer({
    configFile: new URL('../../../vite.config.ts', import.meta.url).pathname,
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false },
    logLevel: 'error',
  });
  await server.listen();
  const url = server.resolvedUrls!.local[0]!.replace(/\/$/, '');
  return { url, server };
}

/** Debian's Chromium (or Playwright's) with the flags this offline machine needs. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch(chromiumLaunchOptions());
}

/** One Chromium for the calling test file, launched before its tests and closed after. */
export function useChromium(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(() => browser?.close());
  return () => browser!;
}

/**
 * Chromium plus a dev server for the bare worker page (test/e2e/fixtures), for tests
 * that drive the log worker directly. `pageUrl(db)` opens the page on database `db`.
 */
export function useWorkerHarness(): {
  browser: () => Browser;
  pageUrl: (database: string) => string;
} {
  let browser: Browser | undefined;
  let server: Awaited<ReturnType<typeof startDevServer>> | undefined;
  beforeAll(async () => {
    [browser, server] = await Promise.all([launchChromium(), startDevServer()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.server.close();
  });
  return {
    browser: () => browser!,
    pageUrl: (database) =>
      `${server!.url}/test/e2e/fixtures/worker-page.html?db=${database}`,
  };
}
