import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { productionBuild } from '../../../scripts/production-build.ts';
import { startAppServer } from '../../../server/app-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    appUrl: string;
    /** The production build the app server serves (vite build's outDir). */
    appRoot: string;
  }
}

/** Builds the app once and serves it, with the relay, on a free loopback port for every e2e file. */
export default async function setup(project: TestProject) {
  const outDir = mkdtempSync(join(tmpdir(), 'forkline-e2e-'));
  // The e2e tests exercise exactly what `npm start` serves.
  await productionBuild(outDir);
  // The same server `npm start` runs: the built page and the relay in one process.
  const dataDir = mkdtempSync(join(tmpdir(), 'forkline-e2e-data-'));
  const app = await startAppServer({
    root: outDir,
    dataDir,
    port: 0,
    say: () => undefined,
  });
  project.provide('appUrl', app.url);
  project.provide('appRoot', outDir);
  return async () => {
    await app.close();
    rmSync(outDir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  };
}
