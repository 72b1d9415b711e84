import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startAppServer, type AppServer } from '../../server/app-server.ts';
import { dropLog } from '../../server/pg-store.ts';
import {
  removeRelayBundle,
  startChildRelay,
  type ChildRelay,
} from '../support/child-relay.ts';
import {
  joinLog,
  newDocument,
  openTabs,
  shareLog,
  typingLatency,
} from './support/app.ts';
import { useChromium } from './support/browser.ts';

const chromium = useChromium();
const database = inject('databaseUrl');

/**
 * The page and one relay in this process, and a second relay in a process of its
 * own, both over the tests' database; the page's operator allows the second relay.
 */
let app: AppServer;
let other: ChildRelay;
const dataDir = mkdtempSync(join(tmpdir(), 'forkline-relays-'));
beforeAll(async () => {
  other = await startChildRelay({ dataDir, database });
  app = await startAppServer({
    root: inject('appRoot'),
    dataDir,
    database,
    port: 0,
    relayOrigins: [other.url.replace(/\/sync$/, '')],
    say: () => undefined,
  });
});
const logs: string[] = [];
afterAll(async () => {
  await app?.close();
  await other?.stop();
  await removeRelayBundle();
  const pool = new pg.Pool({ connectionString: database, max: 1 });
  for (const logId of logs) await dropLog(pool, logId);
  await pool.end();
  rmSync(dataDir, { recursive: true, force: true });
});

const status = (page: Page) => page.getByRole('status');

/** A share link's fragment, its relay replaced: the same log through another relay. */
function through(link: string, relay: string): string {
  const at = link.indexOf('#join=');
  const config = JSON.parse(
    Buffer.from(link.slice(at + '#join='.length), 'base64url').toString(),
  ) as { url: string; logId: string; token: string };
  logs.push(config.logId);
  const moved = { ...config, url: relay };
  return `${link.slice(0, at)}#join=${Buffer.from(JSON.stringify(moved)).toString('base64url')}`;
}

describe('two devices, each on its own relay process over one database', () => {
  it('show what one types on the other within a second', async () => {
    const laptop = await openTabs(chromium(), 0);
    const phone = await openTabs(chromium(), 0);
    const one = await laptop.context.newPage();
    const two = await phone.context.newPage();
    for (const page of [one, two]) {
      await page.goto(app.url);
      await status(page).waitFor();
    }
    await newDocument(one, [], 'Across relays');
    // The phone joins the log the laptop made, through the other relay: another
    // server than the page's, which the user says they trust first.
    await joinLog(
      two,
      through(await shareLog(one), other.url),
      'Across relays',
      {
        trust: true,
      },
    );

    expect(
      await typingLatency(
        [one, two],
        'Written through one relay.',
        'Written through one relay.',
        'across relays',
      ),
    ).toBeLessThan(1000);
    expect(
      await typingLatency(
        [two, one],
        ' Answered through the other.',
        'Written through one relay. Answered through the other.',
        'across relays',
      ),
    ).toBeLessThan(1000);
    await Promise.all([laptop.context.close(), phone.context.close()]);
  });
});
