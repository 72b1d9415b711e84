import './scripts/node20-polyfills.mjs';
import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { playwright } from '@vitest/browser-playwright';
import { VitePWA } from 'vite-plugin-pwa';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { chromiumLaunchOptions } from './scripts/chromium.mjs';
import { logWorkerChunk } from './scripts/log-worker-chunk.mjs';

// Property-test replay settings reach browser tests through test.env.
const propertyEnv = Object.fromEntries(
  ['FC_SEED', 'FC_RUNS', 'FC_PATH'].flatMap((k) =>
    process.env[k] ? [[k, process.env[k]]] : [],
  ),
);

const vendor = (file: string) =>
  fileURLToPath(new URL(`./src/vendor/${file}`, import.meta.url));

/**
 * lib0/environment, imported by Yjs and by lib0's own modules (relatively), resolves
 * to the part of it they use: src/vendor/lib0-environment.ts.
 */
const lib0Environment: Plugin = {
  name: 'forkline:lib0-environment',
  enforce: 'pre',
  resolveId(source, importer) {
    if (
      source === 'lib0/environment' ||
      (source === './environment.js' &&
        /[\\/]node_modules[\\/]lib0[\\/]/.test(importer ?? ''))
    )
      return vendor('lib0-environment.ts');
  },
};

export default defineConfig({
  plugins: [
    lib0Environment,
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
  resolve: {
    alias: [
      // Yjs logs a few warnings through lib0/logging, whose browser build styles them
      // with lib0/dom and lib0/schema (~8 KB minified); src/vendor/lib0-logging.ts has
      // what Yjs uses of it, in plain console calls.
      { find: /^lib0\/logging$/, replacement: vendor('lib0-logging.ts') },
    ],
  },
  worker: { format: 'es' },
  // Pre-bundled up front so Vite never reloads a browser test to add one.
  optimizeDeps: {
    include: [
      'idb',
      'comlink',
      'yjs',
      'fast-check',
      'preact',
      '@preact/signals',
    ],
  },
  build: {
    target: 'es2022',
    sourcemap: true,
    // Every browser that runs ES2022 supports <link rel="modulepreload">.
    modulePreload: { polyfill: false },
  },
  preview: { host: '127.0.0.1', port: 4173 },
  test: {
    env: propertyEnv,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          environment: 'node',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/e2e/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Waiting for the UI to settle may take seconds on a loaded machine; the
          // latency claims ("within a second") set their own tight timeouts.
          expect: { poll: { timeout: 10_000, interval: 25 } },
          // One Chromium at a time: two cores, and the tests measure latency.
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
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
