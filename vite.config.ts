import './scripts/node20-polyfills.mjs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { playwright } from '@vitest/browser-playwright';
import { VitePWA } from 'vite-plugin-pwa';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { chromiumLaunchOptions } from './scripts/chromium.mjs';
import { logWorkerChunk } from './scripts/log-worker-chunk.mjs';
import { FUZZ_TIMEOUT_MS } from './test/support/property.ts';

// Property-test and trial settings (replay, run counts) reach browser tests through test.env.
const propertyEnv = Object.fromEntries(
  ['FC_SEED', 'FC_RUNS', 'FC_PATH', 'FORKLINE_TRIALS', 'FORKLINE_SEED'].flatMap(
    (k) => (process.env[k] ? [[k, process.env[k]]] : []),
  ),
);
/** A test's timeout: `ms`, or as long as a run count set by FC_RUNS takes (test/support/property.ts). */
const timeout = (ms: number) =>
  process.env.FC_RUNS ? Math.max(ms, FUZZ_TIMEOUT_MS) : ms;

const vendor = (file: string) =>
  fileURLToPath(new URL(`./src/vendor/${file}`, import.meta.url));

/**
 * Yjs's imports of lib0/logging and lib0/environment (and lib0's own, relative ones)
 * resolve to the parts of them Yjs uses, in src/vendor/: lib0's logging styles its
 * output with lib0/dom and lib0/schema, its environment parses argv, URL parameters
 * and localStorage; ~2 KB of the gzipped bundle for three warnings and two answers.
 */
const LIB0_SHIMS = ['logging', 'environment'];
const lib0Shims: Plugin = {
  name: 'forkline:lib0-shims',
  enforce: 'pre',
  resolveId(source, importer) {
    const bare = /^lib0\/(\w+)$/.exec(source)?.[1];
    const relative = /[\\/]node_modules[\\/]lib0[\\/]/.test(importer ?? '')
      ? /^\.\/(\w+)\.js$/.exec(source)?.[1]
      : undefined;
    const name = bare ?? relative;
    if (name && LIB0_SHIMS.includes(name)) return vendor(`lib0-${name}.ts`);
  },
};

export default defineConfig({
  plugins: [
    lib0Shims,
    preact(),
    logWorkerChunk(),
    // Precaches the app shell, the log worker included, so the page opens offline after
    // one visit. 'prompt': a new version waits for the user instead of reloading tabs.
    VitePWA({
      registerType: 'prompt',
      injectRegister: false,
      workbox: {
        globPatterns: ['**/*.{js,css,html,svg,webmanifest}'],
        navigateFallback: 'index.html',
        cleanupOutdatedCaches: true,
      },
      manifest: {
        name: 'forkline',
        short_name: 'forkline',
        description:
          'A local-first event log: documents that never lose a concurrent edit.',
        start_url: '.',
        display: 'standalone',
        background_color: '#f4f6f9',
        theme_color: '#1f5fbf',
        icons: [],
      },
    }),
  ],
  worker: { format: 'es' },
  // Pre-bundled up front so Vite never reloads a browser test to add one.
  optimizeDeps: {
    include: [
      'idb',
      'comlink',
      'yjs',
      'fast-check',
      'preact',
      'preact/hooks',
      '@preact/signals',
      'uplot',
    ],
  },
  build: {
    target: 'es2022',
    // Source maps publish the sources beside the app: only when asked for.
    sourcemap: process.env.FORKLINE_SOURCEMAP === '1',
    // Every browser that runs ES2022 supports <link rel="modulepreload">.
    modulePreload: { polyfill: false },
  },
  preview: { host: '127.0.0.1', port: 4173 },
  test: {
    env: propertyEnv,
    // Vitest's default in a run is one worker fewer than the cores: one, on two cores,
    // which ran every file in turn. The e2e files mostly wait on Chromium.
    maxWorkers: Math.max(2, availableParallelism()),
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          environment: 'node',
          include: ['test/unit/**/*.test.ts'],
          // One module graph per worker, not one per file: the unit files each
          // took about a second to import yjs, pg and the engine afresh, and the
          // project took 73 s, not 35 s (90 files, same results). Every file
          // puts back what it changes (fake timers, servers, pools, processes).
          isolate: false,
          // A real PostgreSQL for the relay's store (test/support/postgres.ts).
          globalSetup: ['test/support/postgres-setup.ts'],
          // Safety nets, not pacing: on a loaded machine a test that opens sockets,
          // files or child processes may legitimately take far longer than 5 s.
          testTimeout: timeout(60_000),
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: [
            'test/e2e/support/global-setup.ts',
            'test/support/postgres-setup.ts',
          ],
          // Safety nets, not pacing: a loaded machine stalls at times.
          testTimeout: timeout(120_000),
          hookTimeout: 120_000,
          // Waiting for the UI to settle may take many seconds on a loaded machine; the
          // latency claims ("within a second") set their own tight timeouts.
          expect: { poll: { timeout: 30_000, interval: 25 } },
          // Two files at once (one per core, maxWorkers above): every wait is on an
          // event, and the latency claims ("within a second") hold beside another
          // Chromium. One at a time took 237 s for the whole run, two 132 s.
          fileParallelism: true,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: timeout(60_000),
          hookTimeout: 60_000,
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({ launchOptions: chromiumLaunchOptions() }),
            instances: [{ browser: 'chromium' }],
            screenshotFailures: false,
          },
        },
      },
    ],
  },
});
