import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  documentText,
  newDocument,
  openTabs,
  renameTogether,
  tabLabel,
  timeline,
  typeAtEnd,
  typeTogether,
} from './support/app.ts';
import { violations } from './support/axe.ts';
import { useChromium } from './support/browser.ts';
import { pixelsOf } from '../support/pixels.ts';

const chromium = useChromium();

const insights = (page: Page) => page.getByRole('region', { name: 'Insights' });
const table = (page: Page, name: string) =>
  insights(page).getByRole('table', { name });
/** A table's body, cell by cell. */
const cells = (page: Page, name: string) =>
  table(page, name)
    .locator('tbody tr')
    .evaluateAll((rows) =>
      rows.map((r) =>
        [...r.querySelectorAll('td')].map((td) => td.textContent ?? ''),
      ),
    );

describe('insights', () => {
  it('plots both tabs’ edits and the conflict they made, live, and downloads each table as CSV', async () => {
    const { context, tabs } = await openTabs(chromium(), 2, {
      bypassCSP: true,
      acceptDownloads: true,
    });
    const [one, two] = tabs as [Page, Page];
    const [first, second] = [await tabLabel(one), await tabLabel(two)];
    await newDocument(one, [two], 'Measured');
    await typeAtEnd(one, 'Start.');
    await expect.poll(() => documentText(two)).toBe('Start.');
    await typeTogether([one, two], [' One here.', ' Two here.']);
    await expect
      .poll(() => timeline(one).getByRole('listitem').count(), {
        timeout: 5000,
      })
      .toBeGreaterThan(0);
    // Every edit stored and shown in both tabs: the timeline lists them all.
    for (const tab of [one, two])
      await expect
        .poll(() => tab.getByRole('status').textContent())
        .toBe('All changes saved');
    await expect
      .poll(async () => {
        const [a, b] = [await documentText(one), await documentText(two)];
        return a === b ? a.length : -1;
      })
      .toBe('Start. One here. Two here.'.length);
    const listed = await timeline(one).getByRole('listitem').count();

    await one.getByRole('button', { name: 'Insights' }).click();
    const edits = 'Edits over time per author';
    await expect
      .poll(async () => new Set((await cells(one, edits)).map((r) => r[1])))
      .toEqual(new Set([first, second]));
    await expect
      .poll(
        async () => (await cells(one, 'Conflicts over time by kind')).length,
      )
      .toBeGreaterThan(0);
    const conflicts = await cells(one, 'Conflicts over time by kind');
    // As many as the timeline lists: typing on together forked and merged many
    // times, and each fork was counted as a conflict of its own.
    expect(conflicts).toHaveLength(listed);
    expect(conflicts[0]![1]).toBe('Measured');
    // Both typed at the end of the text: the same place. Merged by Yjs, as the
    // timeline says: nothing for anyone to resolve.
    expect(conflicts.map((r) => r[2])).toContain('overlapping text');
    expect(new Set(conflicts.map((r) => [r[3], r[4]].join(' ')))).toEqual(
      new Set(['auto-merged —']),
    );
    const size = await cells(one, 'Document size over time');
    expect(size.at(-1)![1]).toBe(String('Start. One here. Two here.'.length));
    expect(await insights(one).locator('canvas').count()).toBeGreaterThan(0);
    expect(await violations(one)).toEqual([]);

    // Live: two writes on; the counts follow without a reload.
    const before = (await cells(one, edits))
      .filter((r) => r[1] === second)
      .reduce((n, r) => n + Number(r[2]), 0);
    await typeAtEnd(two, ' And more.');
    await expect
      .poll(
        async () =>
          (await cells(one, edits))
            .filter((r) => r[1] === second)
            .reduce((n, r) => n + Number(r[2]), 0),
        { timeout: 5000 },
      )
      .toBeGreaterThan(before);

    // The CSV is the table, its hours as RFC 3339 (the table's are the locale's).
    const downloading = one.waitForEvent('download');
    await insights(one)
      .getByRole('button', { name: `Download CSV: ${edits}` })
      .click();
    const csv = await readFile((await (await downloading).path())!, 'utf8');
    const rows = await cells(one, edits);
    const [header, ...lines] = csv.trimEnd().split('\r\n');
    expect(header).toBe('Hour,Author,Edits');
    const shown = await one.evaluate(
      (hours) => hours.map((h) => new Date(h).toLocaleString()),
      lines.map((l) => l.split(',')[0]!),
    );
    // Labels hold no comma or quote here: a line splits into its cells.
    expect(
      lines.map((l, i) => {
        const [hour, ...rest] = l.split(',');
        expect(hour).toMatch(/^\d{4}-\d\d-\d\dT\d\d:00:00\.000Z$/);
        return [shown[i], ...rest];
      }),
    ).toEqual(rows);

    // A deleted document's history still counts, under a name that says so.
    await one.getByRole('button', { name: 'Delete Measured' }).click();
    await expect
      .poll(async () =>
        (await cells(one, 'Busiest documents')).map((r) => r[0]),
      )
      .toEqual(['Measured (deleted)']);
    await context.close();
  });

  it('stacks the kinds of one hour: a title conflict beside a text one shows', async () => {
    const { context, tabs } = await openTabs(chromium(), 2);
    const [one, two] = tabs as [Page, Page];
    await newDocument(one, [two], 'Draft');
    const name = 'Conflicts over time by kind';
    // No conflict yet: the figure says so, with no empty table or CSV of nothing.
    await one.getByRole('button', { name: 'Insights' }).click();
    const figure = insights(one).getByRole('figure', { name });
    await expect.poll(() => figure.textContent()).toBe(`${name}Nothing yet.`);
    expect(await figure.getByRole('table').count()).toBe(0);
    expect(await figure.getByRole('button').count()).toBe(0);
    await one.getByRole('button', { name: 'Document', exact: true }).click();

    await typeTogether([one, two], [' One here.', ' Two here.']);
    await renameTogether([one, two], ['Plan A', 'Plan B']);

    await one.getByRole('button', { name: 'Insights' }).click();
    await expect
      .poll(async () => new Set((await cells(one, name)).map((r) => r[2])))
      .toEqual(new Set(['title or field', 'overlapping text']));
    // Each kind's own colour (its bar's outline) is drawn: two bars of one count
    // in one hour, side by side in the data, stand on each other. Drawn over each
    // other, the text one hid the title one.
    const canvas = figure.locator('canvas');
    const drawn = (rgb: [number, number, number]) =>
      canvas.evaluate(pixelsOf, rgb);
    // Polled, both: a later delivery draws the chart afresh on a new canvas.
    await expect.poll(() => drawn([0x1f, 0x5f, 0xbf])).toBeGreaterThan(20); // title or field
    await expect.poll(() => drawn([0xb3, 0x47, 0x00])).toBeGreaterThan(20); // overlapping text
    await context.close();
  });
});
