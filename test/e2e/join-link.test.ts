import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  startAppServer,
  type AppServer,
  type AppServerOptions,
} from '../../server/app-server.ts';
import { newDocument, shareRefused } from './support/app.ts';
import { useChromium } from './support/browser.ts';

const chromium = useChromium();

interface Served extends AppServer {
  /** WebSocket handshakes the server has received, at any path. */
  upgrades: () => number;
  /** host:port, as the dialog names it. */
  host: string;
}

const dirs: string[] = [];
const servers: Served[] = [];

/** The production build on a server of its own, counting the WebSockets it is asked for. */
async function serve(options: Partial<AppServerOptions> = {}): Promise<Served> {
  const dataDir = mkdtempSync(join(tmpdir(), 'forkline-join-'));
  dirs.push(dataDir);
  const app = await startAppServer({
    root: inject('appRoot'),
    dataDir,
    port: 0,
    say: () => undefined,
    ...options,
  });
  let upgrades = 0;
  app.server.prependListener('upgrade', () => void upgrades++);
  const served = {
    ...app,
    upgrades: () => upgrades,
    host: new URL(app.url).host,
  };
  servers.push(served);
  return served;
}

/** `home` serves the page; `elsewhere` is a relay on another origin that home's operator allows. */
let home: Served;
let elsewhere: Served;
let locked: Served;
beforeAll(async () => {
  elsewhere = await serve();
  home = await serve({
    relayOrigins: [elsewhere.url.replace(/^http/, 'ws')],
  });
  locked = await serve({ adminSecret: 'a secret only the operator knows' });
});
afterAll(async () => {
  for (const server of servers) await server.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Created {
  url: string;
  logId: string;
  token: string;
}

/** A log on `relay`, created as its operator would (no browser involved). */
async function createLog(relay: Served): Promise<Created> {
  const answer = await fetch(`${relay.url}/api/logs`, { method: 'POST' });
  expect(answer.status).toBe(201);
  const { logId, token } = (await answer.json()) as Created;
  return { url: `${relay.url.replace(/^http/, 'ws')}/sync`, logId, token };
}

const fragment = (value: unknown) =>
  `#join=${Buffer.from(JSON.stringify(value)).toString('base64url')}`;

/** A new browser profile with the app of `server` open, at `hash` if given. */
async function openApp(
  server: Served,
  hash = '',
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await chromium().newContext();
  const page = await context.newPage();
  page.on('pageerror', (error) => {
    throw error;
  });
  await page.goto(`${server.url}/${hash}`);
  await page.getByRole('status').waitFor();
  return { context, page };
}

const dialog = (page: Page) =>
  page.getByRole('dialog', { name: 'Join a shared log' });
const storedRelay = (page: Page) =>
  page.evaluate(() => localStorage.getItem('forkline.relay'));
const status = (page: Page) => page.getByRole('status');

/** Opens `log` in `page` and joins it, as a user who trusts the link would. */
async function joinLog(page: Page, log: Created): Promise<void> {
  await page.evaluate((hash) => (location.hash = hash), fragment(log));
  await dialog(page).getByRole('button', { name: 'Join' }).click();
  await expect
    .poll(() => status(page).textContent(), { timeout: 20_000 })
    .toMatch(/Synced/);
}

describe('opening a share link', () => {
  it('asks first, naming the relay and the log, and connects or stores nothing until Join', async () => {
    const log = await createLog(home);
    const before = home.upgrades();
    const { context, page } = await openApp(home, fragment(log));
    await dialog(page).waitFor();
    await expect.poll(() => dialog(page).textContent()).toContain(home.host);
    expect(await dialog(page).textContent()).toContain(log.logId);
    // The token leaves the address bar at once, whatever the user answers.
    expect(new URL(page.url()).hash).toBe('');
    expect(await storedRelay(page)).toBeNull();
    expect(home.upgrades()).toBe(before);

    await dialog(page).getByRole('button', { name: 'Join' }).click();
    await expect
      .poll(() => status(page).textContent(), { timeout: 20_000 })
      .toMatch(/Synced/);
    expect(await dialog(page).count()).toBe(0);
    expect(JSON.parse((await storedRelay(page))!)).toEqual(log);
    expect(home.upgrades()).toBeGreaterThan(before);
    await context.close();
  });

  it('keeps the current relay, still syncing, when the user cancels', async () => {
    const current = await createLog(home);
    const offered = await createLog(home);
    const one = await openApp(home);
    await joinLog(one.page, current);

    await one.page.evaluate(
      (hash) => (location.hash = hash),
      fragment(offered),
    );
    await expect
      .poll(() => dialog(one.page).textContent())
      .toContain(
        `This replaces the relay this browser syncs with now, ${home.host}`,
      );
    expect(new URL(one.page.url()).hash).toBe('');
    await dialog(one.page).getByRole('button', { name: 'Cancel' }).click();
    expect(await dialog(one.page).count()).toBe(0);
    expect(JSON.parse((await storedRelay(one.page))!)).toEqual(current);

    // Still syncing with the current log: another device that joins it gets what one writes now.
    await newDocument(one.page, [], 'Written after Cancel');
    const two = await openApp(home);
    await joinLog(two.page, current);
    await two.page
      .getByRole('list', { name: 'Documents' })
      .getByRole('button', { name: 'Written after Cancel', exact: true })
      .waitFor();
    await Promise.all([one.context.close(), two.context.close()]);
  });

  it('warns that a link with another token for this log swaps the token, and offers the link that worked when the relay refuses it', async () => {
    const current = await createLog(home);
    const one = await openApp(home);
    await joinLog(one.page, current);
    const mistyped = { ...current, token: `${current.token.slice(0, -2)}zz` };

    await one.page.evaluate(
      (hash) => (location.hash = hash),
      fragment(mistyped),
    );
    await expect
      .poll(() => dialog(one.page).textContent())
      .toContain(
        "This browser already syncs with this log, with another token: joining swaps it for this link's.",
      );
    await dialog(one.page).getByRole('button', { name: 'Join' }).click();
    const sync = one.page.getByRole('region', { name: 'Sync' });
    await expect
      .poll(() => sync.textContent(), { timeout: 20_000 })
      .toContain('This link does not work: the relay refused it');
    expect(JSON.parse((await storedRelay(one.page))!)).toEqual(mistyped);

    await sync
      .getByRole('button', { name: 'Go back to the previous link' })
      .click();
    await expect
      .poll(() => status(one.page).textContent(), { timeout: 20_000 })
      .toMatch(/Synced/);
    expect(JSON.parse((await storedRelay(one.page))!)).toEqual(current);
    // Synced again: the link that worked is the one to share, and nothing is left to go back to.
    expect(
      await sync
        .getByRole('button', { name: 'Go back to the previous link' })
        .count(),
    ).toBe(0);
    expect(
      await one.page.evaluate(() =>
        localStorage.getItem('forkline.relay.previous'),
      ),
    ).toBeNull();
    await one.context.close();
  });

  it('names the current relay by its URL when the link names another relay URL on the same host', async () => {
    const current = await createLog(home);
    const one = await openApp(home);
    await joinLog(one.page, current);
    const other = { ...current, url: `${current.url}?elsewhere` };
    await one.page.evaluate((hash) => (location.hash = hash), fragment(other));
    await expect
      .poll(() => dialog(one.page).textContent())
      .toContain(
        `This replaces the relay this browser syncs with now, ${current.url} (log ${current.logId})`,
      );
    await dialog(one.page).getByRole('button', { name: 'Cancel' }).click();
    await one.context.close();
  });

  it('moves every tab of the profile to the new log when one tab joins it', async () => {
    const before = await createLog(home);
    const after = await createLog(home);
    const laptop = await openApp(home);
    const leader = laptop.page;
    await joinLog(leader, before);
    // A second tab: it waits for the lock the first one holds while syncing.
    const other = await laptop.context.newPage();
    await other.goto(home.url);
    await other.getByRole('status').waitFor();
    await joinLog(other, after);

    // The tab that synced the old log let go of it: what it writes now reaches the new log.
    await newDocument(leader, [], 'Written after the switch');
    const phone = await openApp(home);
    await joinLog(phone.page, after);
    await phone.page
      .getByRole('list', { name: 'Documents' })
      .getByRole('button', { name: 'Written after the switch', exact: true })
      .waitFor();
    await Promise.all([laptop.context.close(), phone.context.close()]);
  });

  it('joins a relay on another server only after the user says they trust it', async () => {
    const log = await createLog(elsewhere);
    const before = elsewhere.upgrades();
    const { context, page } = await openApp(home, fragment(log));
    await expect
      .poll(() => dialog(page).textContent())
      .toContain(
        `This relay is on a different server than this page. Everything in this browser's log will be uploaded to ${elsewhere.host}`,
      );
    const joinButton = dialog(page).getByRole('button', { name: 'Join' });
    expect(await joinButton.isDisabled()).toBe(true);
    await dialog(page)
      .getByRole('checkbox', {
        name: `I trust ${elsewhere.host} with this log`,
      })
      .check();
    expect(elsewhere.upgrades()).toBe(before);
    expect(await storedRelay(page)).toBeNull();

    await joinButton.click();
    // The page's policy lets it connect there: its server's operator allowed that relay.
    await expect
      .poll(() => status(page).textContent(), { timeout: 20_000 })
      .toMatch(/Synced/);
    expect(elsewhere.upgrades()).toBeGreaterThan(before);
    await context.close();
  });

  it("cannot join a relay the page's server does not allow, and says whom to ask", async () => {
    const { context, page } = await openApp(
      home,
      fragment({
        url: 'wss://relay.evil.example/sync',
        logId: 'stolen',
        token: 'abc',
      }),
    );
    await expect
      .poll(() => dialog(page).textContent())
      .toContain(
        "This page's server does not allow connecting to wss://relay.evil.example; ask its operator to add it with --relay-origin",
      );
    expect(
      await dialog(page).getByRole('button', { name: 'Join' }).count(),
    ).toBe(0);
    await dialog(page).getByRole('button', { name: 'Cancel' }).click();
    expect(await storedRelay(page)).toBeNull();
    await context.close();
  });

  it('gives focus back to the link field when the dialog is cancelled, by its button or by Escape, and to the share link after a join by keyboard', async () => {
    const log = await createLog(home);
    const { context, page } = await openApp(home);
    const field = page
      .getByRole('region', { name: 'Sync' })
      .getByRole('textbox', { name: 'Join with a share link' });
    const focused = () =>
      page.evaluate(() => document.activeElement?.getAttribute('type'));
    for (const close of ['button', 'Escape'] as const) {
      await field.fill(`${home.url}/${fragment(log)}`);
      await page
        .getByRole('region', { name: 'Sync' })
        .getByRole('button', { name: 'Join' })
        .click();
      await dialog(page).waitFor();
      if (close === 'button')
        await dialog(page).getByRole('button', { name: 'Cancel' }).click();
      else await page.keyboard.press('Escape');
      await expect.poll(() => dialog(page).count()).toBe(0);
      await expect.poll(focused).toBe('url');
      // The link stays, to join after all or to change (QA pass 11).
      expect(await field.inputValue()).toBe(`${home.url}/${fragment(log)}`);
    }
    expect(await storedRelay(page)).toBeNull();
    // By keyboard alone: Enter in the field asks, Enter on Join joins, and focus
    // goes to the share link now shown (the field that asked is gone).
    await field.fill(`${home.url}/${fragment(log)}`);
    await field.press('Enter');
    await dialog(page).getByRole('button', { name: 'Join' }).waitFor();
    await dialog(page).getByRole('button', { name: 'Join' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => dialog(page).count()).toBe(0);
    await expect
      .poll(() =>
        page.evaluate(() =>
          document.activeElement?.closest('label')?.textContent?.trim(),
        ),
      )
      .toMatch(/^Share link/);
    await context.close();
  });

  it('says what is wrong with a link that is not valid, in the dialog and in the Sync panel', async () => {
    const { context, page } = await openApp(home, fragment([home.url]));
    await expect
      .poll(() => dialog(page).textContent())
      .toContain(
        'That share link is not valid: it holds JSON that is not an object.',
      );
    expect(
      await dialog(page).getByRole('button', { name: 'Join' }).count(),
    ).toBe(0);
    await dialog(page).getByRole('button', { name: 'Cancel' }).click();
    // Opened by the address bar, nothing had focus: it goes to the link's field,
    // not to the page (QA pass 11).
    await expect
      .poll(() =>
        page.evaluate(() => document.activeElement?.getAttribute('type')),
      )
      .toBe('url');

    const sync = page.getByRole('region', { name: 'Sync' });
    const field = sync.getByRole('textbox', { name: 'Join with a share link' });
    await field.fill(
      `${home.url}/${fragment({ url: 'https://relay.example/sync', logId: 'x', token: 'y' })}`,
    );
    await sync.getByRole('button', { name: 'Join' }).click();
    // An alert: said when it comes, while focus stays in the field.
    await expect
      .poll(() => sync.getByRole('alert').textContent())
      .toContain(
        'That share link is not valid: the relay address must start with ws:// or wss://.',
      );
    expect(await dialog(page).count()).toBe(0);
    // The field is marked as refused, and described by why, until it changes.
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    const why = await field.getAttribute('aria-describedby');
    expect(await page.locator(`#${why}`).getAttribute('role')).toBe('alert');
    await field.press('End');
    await field.pressSequentially('x');
    expect(await field.getAttribute('aria-invalid')).toBeNull();
    await context.close();
  });
});

describe("sharing when the page's server is gone", () => {
  it('says the server does not answer now, not how a developer starts one', async () => {
    const gone = await serve();
    const { context, page } = await openApp(gone);
    await gone.close();
    servers.splice(servers.indexOf(gone), 1);
    await shareRefused(
      page,
      "This page's server does not answer now: sharing creates a log on its relay, so try again later.",
    );
    expect(await storedRelay(page)).toBeNull();
    await context.close();
  });
});

describe('a relay that comes back', () => {
  it('is tried at once from any tab with "Try now", which shows only while a retry waits', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'forkline-join-'));
    dirs.push(dataDir);
    const options = {
      root: inject('appRoot'),
      dataDir,
      port: 0,
      say: () => undefined,
    };
    let relay = await startAppServer(options);
    const port = Number(new URL(relay.url).port);
    const answer = await fetch(`${relay.url}/api/logs`, { method: 'POST' });
    const { logId, token } = (await answer.json()) as Created;
    const log = {
      url: `${relay.url.replace(/^http/, 'ws')}/sync`,
      logId,
      token,
    };
    const { context, page: leader } = await openApp(relay as Served);
    await joinLog(leader, log);
    // A second tab of the profile: it does not lead, so its "Try now" is passed on.
    const other = await context.newPage();
    await other.goto(relay.url);
    await expect.poll(() => status(other).textContent()).toMatch(/Synced/);
    const tryNow = other
      .getByRole('region', { name: 'Sync' })
      .getByRole('button', { name: 'Try now' });
    expect(await tryNow.count()).toBe(0);

    try {
      // The relay goes and comes back; "Try now" is pressed once it is up. Under
      // load the page's own retry may reach it first, and the button goes before
      // the press: then again, as the press is what this tests.
      for (let attempt = 1; ; attempt++) {
        await relay.close();
        await expect
          .poll(() => status(other).textContent(), { timeout: 20_000 })
          .toMatch(/Relay unreachable/);
        await tryNow.waitFor();
        relay = await startAppServer({ ...options, port });
        const pressed = await tryNow.click({ timeout: 5_000 }).then(
          () => true,
          () => false,
        );
        if (pressed) break;
        expect(
          attempt,
          'the page’s own retry came first every time',
        ).toBeLessThan(3);
        await expect
          .poll(() => status(other).textContent(), { timeout: 20_000 })
          .toMatch(/Synced/);
      }
      await expect
        .poll(() => status(other).textContent(), { timeout: 20_000 })
        .toMatch(/Synced/);
      expect(await tryNow.count()).toBe(0);
    } finally {
      await context.close();
      await relay.close();
    }
  });
});

describe('sharing through a relay that needs its admin secret', () => {
  it('tells the user the operator must create the log', async () => {
    const { context, page } = await openApp(locked);
    await shareRefused(
      page,
      'This relay needs its admin secret to create logs',
    );
    expect(await storedRelay(page)).toBeNull();
    await context.close();
  });
});
