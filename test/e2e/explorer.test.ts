import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, inject, it } from 'vitest';
import { openLog } from '../../src/index.ts';
import { TEXT_EDITED } from '../../src/doc/doc-events.ts';
import { carriedTyping } from '../support/carried-typing.ts';
import { collect } from '../support/records.ts';
import { exportedDocument } from '../../bench/tabs-keystroke-large.ts';
import {
  documentText,
  newDocument,
  openTabs,
  tabLabel,
  typeAtEnd,
  importLogFile,
  importMadeLog,
} from './support/app.ts';
import { violations } from './support/axe.ts';
import { useChromium } from './support/browser.ts';

const chromium = useChromium();

const explorer = (page: Page) =>
  page.getByRole('region', { name: 'Event explorer' });
const events = (page: Page) =>
  explorer(page).getByRole('table', { name: 'Events' });
/** The Author column of the rows drawn. */
const authors = async (page: Page) =>
  await events(page)
    .locator('tbody tr:not([aria-hidden]) td:nth-child(2)')
    .allTextContents();

/**
 * A tab with one document, a few words typed, showing the explorer's rows of it;
 * `beforeOpening` runs just before the explorer is opened.
 */
async function explorerOfOneDocument(
  beforeOpening?: (page: Page) => Promise<void>,
) {
  const context = await chromium().newContext();
  const page = await context.newPage();
  await page.goto(inject('appUrl'));
  await page.getByRole('status').waitFor();
  await newDocument(page, [], 'Alone');
  await typeAtEnd(page, 'Text.');
  await beforeOpening?.(page);
  await page.getByRole('button', { name: 'Event explorer' }).click();
  await expect.poll(() => authors(page)).not.toEqual([]);
  return { context, page };
}

describe('the event explorer', () => {
  it('says a deletion in words, and marks a deleted document among the streams (QA pass 16)', async () => {
    const { context, page } = await explorerOfOneDocument(async (page) => {
      // The typing stored first: the deletion is the newest event.
      await expect
        .poll(() => page.getByRole('status').textContent())
        .toBe('All changes saved');
      await page.getByRole('button', { name: 'Delete Alone' }).click();
    });
    // Newest first: the deletion, as the history says it, not "@deleted = true".
    await expect
      .poll(() =>
        events(page)
          .locator('tbody tr:not([aria-hidden])')
          .first()
          .locator('td')
          .last()
          .textContent(),
      )
      .toBe('deleted the document');
    expect(
      await explorer(page)
        .getByLabel('Stream')
        .locator('option')
        .allTextContents(),
    ).toContain('Alone (deleted)');
    await context.close();
  });

  it('says it is reading events as it opens, never "0 events" first', async () => {
    // Every text the hint's live region takes, from its first.
    const { context, page } = await explorerOfOneDocument((page) =>
      page.evaluate(() => {
        const said: string[] = [];
        (globalThis as { hintSaid?: string[] }).hintSaid = said;
        new MutationObserver(() => {
          const hint = document.querySelector('.explorer .hint');
          if (hint && said.at(-1) !== hint.textContent)
            said.push(hint.textContent ?? '');
        }).observe(document.body, {
          childList: true,
          subtree: true,
          characterData: true,
        });
      }),
    );
    const said = await page.evaluate(
      () => (globalThis as { hintSaid?: string[] }).hintSaid,
    );
    expect(said![0]).toBe('Reading events…');
    expect(said).not.toContain('0 events');
    await context.close();
  });

  it('lists one author’s events live, opens one as its CloudEvent, and opens the document at it', async () => {
    const { context, tabs } = await openTabs(chromium(), 2, {
      bypassCSP: true,
    });
    const [one, two] = tabs as [Page, Page];
    await newDocument(one, [two], 'Explored');
    await typeAtEnd(two, 'Written by two.');
    await expect.poll(() => documentText(one)).toBe('Written by two.');
    const other = await tabLabel(two);

    await one.getByRole('button', { name: 'Event explorer' }).click();
    await explorer(one).getByLabel('Author', { exact: true }).fill(other);
    // The filter applies once typing pauses.
    await expect
      .poll(async () => [...new Set(await authors(one))])
      .toEqual([other]);
    const before = (await authors(one)).length;

    // Two types on: the explorer, filtered to two, grows without being asked.
    await typeAtEnd(two, ' More.');
    await expect
      .poll(async () => (await authors(one)).length, { timeout: 5000 })
      .toBeGreaterThan(before);
    expect(new Set(await authors(one))).toEqual(new Set([other]));
    // A text edit's row says what it wrote, in words (typing may be stored in
    // several events: their insertions together hold it).
    await expect
      .poll(async () =>
        (
          await events(one)
            .locator('tbody tr:not([aria-hidden]) td:nth-child(6)')
            .allTextContents()
        )
          // Newest first: the oldest first to read the typing in its order.
          .reverse()
          .map((summary) => /^inserted (".*")$/.exec(summary)?.[1])
          .map((quoted) => (quoted ? (JSON.parse(quoted) as string) : ''))
          .join(''),
      )
      .toContain(' More.');
    expect(await violations(one)).toEqual([]);

    // The first of two's events (newest first, the last row): its CloudEvent,
    // parents and children.
    await events(one)
      .getByRole('button', { name: /^Open event/ })
      .last()
      .click();
    const panel = one.getByRole('region', { name: 'Event' });
    const cloudEvent = JSON.parse(
      (await panel.getByLabel('CloudEvent').textContent())!,
    ) as { specversion: string; source: string; id: string };
    expect(cloudEvent.specversion).toBe('1.0');
    expect(
      await panel.getByRole('heading', { level: 3 }).textContent(),
    ).toMatch(`by ${other}`);
    // Its parent (the title set by one) is one click away.
    await panel.getByRole('listitem').getByRole('button').first().click();
    await expect
      .poll(async () => panel.getByLabel('CloudEvent').textContent())
      .not.toContain(cloudEvent.id);
    // Focus follows to the event shown, so Escape still closes the panel (the
    // link pressed went with its event, and focus to the page; QA pass 18).
    await expect
      .poll(() => one.evaluate(() => document.activeElement?.tagName))
      .toBe('H3');
    expect(await violations(one)).toEqual([]);
    // Closed, the panel gives focus back to the row that opened it.
    const focusedName = () =>
      one.evaluate(() => document.activeElement?.getAttribute('aria-label'));
    await panel.getByRole('button', { name: 'Close the event' }).click();
    await expect.poll(focusedName).toMatch(/^Open event /);
    // From the keyboard: Enter opens it, Escape inside it closes it, focus back.
    await one.keyboard.press('Enter');
    await panel.getByLabel('CloudEvent').focus();
    await one.keyboard.press('Escape');
    await expect
      .poll(() =>
        one.getByRole('region', { name: 'Event', exact: true }).count(),
      )
      .toBe(0);
    await expect.poll(focusedName).toMatch(/^Open event /);
    await events(one)
      .getByRole('button', { name: /^Open event/ })
      .last()
      .click();

    await panel
      .getByRole('button', { name: 'Open the document at this event' })
      .click();
    await one.getByRole('textbox', { name: 'Text at this version' }).waitFor();
    // Focus is on the version shown, to go on from there.
    await expect
      .poll(() =>
        one.evaluate(() => (document.activeElement as HTMLInputElement)?.type),
      )
      .toBe('range');
    await context.close();
  });

  it('reads a long log a page at a time as the table scrolls, to its last event', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'forkline-explorer-'));
    try {
      const { file, events: stored } = await exportedDocument(dir, 400);
      const ids = readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .filter((line) => line.trim())
        .map((line) => (JSON.parse(line) as { id: string }).id);
      const { context, tabs } = await openTabs(chromium(), 1);
      const [page] = tabs as [Page];
      await importLogFile(page, file);
      await page.getByRole('button', { name: 'Event explorer' }).click();
      const hint = explorer(page).locator('.events-box .hint');
      // The first page is a screen's worth, not the log.
      await expect
        .poll(() => hint.textContent())
        .toMatch(/ events so far; more as you scroll$/);
      const box = explorer(page).locator('.events-box');
      /** The event of the row at `index` (from 0) of the rows shown. */
      const rowEvent = async (index: number) =>
        /^Open event (\S+) /.exec(
          (await events(page)
            .locator(`tr[aria-rowindex="${index + 2}"] button`)
            .getAttribute('aria-label'))!,
        )?.[1];
      // Newest first: the last event stored at the top.
      await expect.poll(() => rowEvent(0)).toBe(ids.at(-1));
      // Events stored while a person reads further down come above, and the rows
      // read stay where they were.
      await box.evaluate((el) => el.scrollTo(0, 20 * 28));
      await expect.poll(() => rowEvent(20)).toBe(ids.at(-21));
      await importMadeLog(page, 'late', (log) =>
        log.append(
          'notes/late',
          [1, 2, 3].map((n) => ({ type: 'note', data: n })),
        ),
      );
      await expect.poll(() => rowEvent(23)).toBe(ids.at(-21));
      expect(await box.evaluate((el) => el.scrollTop)).toBe(23 * 28);
      // At the top, the three new ones, then the newest imported.
      await box.evaluate((el) => el.scrollTo(0, 0));
      await expect.poll(() => rowEvent(3)).toBe(ids.at(-1));
      // Oldest first, from the top: the first event stored.
      await explorer(page)
        .getByRole('combobox', { name: 'Order' })
        .selectOption({ label: 'Oldest first' });
      await expect.poll(() => rowEvent(0)).toBe(ids[0]);
      expect(await box.evaluate((el) => el.scrollTop)).toBe(0);
      // Closed once its row has scrolled out of the rows drawn, the panel gives
      // focus to the table's box, not to the page (QA pass 18).
      await events(page).locator('tr[aria-rowindex="2"] button').click();
      const panel = page.getByRole('region', { name: 'Event', exact: true });
      await panel.waitFor();
      await box.evaluate((el) => el.scrollTo(0, 200 * 28));
      await expect
        .poll(() => events(page).locator('tr[aria-rowindex="2"]').count())
        .toBe(0);
      await panel.getByRole('button', { name: 'Close the event' }).click();
      expect(
        await page.evaluate(() =>
          document.activeElement?.classList.contains('events-box'),
        ),
      ).toBe(true);
      await box.evaluate((el) => el.scrollTo(0, 0));
      await expect.poll(() => rowEvent(0)).toBe(ids[0]);
      await expect
        .poll(
          async () => {
            // At the end of the rows read, the next page is read.
            await box.evaluate((el) => el.scrollTo(0, el.scrollHeight));
            return hint.textContent();
          },
          { timeout: 30_000 },
        )
        .toBe(`${stored + 3} events`);
      await expect
        .poll(() => events(page).getAttribute('aria-rowcount'))
        .toBe(String(stored + 4));
      await expect
        .poll(() => events(page).getAttribute('aria-busy'))
        .toBe('false');
      // Another filter, scrolled to the end of this one: its rows, from the top.
      await explorer(page)
        .getByRole('combobox', { name: 'Type' })
        .selectOption({ label: 'Field changes' });
      await expect.poll(() => hint.textContent()).toMatch(/^\d+ events?$/);
      const fields = Number.parseInt((await hint.textContent())!, 10);
      expect(fields).toBeGreaterThan(0);
      expect(fields).toBeLessThan(20); // every one of them on screen
      await expect
        .poll(() => events(page).getByRole('row').count())
        .toBe(fields + 1);
      expect(await box.evaluate((el) => el.scrollTop)).toBe(0);
      await context.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps a time range set while an author is being typed: the author, applied after its pause, does not drop it', async () => {
    const { context, page } = await explorerOfOneDocument();
    // The page's timers stand still: the author's pause ends when the test says.
    await page.clock.install();
    await page.clock.pauseAt(Date.now() + 60_000);
    await explorer(page)
      .getByLabel('Author', { exact: true })
      .fill(await tabLabel(page));
    await explorer(page)
      .getByLabel('From', { exact: true })
      .fill('2999-01-01T00:00');
    await expect.poll(() => authors(page)).toEqual([]);
    await page.clock.runFor(1_000);
    // The author's query, made now, has been answered: the range still holds.
    await expect
      .poll(() => events(page).getAttribute('aria-busy'))
      .toBe('false');
    expect(await authors(page)).toEqual([]);
    await explorer(page).getByText('0 events', { exact: true }).waitFor();
    // Back from the document, the fields say what the table is filtered by.
    await page.getByRole('button', { name: 'Document', exact: true }).click();
    await page.getByRole('button', { name: 'Event explorer' }).click();
    await explorer(page).getByText('0 events', { exact: true }).waitFor();
    expect(
      await explorer(page).getByLabel('From', { exact: true }).inputValue(),
    ).toBe('2999-01-01T00:00');
    expect(
      await explorer(page).getByLabel('Author', { exact: true }).inputValue(),
    ).toBe(await tabLabel(page));
    await context.close();
  });

  it('keeps an author being typed when another filter is chosen before the typing pauses', async () => {
    const { context, page } = await explorerOfOneDocument();
    await page.clock.install();
    await page.clock.pauseAt(Date.now() + 60_000);
    const author = explorer(page).getByLabel('Author', { exact: true });
    await author.fill('Zed');
    await explorer(page).getByLabel('Type').selectOption('Text edits');
    await expect
      .poll(() => events(page).getAttribute('aria-busy'))
      .toBe('false');
    expect(await author.inputValue()).toBe('Zed');
    await page.clock.runFor(1_000);
    await explorer(page).getByText('0 events', { exact: true }).waitFor();
    expect(await author.inputValue()).toBe('Zed');
    await context.close();
  });

  it('finds nothing in a time range after the last event', async () => {
    const { context, page } = await explorerOfOneDocument();
    await explorer(page)
      .getByLabel('From', { exact: true })
      .fill('2999-01-01T00:00');
    await expect.poll(() => authors(page)).toEqual([]);
    await explorer(page).getByText('0 events', { exact: true }).waitFor();
    // A range that ends before it begins says so.
    await explorer(page)
      .getByLabel('To', { exact: true })
      .fill('2998-01-01T00:00');
    await explorer(page)
      .getByText('0 events: “From” is after “To”.', { exact: true })
      .waitFor();
    // As does an author written otherwise than the column writes it.
    await explorer(page).getByLabel('From', { exact: true }).fill('');
    await explorer(page).getByLabel('To', { exact: true }).fill('');
    await explorer(page)
      .getByLabel('Author', { exact: true })
      .fill('nobody here');
    await explorer(page)
      .getByText(
        '0 events by “nobody here”: an author is matched whole, as the Author column writes it.',
        { exact: true },
      )
      .waitFor();
    // Beside a type, a right author may simply have written none of them: no hint.
    await explorer(page).getByLabel('Author', { exact: true }).fill('');
    await expect
      .poll(async () => (await authors(page)).length)
      .toBeGreaterThan(0);
    const writer = (await authors(page))[0]!;
    await explorer(page).getByLabel('Type').selectOption('Restores');
    await explorer(page).getByLabel('Author', { exact: true }).fill(writer);
    await explorer(page).getByText('0 events', { exact: true }).waitFor();
    await context.close();
  });

  it('says whose typing a live row carried once that tab’s own event arrives after it', async () => {
    // Tab 2's event carries tab 1's early typing, and is stored first.
    const { typed, carrying: carrier } = carriedTyping();
    const log = await openLog({ actor: 'tabs' });
    await log.append('doc/carried', {
      type: TEXT_EDITED,
      data: carrier,
      author: 'Tab 2',
    });
    const dir = mkdtempSync(join(tmpdir(), 'forkline-carried-'));
    const save = async (name: string) => {
      const path = join(dir, name);
      const lines = await collect(log.export());
      writeFileSync(path, lines.map((l) => `${l.trimEnd()}\n`).join(''));
      return path;
    };
    const carrying = await save('carrying.jsonl');
    await log.append('doc/carried', {
      type: TEXT_EDITED,
      data: typed,
      author: 'Tab 1',
    });
    const typing = await save('typed.jsonl');
    await log.close();

    const { context, page } = await explorerOfOneDocument();
    const summaries = async () =>
      await events(page)
        .locator('tbody tr:not([aria-hidden]) td:nth-child(6)')
        .allTextContents();
    try {
      await importLogFile(page, carrying);
      // Live, before tab 1's event: the row cannot say yet who typed what.
      await expect
        .poll(summaries)
        .toContainEqual(expect.stringContaining('Alice says'));
      expect(await summaries()).not.toContainEqual(
        expect.stringContaining('carried'),
      );
      await importLogFile(page, typing);
      // Tab 1's event settles the row already shown.
      await expect
        .poll(summaries)
        .toContain(
          'inserted "Bob wants ", carried "Alice says" typed by Tab 1',
        );
    } finally {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
