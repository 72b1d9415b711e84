import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { productionBuild } from '../scripts/production-build.ts';
import type { BenchResult, Scenario } from './scenario.ts';

/** Every file under `dir` whose name ends in .js, with its path relative to `dir`. */
async function scripts(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.js'))
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

/**
 * Chunks fetched only when a view is first opened (lazyView in src/ui/app.tsx), by
 * the name Vite gives them: the views of the whole log, with the charting library,
 * and authorship.
 */
const LAZY = ['insights-view', 'event-explorer', 'authorship-view'];
/**
 * The document editor's chunk (CodeMirror, src/ui/text-editor.tsx): fetched while
 * the log opens, not before the page paints, and needed as soon as a document is
 * shown, so counted apart from both.
 */
const EDITOR = 'text-editor';

/** A size in KB (1000 bytes), as a figure that does not vary between runs. */
function size(name: string, bytes: number, goal?: string): BenchResult {
  const value = Math.round(bytes / 10) / 100;
  return {
    name,
    value,
    unit: 'KB',
    ...(goal ? { goal } : {}),
    runs: 1,
    min: value,
    max: value,
  };
}

/**
 * The JavaScript the app ships, gzipped (level 9, as Vite reports it): a
 * production build, exactly as `npm start` makes it, measured file by file. The
 * app's page, its log worker and the chunks they share are under assets/, all
 * precached by the service worker on the first visit; the service worker's own
 * scripts (sw.js and the Workbox runtime it imports) are counted apart. Of the
 * app's, `first-load` is what a page runs before any view is opened (the page, the
 * log worker and what they share), `editor` the document editor fetched while the
 * log opens, and `loaded-on-use` the chunks a view fetches when first opened (LAZY).
 */
export const bundleScenario: Scenario = {
  name: 'bundle.gzip',
  summary: 'KB of gzipped JavaScript shipped: page, log worker, service worker',
  async run(context) {
    const outDir = await mkdtemp(join(tmpdir(), 'forkline-bundle-'));
    try {
      await productionBuild(outDir);
      let app = 0;
      let lazy = 0;
      let editor = 0;
      let serviceWorker = 0;
      for (const file of await scripts(outDir)) {
        const gzipped = gzipSync(await readFile(join(outDir, file)), {
          level: 9,
        }).length;
        context.note(`${file}: ${(gzipped / 1000).toFixed(2)} KB gzip`);
        if (file.startsWith('assets/')) app += gzipped;
        else serviceWorker += gzipped;
        if (LAZY.some((name) => file.startsWith(`assets/${name}-`)))
          lazy += gzipped;
        if (file.startsWith(`assets/${EDITOR}-`)) editor += gzipped;
      }
      return [
        size('bundle.gzip', app, '<= 60'),
        size('bundle.gzip.first-load', app - lazy - editor),
        size('bundle.gzip.editor', editor),
        size('bundle.gzip.loaded-on-use', lazy),
        size('bundle.gzip.service-worker', serviceWorker),
      ];
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  },
};
