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
