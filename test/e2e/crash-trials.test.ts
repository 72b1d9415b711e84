// Seeded crash trials against the built app: a tab's renderer or its log worker is
// killed at a random moment while the user types, while a large import runs, or
// while the tab syncs from the relay. Reopened, the log verifies, everything the
// app had confirmed is there, and the page shows the document. `npm test` runs a
// sample of 3; `npm run trials` runs 100 (FORKLINE_TRIALS); FORKLINE_SEED replays.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { openDocument, openLog } from '../../src/index.ts';
import {
  connectToRelay,
  type SocketLike,
} from '../../src/sync/relay-client.ts';
import { collect } from '../support/records.ts';
import { seeded } from '../support/seeded.ts';
import { trialCount, trialSeed } from '../support/trials.ts';
import { documentText, openTabs, text, title } from './support/app.ts';
import { useChromium } from './support/browser.ts';
import {
  describePage,
  kill,
  listen,
  LOADED,
  pause,
  reopen,
  runTrials,
  status,
  type Victim,
} from './support/crash-trial.ts';
import {
  duplicatedEdits,
  logWorker,
  storedEvents,
  verifyInPage,
} from './support/faults.ts';

const chromium = useChromium();
const TRIALS = trialCount(3, 'as-set');
const SEED = trialSeed();
/** A safety net, not pacing: a trial takes seconds, two run at a time. */
const TIMEOUT = 120_000 + TRIALS * 15_000;

/** A document of many small edits: exported to a file for imports, pushed to the relay for syncs. */
let fixture: {
  file: string;
  lines: number;
  text: string;
  relay: { url: string; logId: string; token: string };
};
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'forkline-crash-'));
  const log = await openLog({ actor: 'fixture-device' });
  const doc = await openDocument(log, 'crash-fixture', { author: 'Fixture' });
  await doc.setField('title', 'Fixture');
  let body = '';
  for (let i = 0; i < 200; i++) {
    const line = `line ${i}\n`;
    await doc.editText(body.length, 0, line);
    body += line;
  }
  // Bulk beside the document, so a kill can land in the middle of an import or a sync.
  for (let i = 0; i < 500; i += 100)
    await log.append(
      'log/filler',
      Array.from({ length: 100 }, (_, k) => ({
        type: 'test.filler',
        data: { n: i + k, pad: 'x'.repeat(100) },
      })),
    );
  const lines = (await collect(log.export())).map((l) => l.trimEnd());
  const file = join(dir, 'fixture.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  // A relay log holding the same events, for the sync trials.
  const appUrl = inject('appUrl');
  const created = (await (
    await fetch(`${appUrl}/api/logs`, { method: 'POST' })
  ).json()) as { logId: string; token: string };
  const relay = { url: `${appUrl.replace(/^http/, 'ws')}/sync`, ...created };
  await new Promise<void>((resolve) => {
    const client = connectToRelay(log, {
      ...relay,
      createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
      onState: (state) => {
        if (state.kind === 'synced') {
          client.close();
          resolve();
        }
      },
    });
  });
  fixture = { file, lines: lines.length, text: body, relay };
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Scenario = 'typing' | 'import' | 'sync';
/** Everything checked after a trial: returns a line for the summary. */
async function trial(seed: number): Promise<string> {
  // Any six seeds in a row cover every scenario and victim; the rest is random.
  const scenario = (['typing', 'import', 'sync'] as const)[seed % 3]!;
  const victim: Victim = Math.floor(seed / 3) % 2 === 0 ? 'page' : 'worker';
  const random = seeded(seed);
  const { context, tabs } = await openTabs(chromium(), 1);
  let page = tabs[0]!;
  const heard = listen(context);
  try {
    let outcome: string;
    if (scenario === 'typing') outcome = await typing(page, victim, random);
    else if (scenario === 'import')
      outcome = await importing(page, victim, random);
    else {
      await context.addInitScript((config) => {
        localStorage.setItem('forkline.relay', JSON.stringify(config));
      }, fixture.relay);
      await page.reload();
      const worker = victim === 'worker' ? await logWorker(page) : undefined;
      await pause(random() * 700);
      await kill(page, victim, worker);
      page = await reopen(context, page, victim);
      // Syncing resumes by version vector and completes (the document may only arrive now).
      await page
        .getByRole('list', { name: 'Documents' })
        .getByRole('button', { name: 'Fixture', exact: true })
        .click({ timeout: LOADED });
      await expect
        .poll(() => documentText(page), { timeout: LOADED })
        .toBe(fixture.text);
      await expect
        .poll(async () => (await storedEvents(page)).length, {
          timeout: LOADED,
        })
        .toBe(fixture.lines);
      outcome = 'resumed and complete';
    }
    if (scenario !== 'sync') page = await reopen(context, page, victim);
    const check = await afterReopen(page, scenario, outcome);
    return `${seed} ${scenario}/${victim}: ${check}`;
  } catch (error) {
    console.error(
      `crash trial failed; replay with FORKLINE_SEED=${seed} FORKLINE_TRIALS=1\n${await describePage(page, heard)}`,
    );
    throw error;
  } finally {
    await context.close();
  }
}

/** Types a part the app confirms, then more, and kills mid-way through the rest. */
async function typing(
  page: Page,
  victim: Victim,
  random: () => number,
): Promise<string> {
  await page.getByRole('button', { name: 'New document' }).click();
  await expect.poll(() => title(page).inputValue()).toBe('Untitled');
  const confirmed = `confirmed ${Math.floor(random() * 1000)} `;
  const rest = 'then more typing'.slice(0, 4 + Math.floor(random() * 12));
  await text(page).click();
  await page.keyboard.type(confirmed);
  await expect
    .poll(() => status(page).textContent())
    .toContain('All changes saved');
  const typing = page.keyboard.type(rest, { delay: 10 }).catch(() => 'cut');
  await pause(random() * (rest.length * 10 + 150));
  await kill(page, victim);
  await typing;
  if (victim === 'worker') {
    // The page restarted its worker: everything typed is saved, nothing twice.
    await expect
      .poll(() => status(page).textContent(), { timeout: LOADED })
      .toContain('All changes saved');
    expect(await documentText(page)).toBe(confirmed + rest);
  }
  return JSON.stringify({ confirmed, rest });
}

async function importing(
  page: Page,
  victim: Victim,
  random: () => number,
): Promise<string> {
  const worker = victim === 'worker' ? await logWorker(page) : undefined;
  await page.getByLabel('Import log').setInputFiles(fixture.file);
  await pause(random() * 300);
  await kill(page, victim, worker);
  if (victim === 'page') return 'unknown';
  // The page outlived its worker: it says whether the import had been confirmed.
  await expect
    .poll(() => page.locator('.transfer-result').textContent(), {
      timeout: LOADED,
    })
    .not.toBe('');
  const said = (await page.locator('.transfer-result').textContent()) ?? '';
  return said.startsWith('Imported') ? 'confirmed' : 'unconfirmed';
}

async function afterReopen(
  page: Page,
  scenario: Scenario,
  outcome: string,
): Promise<string> {
  // Verifying goes through the app's worker, which has opened (or made) the database.
  const verified = await verifyInPage(page);
  const events = await storedEvents(page);
  expect(verified).toBe(events.length);
  if (scenario === 'typing') {
    expect(duplicatedEdits(events)).toEqual([]);
    const { confirmed, rest } = JSON.parse(outcome) as Record<string, string>;
    await expect.poll(() => documentText(page)).toMatch(/^confirmed \d+ /);
    const shown = await documentText(page);
    // Every confirmed keystroke is there; what follows is a prefix of what was typed.
    expect(shown.startsWith(confirmed!)).toBe(true);
    expect((confirmed! + rest!).startsWith(shown)).toBe(true);
    return `${shown.length - confirmed!.length}/${rest!.length} unconfirmed chars kept, ${events.length} events`;
  }
  if (scenario === 'import') {
    // All of the import or none of it; all of it once the page had said so.
    expect([0, fixture.lines]).toContain(events.length);
    if (outcome === 'confirmed') expect(events.length).toBe(fixture.lines);
    if (events.length > 0)
      await expect.poll(() => documentText(page)).toBe(fixture.text);
    return `${events.length === 0 ? 'none' : 'all'} of ${fixture.lines} (${outcome})`;
  }
  expect(events.length).toBe(fixture.lines);
  return outcome;
}

describe('crash trials', { timeout: TIMEOUT }, () => {
  it(`${TRIALS} seeded kills of a tab or its worker during typing, import and sync`, () =>
    runTrials('crash trials', SEED, TRIALS, trial));
});
