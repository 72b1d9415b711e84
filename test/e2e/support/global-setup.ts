import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { productionBuild } from '../../../scripts/production-build.ts';
import { startAppServer } from '../../../server/app-server.ts';
import { addFaultHooks } from './worker-fault-hooks.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    appUrl: string;
    /** The production build, exactly as `npm start` makes it (vite build's outDir). */
    appRoot: string;
    /** What appUrl serves: appRoot with fault hooks in its log worker. */
    servedRoot: string;
  }
}

/**
 * Builds the app once and serves it, with the relay, on a free loopback port for
 * every e2e file. One build: the e2e tests exercise exactly what `npm start` serves,
 * plus the fault hooks of worker-fault-hooks.ts put in front of the log worker in a
 * copy, so the production build itself never has them.
 */
export default async function setup(project: TestProject) {
  const outDir = mkdtempSync(join(tmpdir(), 'forkline-e2e-'));
  await productionBuild(outDir);
  const servedDir = mkdtempSync(join(tmpdir(), 'forkline-e2e-served-'));
  cpSync(outDir, servedDir, { recursive: true });
  addFaultHooks(servedDir);
  // The same server `npm start` runs: the built page and the relay in one process.
  const dataDir = mkdtempSync(join(tmpdir(), 'forkline-e2e-data-'));
  const app = await startAppServer({
    root: servedDir,
    dataDir,
    port: 0,
    say: () => undefined,
  });
  project.provide('appUrl', app.url);
  project.provide('appRoot', outDir);
  project.provide('servedRoot', servedDir);
  return async () => {
    await app.close();
    for (const dir of [outDir, servedDir, dataDir])
      rmSync(dir, { recursive: true, force: true });
  };
}
