import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  documentText,
  newDocument,
  openTabs,
  text,
  typeAtEnd,
} from './support/app.ts';
import { useChromium } from './support/browser.ts';
import {
  dropStorageConnection,
  duplicatedEdits,
  killLogWorker,
  logWorker,
  storedEvents,
  verifyInPage,
} from './support/faults.ts';
import { seeded } from '../support/seeded.ts';
import { trialSeed } from '../support/trials.ts';
import {
  PING_EVERY_MS,
  PING_TIMEOUT_MS,
} from '../../src/ui/supervisor-timing.ts';

const chromium = useChromium();
const status = (page: Page) => page.getByRole('status');

/**
 * Types `chunks` into `page`, one after another, and strikes `fault` at a seeded
 * moment while each chunk is being typed, so some faults land with an append in flight.
 */
async function typeThroughFaults(
  page: Page,
  chunks: string[],
  fault: (page: Page) => Promise<void>,
  seed: number,
): Promise<void> {
  const random = seeded(seed);
  await text(page).click();
  await page.keyboard.press('Control+End');
  for (const chunk of chunks) {
    const typing = page.keyboard.type(chunk, { delay: 12 });
    // The fault's seeded moment within the chunk: what the test varies, not a wait.
    await new Promise((r) => setTimeout(r, random() * chunk.length * 12));
    await fault(page);
    await typing;
  }
}

async function expectSavedAndWhole(page: Page, expected: string) {
  await expect
    .poll(() => status(page).textContent(), { timeout: 60_000 })
    .toContain('All changes saved');
  expect(await documentText(page)).toBe(expected);
  const events = await storedEvents(page);
  expect(duplicatedEdits(events)).toEqual([]);
  expect(await verifyInPage(page)).toBe(events.length);
  await page.reload();
  await expect.poll(() => documentText(page)).toBe(expected);
}

describe.each([
  ['the log worker dies', killLogWorker],
  ['the browser closes the IndexedDB connection', dropStorageConnection],
])('when %s while the user types', (_, fault) => {
  it('restarts the worker; typing goes on with nothing lost or stored twice, and the log verifies', async () => {
    const seed = trialSeed();
    console.info(
      `worker-restart seed ${seed} (${_}; replay: FORKLINE_SEED=${seed})`,
    );
    const { context, tabs } = await openTabs(chromium(), 2);
    const [one, two] = tabs as [Page, Page];
    await newDocument(one, [two], 'Restarts');
    const chunks = Array.from(
      { length: 4 },
      (_, i) => `Chunk ${i} typed through a fault. `,
    );
    await typeThroughFaults(one, chunks, fault, seed);
    await expect
      .poll(() => status(one).textContent())
      .toContain('Reconnected to local storage');
    // The other tab saw every chunk once; its typing reaches the restarted tab.
    await expect.poll(() => documentText(two)).toBe(chunks.join(''));
    await typeAtEnd(two, 'And a reply.');
    const expected = `${chunks.join('')}And a reply.`;
    await expect.poll(() => documentText(one)).toBe(expected);
    // Tabs show each other's typing before it is committed: wait for the reply's event too.
    await expect
      .poll(() => status(two).textContent(), { timeout: 60_000 })
      .toContain('All changes saved');
    await expectSavedAndWhole(one, expected);
    await context.close();
  }, 120_000);
});

describe('when the log worker stops answering', () => {
  it('gives it up after PING_TIMEOUT_MS, starts another, and keeps what was typed meanwhile', async () => {
    // The page's clock, not the wall's: the test moves it over the timeout, rather
    // than waiting 20 s and more for it.
    const { context, tabs } = await openTabs(chromium(), 1, { clock: true });
    const [page] = tabs as [Page];
    await newDocument(page, [], 'Wedged');
    await typeAtEnd(page, 'Before. ');
    await expect
      .poll(() => status(page).textContent())
      .toContain('All changes saved');
    // Stopped before the worker is: from here the page's time moves only when the
    // test moves it, so the worker goes silent at this moment of it.
    await context.clock.pauseAt(
      (await page.evaluate(() => Date.now())) + 1_000,
    );
    // Alive but deaf: its thread waits on a request nobody answers (a synchronous
    // one, which a worker may make), so it holds its Web Lock and answers nothing,
    // without spinning a core the other test files need.
    const deaf = new Promise<void>((resolve) =>
      context.route('**/never-answered', () => resolve()),
    );
    const worker = await logWorker(page);
    void worker
      .evaluate(() => {
        const request = new XMLHttpRequest();
        request.open('GET', '/never-answered', false);
        request.send();
      })
      .catch(() => undefined);
    await deaf;
    await typeAtEnd(page, 'Typed while it spins.');
    // Given up: the page says it reconnects, or has already.
    const givenUp = async () =>
      /stopped answering|Reconnected/.test(
        (await status(page).textContent()) ?? '',
      );
    // A ping goes out every PING_EVERY_MS and is given up PING_TIMEOUT_MS later. One
    // sent just before the worker went silent may be the one left unanswered, so
    // the page gives the worker up between PING_TIMEOUT_MS - PING_EVERY_MS and
    // PING_TIMEOUT_MS + PING_EVERY_MS after it did.
    await context.clock.runFor(PING_TIMEOUT_MS - PING_EVERY_MS - 1_000);
    expect(await givenUp()).toBe(false);
    await context.clock.runFor(2 * PING_EVERY_MS + 2_000);
    expect(await givenUp()).toBe(true);
    await context.clock.resume();
    await expect
      .poll(() => status(page).textContent())
      .toContain('Reconnected to local storage');
    await expectSavedAndWhole(page, 'Before. Typed while it spins.');
    await context.close();
  }, 120_000);
});
