#!/usr/bin/env node
// Runs before `npm start` and `npm test`: installs what a fresh clone lacks.
// Dependency-free on purpose, since it runs before node_modules exists.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { findChromium, findHeadlessShell } from './chromium.mjs';

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

// Debian's Chromium for the benchmarks, and its headless shell for the tests (the
// same engine without the browser's window UI, which costs ~1.5 s of CPU per
// profile); `npm start` serves the app and needs neither.
const forTests = process.env.npm_lifecycle_event !== 'prestart';
const debianPackages = [
  ...(findChromium() ? [] : ['chromium']),
  ...(findHeadlessShell() || !forTests ? [] : ['chromium-headless-shell']),
];
if (debianPackages.length > 0 && isDebianRoot()) {
  console.log(
    `setup: installing ${debianPackages.join(' and ')} from Debian (apt-get)`,
  );
  run('apt-get update');
  run(
    `DEBIAN_FRONTEND=noninteractive apt-get install -y ${debianPackages.join(' ')}`,
  );
} else if (!findChromium() && !playwrightHasChromium()) {
  console.log('setup: installing Chromium for Playwright');
  run('npx playwright install chromium');
}

/** Whether something accepts connections on PostgreSQL's port on this machine. */
function postgresListens() {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: 5432 });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const hasPostgresServer = () =>
  existsSync('/usr/lib/postgresql') &&
  readdirSync('/usr/lib/postgresql').some((v) =>
    existsSync(`/usr/lib/postgresql/${v}/bin/initdb`),
  );

// The relay's tests run against a real PostgreSQL (test/support/postgres.ts): the
// one named by FORKLINE_TEST_DATABASE, one on 127.0.0.1:5432, or a throwaway
// cluster the tests start from Debian's packages.
if (
  process.env.npm_lifecycle_event === 'pretest' &&
  !process.env.FORKLINE_TEST_DATABASE &&
  !hasPostgresServer() &&
  !(await postgresListens())
) {
  if (isDebianRoot()) {
    console.log('setup: installing PostgreSQL from Debian (apt-get)');
    run('apt-get update');
    run('DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql');
  } else {
    console.log(
      'setup: the relay tests need PostgreSQL: set FORKLINE_TEST_DATABASE to a database URL, run one on 127.0.0.1:5432 (user postgres, trust authentication), or install the "postgresql" package',
    );
  }
}

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
if (process.env.npm_lifecycle_event === 'prestart') {
  console.log(`setup: ${pkg.name} ready`);
}
