#!/usr/bin/env node
// Runs before `npm start` and `npm test`: installs what a fresh clone lacks.
// Dependency-free on purpose, since it runs before node_modules exists.
import { execSync } from 'node:child_process';
import { existsSync, statSync, readFileSync } from 'node:fs';
import { findChromium } from './chromium.mjs';

const run = (command) => execSync(command, { stdio: 'inherit' });

function dependenciesAreCurrent() {
  const installed = 'node_modules/.package-lock.json';
  if (!existsSync(installed)) return false;
  return statSync(installed).mtimeMs >= statSync('package-lock.json').mtimeMs;
}

function isDebianRoot() {
  return process.getuid?.() === 0 && existsSync('/etc/debian_version');
}

function playwrightHasChromium() {
  try {
    const out = execSync(
      'npx --no-install playwright install --dry-run chromium',
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    const dir = /Install location:\s+(\S+)/.exec(out)?.[1];
    return Boolean(dir && existsSync(dir));
  } catch {
    return false;
  }
}

if (!dependenciesAreCurrent()) {
  console.log('setup: installing npm dependencies (npm ci)');
  run('npm ci');
}

if (!findChromium() && !playwrightHasChromium()) {
  if (isDebianRoot()) {
    console.log('setup: installing Chromium from Debian (apt-get)');
    run('apt-get update');
    run('DEBIAN_FRONTEND=noninteractive apt-get install -y chromium');
  } else {
    console.log('setup: installing Chromium for Playwright');
    run('npx playwright install chromium');
  }
}

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
if (process.env.npm_lifecycle_event === 'prestart') {
  console.log(`setup: ${pkg.name} ready`);
}
