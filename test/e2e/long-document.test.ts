// Issue 15: a long document, imported, is whole to work with: it opens, takes typing
// in two tabs, shows its timeline at the end, and its history can be walked back to
// an early conflict, compared and restored from there.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { exportedDocument, titleOf } from '../../bench/tabs-keystroke-large.ts';
import {
  addedIn,
  compareTextEpisode,
  documentText,
  openTabs,
  timeline,
  typeAtEnd,
  importLogFile,
} from './support/app.ts';
import { useChromium } from './support/browser.ts';
import { fullTrials } from '../support/trials.ts';

const chromium = useChromium();
/**
 * Sequential typing with 300 concurrent episodes (bench/conflicts-query.ts): 100k
 * events under `npm run trials`; `npm test` runs the same walk at 10k (the history's
 * pages and the document's checkpoints still more than one), which keeps every
 * episode.
 */
const SIZE = fullTrials ? 100_000 : 10_000;

const dir = await mkdtemp(join(tmpdir(), 'forkline-long-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

async function open(page: Page, length: number): Promise<void> {
  await page
    .getByRole('list', { name: 'Documents' })
    .getByRole('button', { name: titleOf(SIZE), exact: true })
    .click();
  await expect
    .poll(() => documentText(page).then((t) => t.length))
    .toBe(length);
}

describe(`a document of ${SIZE} events, imported`, () => {
  it('opens in two tabs, takes typing, and is walked back to an early conflict, compared and restored', async () => {
    const { file, length, events } = await exportedDocument(dir, SIZE);
    const { context, tabs } = await openTabs(chromium(), 2);
    const [one, two] = tabs as [Page, Page];
    await importLogFile(one, file, 120_000);
    for (const page of [one, two]) await open(page, length);

    // The timeline at its end: the graph reaches the last event, and every conflict
    // is listed, a hundred at a time.
    const graph = () =>
      timeline(one).getByRole('img').getAttribute('aria-label');
    await expect
      .poll(graph)
      .toMatch(new RegExp(` of ${events}, in \\d+ lanes?$`));
    const count = timeline(one).locator('.count');
    await expect.poll(() => count.textContent()).toMatch(/^\d+ conflicts/);
    const total = Number(/^(\d+)/.exec((await count.textContent())!)![1]);
    expect(total).toBeGreaterThan(300);
    const more = timeline(one).getByRole('button', { name: /^Show \d+ more/ });
    while ((await more.count()) > 0) await more.click();
    expect(await timeline(one).getByRole('listitem').count()).toBe(total);

    // Typing in both tabs reaches the other.
    await typeAtEnd(one, ' One.');
    await expect.poll(() => documentText(two)).toMatch(/ One\.$/);
    await typeAtEnd(two, ' Two.');
    await expect.poll(() => documentText(one)).toMatch(/ One\. Two\.$/);

    // Far back: the first conflict after version 100.
    const versions = one.getByRole('region', { name: 'Version history' });
    await versions.getByRole('slider').fill('100');
    await versions.getByRole('button', { name: 'Next conflict' }).click();
    const version = () =>
      versions
        .getByText(/^Version \d+ of \d+/)
        .first()
        .textContent();
    await expect
      .poll(async () => Number(/^Version (\d+)/.exec((await version())!)![1]))
      .toBeGreaterThan(100);
    const at = Number(/^Version (\d+)/.exec((await version())!)![1]);
    expect(at).toBeLessThan(events / 10);
    const past = versions.getByRole('textbox', {
      name: 'Text at this version',
    });
    await expect.poll(() => past.inputValue()).not.toBe('Loading…');
    const earlier = await past.inputValue();
    // An early version: its text is a small part of today's.
    expect(earlier.length).toBeGreaterThan(0);
    expect(earlier.length).toBeLessThanOrEqual(at);
    expect(earlier.length).toBeLessThan(length / 10);

    // The earliest conflict listed, compared: each writer's own character.
    await compareTextEpisode(one, 'last');
    const added = (group: string) => addedIn(one, group);
    await expect
      .poll(async () => [await added('Side 1'), await added('Side 2')].sort())
      .toEqual(['a', 'b']);

    // Restored from there: both tabs hold that version's text.
    await versions
      .getByRole('button', { name: 'Restore this version' })
      .click();
    for (const page of [one, two])
      await expect.poll(() => documentText(page)).toBe(earlier);
    // Back at the latest, its line says what it did, and which version it brought
    // back: the rows held were those far back, and it said "Version N of N" alone
    // until the slider moved (QA pass 5).
    await expect
      .poll(version)
      .toMatch(
        new RegExp(`^Version (\\d+) of \\1: .* restored version ${at}, `),
      );
    await context.close();
  }, 300_000);
});
