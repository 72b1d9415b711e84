import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startAppServer, type AppServer } from '../../server/app-server.ts';
import { useChromium } from './support/browser.ts';

const chromium = useChromium();

/** A copy of the build on its own server: this test deploys a new version of it. */
let root: string;
let dataDir: string;
let app: AppServer;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'forkline-update-'));
  dataDir = mkdtempSync(join(tmpdir(), 'forkline-update-data-'));
  cpSync(inject('appRoot'), root, { recursive: true });
  app = await startAppServer({ root, dataDir, port: 0, say: () => undefined });
});
afterAll(async () => {
  await app?.close();
  rmSync(root, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a new version of the app', () => {
  it('waits for the user, then takes over on their click and reloads the tab', async () => {
    const context = await chromium().newContext();
    const page = await context.newPage();
    await page.goto(app.url);
    const reload = page.getByRole('button', {
      name: 'New version available: reload',
    });
    const controlled = () =>
      page.evaluate(() => navigator.serviceWorker.controller !== null);
    // The first install has nothing to replace: no offer, and the next visit is served by it.
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => null));
    await page.reload();
    await expect.poll(controlled).toBe(true);
    await expect(reload.count()).resolves.toBe(0);

    // Deploy: any change to the service worker is a new version.
    appendFileSync(join(root, 'sw.js'), '\n// the next version\n');
    await page.evaluate(() => {
      Object.assign(window, { beforeUpdate: true });
      return navigator.serviceWorker.getRegistration().then((r) => r?.update());
    });
    await reload.waitFor();
    // Waiting, not active: the running tab keeps its version until asked.
    expect(
      await page.evaluate(async () => {
        const registration = await navigator.serviceWorker.getRegistration();
        return registration?.waiting !== null;
      }),
    ).toBe(true);

    // A second tab on the old version, offered the same update.
    const other = await context.newPage();
    await other.goto(app.url);
    await other.evaluate(() => Object.assign(window, { beforeUpdate: true }));
    const otherReload = other.getByRole('button', {
      name: 'New version available: reload',
    });
    await otherReload.waitFor();

    await reload.click();
    await expect
      .poll(() => page.evaluate(() => 'beforeUpdate' in window))
      .toBe(false);
    // The other tab's button still reloads it, into the version now active:
    // before, it asked a worker already active to skip waiting, and nothing came.
    await otherReload.click();
    await expect
      .poll(() => other.evaluate(() => 'beforeUpdate' in window))
      .toBe(false);
    await expect(otherReload.count()).resolves.toBe(0);
    await expect.poll(controlled).toBe(true);
    expect(
      await page.evaluate(async () => {
        const registration = await navigator.serviceWorker.getRegistration();
        return registration?.waiting ?? null;
      }),
    ).toBeNull();
    await expect(reload.count()).resolves.toBe(0);
    await context.close();
  });
});
