// Finds a Chromium the tests and benchmarks can drive. Dependency-free: the
// setup step imports it before node_modules exists.
import { existsSync } from 'node:fs';

const candidates = [
  process.env.CHROMIUM_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
];

/** The path of a system Chromium, or undefined when only Playwright's own build can be used. */
export function findChromium() {
  return candidates.find((path) => path && existsSync(path));
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

/** Playwright launch options for the Chromium found on this machine. */
export function chromiumLaunchOptions() {
  const executablePath = findChromium();
  return {
    ...(executablePath ? { executablePath } : {}),
    args: chromiumArgs,
    headless: true,
  };
}
