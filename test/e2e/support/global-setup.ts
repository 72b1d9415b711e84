import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, preview, type PreviewServer } from 'vite';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    appUrl: string;
  }
}

/** Builds the app once and serves the build on a free loopback port for every e2e file. */
export default async function setup(project: TestProject) {
  const root = new URL('../../../', import.meta.url).pathname;
  const outDir = mkdtempSync(join(tmpdir(), 'forkline-e2e-'));
  await build({
    root,
    logLevel: 'error',
    build: { outDir, emptyOutDir: true },
  });
  const server: PreviewServer = await preview({
    root,
    logLevel: 'error',
    build: { outDir },
    preview: { host: '127.0.0.1', port: 0, strictPort: false },
  });
  project.provide('appUrl', server.resolvedUrls!.local[0]!.replace(/\/$/, ''));
  return async () => {
    await new Promise<void>((resolve) =>
      server.httpServer.close(() => resolve()),
    );
    rmSync(outDir, { recursive: true, force: true });
  };
}
