import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { LogWorker } from '../../src/ui/log-client.ts';
import type { VerifyReport } from '../../src/index.ts';
import { useWorkerHarness } from './support/browser.ts';

type Harness = LogWorker & { verify(): Promise<VerifyReport> };
declare const harness: Promise<Harness>;

const { browser, pageUrl } = useWorkerHarness();

async function appendNoise(page: Page): Promise<{
  ok: boolean;
  error?: { name: string; code: string; message: string };
}> {
  return page.evaluate(async () => {
    const { service } = await harness;
    // Random text: Chromium compresses IndexedDB values, so repeated characters would never fill it.
    const noise = () =>
      btoa(
        String.fromCharCode(...crypto.getRandomValues(new Uint8Array(60_000))),
      );
    try {
      await service.append('doc/q', [
        { type: 't', data: noise() },
        { type: 't', data: noise() },
      ]);
      return { ok: true };
    } catch (e) {
      const { name, code, message } = e as {
        name: string;
        code: string;
        message: string;
      };
      return { ok: false, error: { name, code, message } };
    }
  });
}

describe('quota exceeded', () => {
  it('rejects the append with a typed error, stores nothing of it, and appends again once space is back', async () => {
    const context = await browser().newContext();
    const page = await context.newPage();
    const origin = new URL(pageUrl('quota')).origin;
    const cdp = await context.newCDPSession(page);
    // Chromium reads the quota when the database's backing store opens: override first.
    await cdp.send('Storage.overrideQuotaForOrigin', {
      origin,
      quotaSize: 600_000,
    });
    await page.goto(pageUrl('quota'));
    await page.evaluate(async () =>
      (await harness).service.append('doc/q', { type: 't', data: 'kept' }),
    );

    let failure: Awaited<ReturnType<typeof appendNoise>>['error'];
    let acknowledged = 0;
    for (let i = 0; i < 40 && !failure; i++) {
      const result = await appendNoise(page);
      if (result.ok) acknowledged++;
      failure = result.error;
    }
    expect(failure).toMatchObject({
      name: 'StorageError',
      code: 'STORAGE_QUOTA_EXCEEDED',
    });
    expect(failure!.message).toMatch(/Storage is full.*Nothing was saved/);
    const events = await page.evaluate(
      async () => (await (await harness).service.readStream('doc/q')).length,
    );
    expect(events).toBe(1 + 2 * acknowledged); // every acknowledged batch whole, nothing of the failed one
    expect(
      await page.evaluate(async () => (await harness).verify()),
    ).toMatchObject({ ok: true });

    await cdp.send('Storage.overrideQuotaForOrigin', { origin });
    expect(await appendNoise(page)).toEqual({ ok: true });
    await context.close();
  }, 60_000);
});
