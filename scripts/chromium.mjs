// Finds a Chromium the tests and benchmarks can drive. Dependency-free: the
// setup step imports it before node_modules exists.
import { existsSync } from 'node:fs';

const firstThere = (paths) => paths.find((path) => path && existsSync(path));

/** The path of a system Chromium (the browser people run), or undefined. */
export function findChromium() {
  return firstThere([
    process.env.CHROMIUM_PATH,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
  ]);
}

/**
 * The path of a system Chromium headless shell (Debian's `chromium-headless-shell`:
 * the same Blink, V8 and storage, without the browser's own UI), or undefined.
 * Chromium's full browser builds its window UI even when headless: a new profile's
 * first page costs ~1.5 s of CPU in the browser process and in a renderer for the
 * toolbar's own web UI (chrome://omnibox-popup.top-chrome), where the shell's costs
 * ~0.25 s. That is what Playwright itself runs for headless tests.
 */
export function findHeadlessShell() {
  return firstThere([
    process.env.CHROMIUM_PATH,
    '/usr/lib/chromium/chromium-headless-shell',
    '/usr/bin/chromium-headless-shell',
  ]);
}

/** Flags for a sandboxed, offline machine: no background traffic, no GPU. */
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Playwright launch options for the Chromium found on this machine: for tests, the
 * headless shell where there is one (else the browser); `browser: true` for the
 * benchmarks, which measure what a person's browser does. Without either, Playwright's
 * own build (its headless shell, for headless tests).
 */
export function chromiumLaunchOptions({ browser = false } = {}) {
  const executablePath = browser
    ? findChromium()
    : (findHeadlessShell() ?? findChromium());
  return {
    ...(executablePath ? { executablePath } : {}),
    args: chromiumArgs,
    headless: true,
  };
}
