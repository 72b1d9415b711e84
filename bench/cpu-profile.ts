import { writeFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';

/** Starts a CPU profile of `page`'s main thread; the function returned writes it to a file. */
export async function profileMainThread(
  page: Page,
): Promise<(file: string) => Promise<void>> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.start');
  return async (file) => {
    const { profile } = await cdp.send('Profiler.stop');
    await writeFile(file, JSON.stringify(profile));
    await cdp.detach();
  };
}
