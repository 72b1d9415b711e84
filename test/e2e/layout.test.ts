// Issue 15: the sidebar's controls (Export log, Import log, Verify log, the sync
// panel) overflowed its width. Every control stays inside the sidebar, at the width
// the tests use and at a narrow one. And on a phone's width the page is one column
// that never scrolls sideways (on every screen, nothing reaches past the viewport
// but what scrolls inside a box of its own: the explorer's table), with the open
// document right below the list of documents.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { openDocument } from '../../src/index.ts';
import {
  importMadeLog,
  newDocument,
  openTabs,
  typeTogether,
} from './support/app.ts';
import { violations } from './support/axe.ts';
import { useChromium } from './support/browser.ts';

const chromium = useChromium();

/** Controls of the sidebar whose box reaches past its edge, and by how much. */
function overflowing(page: Page) {
  return page.evaluate(() => {
    const sides = [...document.querySelectorAll('.side')];
    const edge = sides[0]!.getBoundingClientRect().right;
    const out = sides
      .flatMap((side) => [
        ...side.querySelectorAll('button, input, label, progress, a'),
      ])
      .map((el) => ({
        name:
          (el.getAttribute('aria-label') ??
            (el.textContent ?? '').trim().slice(0, 30)) ||
          el.tagName,
        past: Math.round(el.getBoundingClientRect().right - edge),
      }))
      .filter((c) => c.past > 0);
    return {
      out,
      scrolls: sides.some((side) => side.scrollWidth > side.clientWidth),
    };
  });
}

/** Resolves once `page` has drawn two frames: what a resize or a scroll laid out is on screen. */
const frames = (page: Page) =>
  page.evaluate(
    () =>
      new Promise((done) =>
        requestAnimationFrame(() => requestAnimationFrame(done)),
      ),
  );

/**
 * Elements whose box reaches past the viewport's right edge, outside any box that
 * scrolls sideways itself; and whether the page scrolls sideways.
 */
function pastViewport(page: Page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const scrollsItself = (el: Element) => {
      for (let up = el.parentElement; up; up = up.parentElement) {
        const { overflowX } = getComputedStyle(up);
        if (overflowX === 'auto' || overflowX === 'scroll') return true;
      }
      return false;
    };
    const out = [...document.body.querySelectorAll('*')]
      .filter((el) => {
        const box = el.getBoundingClientRect();
        return box.width > 0 && box.right > width + 1 && !scrollsItself(el);
      })
      .map(
        (el) =>
          `${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : ''} to ${Math.round(el.getBoundingClientRect().right)}`,
      );
    return {
      out: out.slice(0, 5),
      scrolls: document.documentElement.scrollWidth > width,
    };
  });
}

describe('the sidebar', () => {
  it('keeps every control inside its width, wide and narrow', async () => {
    const { context, tabs } = await openTabs(chromium(), 1);
    const page = tabs[0]!;
    await newDocument(page, [], 'Layout');
    for (const width of [1200, 800]) {
      await page.setViewportSize({ width, height: 900 });
      expect(await overflowing(page)).toEqual({ out: [], scrolls: false });
    }
    await context.close();
  });
});

describe('a title of one long word', () => {
  // Titles come from any replica: one that never breaks must not widen the page
  // or push the sidebar's buttons out of sight.
  it('stays inside the sidebar and the page, wide and narrow', async () => {
    const { context, tabs } = await openTabs(chromium(), 1);
    const page = tabs[0]!;
    const name = 'W'.repeat(200);
    await newDocument(page, [], name);
    for (const width of [1200, 390]) {
      await page.setViewportSize({ width, height: 900 });
      expect({ width, ...(await overflowing(page)) }).toEqual({
        width,
        out: [],
        scrolls: false,
      });
      expect({ width, ...(await pastViewport(page)) }).toEqual({
        width,
        out: [],
        scrolls: false,
      });
    }
    // Deleted, it is listed with its Restore button: inside too.
    await page.getByRole('button', { name: `Delete ${name}` }).click();
    await page.getByText('Deleted (1)').click();
    await page.getByRole('button', { name: `Restore ${name}` }).waitFor();
    expect(await overflowing(page)).toEqual({ out: [], scrolls: false });
    expect(await pastViewport(page)).toEqual({ out: [], scrolls: false });
    await context.close();
  });
});

describe('an author of one long word', () => {
  // Authors come from any replica too, up to LIMITS.nameLength: one of 250
  // characters made the history's Author choice and its version line 2,533 px wide
  // at 1,280 (QA pass 13).
  it('stays inside the page wherever the document names it, wide and narrow', async () => {
    const { context, tabs } = await openTabs(chromium(), 1);
    const page = tabs[0]!;
    await importMadeLog(page, 'longname', async (log) => {
      const doc = await openDocument(log, 'longauthor', {
        author: 'A'.repeat(250),
      });
      await doc.setField('title', 'Long author');
      await doc.editText(0, 0, 'Written by a long name.');
    });
    await page
      .getByRole('list', { name: 'Documents' })
      .getByRole('button', { name: 'Long author', exact: true })
      .click();
    await page.getByRole('region', { name: 'Version history' }).waitFor();
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      expect({ width, ...(await pastViewport(page)) }).toEqual({
        width,
        out: [],
        scrolls: false,
      });
    }
    await context.close();
  });
});

/**
 * Cells of the page's own words with a word broken over two lines ("Insert" / "ed"),
 * by their text: column headings, and what `cells` selects.
 */
function wordsBrokenIn(page: Page, cells = 'thead th'): Promise<string[]> {
  return page.evaluate(
    (selector) =>
      [...document.querySelectorAll(selector)].flatMap((th) => {
        const text = th.firstChild;
        if (!(text instanceof Text)) return [];
        const broken = [...text.data.matchAll(/\S+/g)].some((word) => {
          const range = document.createRange();
          range.setStart(text, word.index);
          range.setEnd(text, word.index + word[0].length);
          return range.getClientRects().length > 1;
        });
        return broken ? [text.data] : [];
      }),
    cells,
  );
}

describe('on a phone', () => {
  it('is one column that never scrolls sideways, on every screen', async () => {
    const { context, tabs } = await openTabs(chromium(), 1);
    const page = tabs[0]!;
    await page.setViewportSize({ width: 390, height: 844 });
    // A long title: the explorer's and the insights' selects list it, and a select
    // is as wide as its longest option (it widened the page to 433 px).
    await newDocument(
      page,
      [],
      'Meeting notes for the quarterly planning review and the budget for next year',
    );
    await page
      .getByRole('textbox', { name: 'Document text' })
      .fill('Written on a small screen.');
    // The status line itself: the hidden live region says the same words at times,
    // and a text match then found two (CI beside busy loops).
    await expect
      .poll(() => page.getByRole('status').textContent())
      .toBe('All changes saved');
    expect(await pastViewport(page)).toEqual({ out: [], scrolls: false });
    // The document comes below its list, not beside it, and above the log's tools.
    const [list, editor, tools] = await Promise.all([
      page
        .getByRole('navigation', { name: 'Document navigation' })
        .boundingBox(),
      page.getByRole('textbox', { name: 'Document text' }).boundingBox(),
      page.getByRole('region', { name: 'Export and import' }).boundingBox(),
    ]);
    expect(editor!.y).toBeGreaterThan(list!.y + list!.height - 1);
    expect(tools!.y).toBeGreaterThan(editor!.y + editor!.height - 1);
    expect(editor!.width).toBeGreaterThan(300);
    // Who wrote what: its table's headings keep their words whole.
    await page.getByRole('button', { name: 'Show authorship' }).click();
    await page
      .getByRole('table', { name: 'Characters per author' })
      .getByRole('row')
      .nth(1)
      .waitFor();
    expect(await wordsBrokenIn(page)).toEqual([]);
    expect(await pastViewport(page)).toEqual({ out: [], scrolls: false });
    for (const [screen, region] of [
      ['Event explorer', 'Event explorer'],
      ['Insights', 'Insights'],
    ] as const) {
      await page.getByRole('button', { name: screen }).click();
      await page.getByRole('region', { name: region }).waitFor();
      if (screen === 'Insights')
        await page.locator('.figure .chart canvas').first().waitFor();
      else await page.getByRole('row').nth(1).waitFor();
      expect({ screen, ...(await pastViewport(page)) }).toEqual({
        screen,
        out: [],
        scrolls: false,
      });
      expect(await wordsBrokenIn(page)).toEqual([]);
      if (screen !== 'Event explorer') continue;
      // An event opened: its panel, and the CloudEvent in it, fit too.
      await page
        .getByRole('button', { name: /^Open event / })
        .first()
        .click();
      const panel = page.getByRole('region', { name: 'Event', exact: true });
      await panel.waitFor();
      // Below the table on a phone: brought into sight (QA pass 18 saw nothing
      // happen, the panel drawn past the screen's bottom).
      await expect
        .poll(() =>
          panel
            .getByRole('heading', { level: 3 })
            .evaluate((h) => h.getBoundingClientRect().top < innerHeight),
        )
        .toBe(true);
      expect({ panel: true, ...(await pastViewport(page)) }).toEqual({
        panel: true,
        out: [],
        scrolls: false,
      });
    }
    // The narrowest phones: the screens' buttons pushed the page to 364 px.
    await page.setViewportSize({ width: 320, height: 640 });
    for (const screen of ['Document', 'Event explorer', 'Insights']) {
      await page.getByRole('button', { name: screen, exact: true }).click();
      expect({ screen, ...(await pastViewport(page)) }).toEqual({
        screen,
        out: [],
        scrolls: false,
      });
    }
    await context.close();
  });
});

describe('the conflict timeline', () => {
  // Each conflict is laid out only once on screen (content-visibility), and the
  // list's column beside the lanes was as wide as its items' placeholder size: 74 to
  // 82 px at 375, and at 1,280 beside a long author's name, every conflict and
  // "Compare" out of sight (QA pass 14). A fix on the list, not its column, passed
  // here only while the conflicts had been on screen, and failed in CI.
  it('lists its conflicts as wide as it is, on a phone and on a wide screen', async () => {
    const { context, tabs } = await openTabs(chromium(), 2);
    const [one, two] = tabs as [Page, Page];
    await newDocument(one, [two], 'Timeline width');
    // A short window: the conflicts come while the list is off screen, so they have
    // never been laid out (once they have, their last size is remembered).
    await one.setViewportSize({ width: 375, height: 160 });
    await typeTogether([one, two], ['Written by one.', 'Written by two.']);
    const timeline = one.getByRole('region', { name: 'Conflict timeline' });
    await timeline.getByRole('button', { name: 'Compare' }).first().waitFor();
    const listWidth = async () => {
      // All the width beside the lanes, however many lanes the typing made.
      const [list, body, lanes] = await Promise.all([
        timeline.locator('ol.conflicts').boundingBox(),
        timeline.locator('.timeline-body').boundingBox(),
        timeline.locator('svg.lanes').boundingBox(),
      ]);
      return {
        list: Math.round(list!.width),
        beside: Math.round(body!.width - lanes!.width - 16),
      };
    };
    for (const width of [375, 1280]) {
      // Off screen, where its conflicts are not laid out (content-visibility)...
      await one.setViewportSize({ width, height: 160 });
      await one.evaluate(() => window.scrollTo(0, 0));
      await frames(one);
      const off = await listWidth();
      expect({ width, off: off.list }).toEqual({ width, off: off.beside });
      // ...and on screen.
      await one.setViewportSize({ width, height: 900 });
      await timeline.locator('ol.conflicts').scrollIntoViewIfNeeded();
      await frames(one);
      const on = await listWidth();
      expect({ width, on: on.list }).toEqual({ width, on: on.beside });
      const compare = await timeline
        .getByRole('button', { name: 'Compare' })
        .first()
        .boundingBox();
      expect(compare!.width).toBeGreaterThan(40);
    }
    await context.close();
  });
});

describe('the header', () => {
  it('keeps its own words whole with the name form open, wide and narrow, and axe finds nothing wrong with it', async () => {
    const { context, tabs } = await openTabs(chromium(), 1, {
      bypassCSP: true,
    });
    const page = tabs[0]!;
    await page.getByRole('button', { name: 'Change name' }).click();
    await page.getByRole('textbox', { name: 'Your name' }).waitFor();
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 800 });
      expect({
        width,
        broken: await wordsBrokenIn(
          page,
          'header h1, header button, header .label',
        ),
        ...(await pastViewport(page)),
      }).toEqual({ width, broken: [], out: [], scrolls: false });
    }
    expect(await violations(page)).toEqual([]);
    await context.close();
  });
});

describe('the insights', () => {
  it('keep the page’s own words whole in their tables, as wide as the cards are', async () => {
    const { context, tabs } = await openTabs(chromium(), 2);
    const [one, two] = tabs as [Page, Page];
    await newDocument(one, [two], 'Together');
    await typeTogether([one, two], ['Written by one.', 'Written by two.']);
    await one.getByRole('button', { name: 'Insights' }).click();
    const conflicts = one.getByRole('table', {
      name: 'Conflicts over time by kind',
    });
    await expect
      .poll(() => conflicts.textContent(), { timeout: 20_000 })
      .toContain('overlapping text');
    // Kinds, states and times are the page's; documents and authors, replicas'.
    expect(
      await wordsBrokenIn(one, 'thead th, .figure-table td:not(.from-replica)'),
    ).toEqual([]);
    await context.close();
  });
});

describe('the event explorer', () => {
  it('ends its table at the window’s bottom, however many lines its filters take', async () => {
    const { context, tabs } = await openTabs(chromium(), 1);
    const page = tabs[0]!;
    await newDocument(page, [], 'Boxed');
    await page.getByRole('button', { name: 'Event explorer' }).click();
    await page
      .getByRole('table', { name: 'Events' })
      .getByRole('row')
      .nth(1)
      .waitFor();
    for (const [width, height] of [
      [1600, 1000],
      [1280, 800],
      [900, 800],
    ] as const) {
      await page.setViewportSize({ width, height });
      await frames(page);
      const placed = await page.evaluate(() => {
        const lines = new Set(
          [...document.querySelectorAll('.filters > *')].map(
            (el) => el.getBoundingClientRect().top,
          ),
        ).size;
        const box = document.querySelector('.events-box')!;
        return {
          lines,
          gap: Math.round(innerHeight - box.getBoundingClientRect().bottom),
        };
      });
      // Within the window, a margin below it: the box's height was the window's
      // less a guess at what is above it, and at 1280 the filters take two lines
      // (QA pass 14). Before, this failed at the first size, 1600 px.
      expect({ width, inside: placed.gap >= 0 && placed.gap <= 24 }).toEqual({
        width,
        inside: true,
      });
      if (width <= 1280) expect(placed.lines).toBeGreaterThan(1);
    }
    await context.close();
  });

  it('shows each event’s whole time, label and type, never cut off', async () => {
    const { context, tabs } = await openTabs(chromium(), 1);
    const page = tabs[0]!;
    await newDocument(page, [], 'Dated');
    await page.getByRole('button', { name: 'Event explorer' }).click();
    const table = page.getByRole('table', { name: 'Events' });
    await table.getByRole('row').nth(1).waitFor();
    const cut = await table.evaluate((el) =>
      [...el.querySelectorAll('tbody tr')].flatMap((row) =>
        [...row.querySelectorAll('td')]
          .slice(0, 5) // the stream and summary may end in "…"; the rest whole
          .filter((cell, i) => {
            const content = (cell.firstElementChild ?? cell) as HTMLElement;
            return (
              i !== 3 &&
              (content.scrollWidth > content.clientWidth ||
                content.getBoundingClientRect().right >
                  cell.getBoundingClientRect().right)
            );
          })
          .map((cell) => cell.textContent),
      ),
    );
    expect(cut).toEqual([]);
    // Every row as tall as the table counts it (ROW_HEIGHT): the time's button
    // made rows 30.4 px, so the rows drawn drifted from the scroll (QA pass 14).
    const heights = await table.evaluate((el) =>
      [...el.querySelectorAll('tbody tr:not(.spacer)')].map(
        (row) => row.getBoundingClientRect().height,
      ),
    );
    expect(new Set(heights)).toEqual(new Set([28]));
    // The stream and the summary, cut or not, say the whole of it on hover.
    const summary = table.getByRole('row').nth(1).getByRole('cell').nth(5);
    expect(await summary.getAttribute('title')).toBe(
      await summary.textContent(),
    );
    expect(await summary.textContent()).toMatch(/^title = "/);
    // On a laptop's screen, what the event did has more room than the stream, and
    // the longest time of the page's locale (en-US) fits whole.
    await page.setViewportSize({ width: 1280, height: 800 });
    const widths = await table.evaluate((el) => {
      const [time, , , stream, , summary] = [
        ...el.querySelectorAll('thead th'),
      ].map((th) => th.getBoundingClientRect().width);
      const cell = el.querySelector('tbody tr:not(.spacer) td')!;
      const button = cell.firstElementChild as HTMLElement;
      const shown = button.textContent;
      button.textContent = '12/14/2026, 10:05:39 AM';
      const longest = button.scrollWidth <= button.clientWidth;
      button.textContent = shown;
      return { time, stream, summary, longest };
    });
    expect(widths.longest).toBe(true);
    expect(widths.summary).toBeGreaterThan(widths.stream!);
    // Beside an event's panel on a wide screen, the summary keeps room to be read:
    // the panel names the actor, whose column goes.
    await page.setViewportSize({ width: 1600, height: 1000 });
    await table
      .getByRole('button', { name: /^Open event / })
      .first()
      .click();
    await page.getByRole('region', { name: 'Event', exact: true }).waitFor();
    const beside = await table.evaluate((el) =>
      [...el.querySelectorAll('thead th')].map((th) => [
        th.textContent,
        th.getBoundingClientRect().width,
      ]),
    );
    expect(beside.map(([name]) => name)).not.toContain('Actor');
    expect(Object.fromEntries(beside).Summary).toBeGreaterThan(200);
    // On a laptop's screen beside the panel: no sideways scroll, the time and the
    // type whole, and room for the summary (QA pass 15 found the type cut at
    // "doc.field.s" and the summary past the box's edge).
    await page.setViewportSize({ width: 1280, height: 800 });
    await expect
      .poll(() =>
        table.evaluate((el) => {
          const box = el.closest('.events-box')!;
          const row = el.querySelector('tbody tr:not(.spacer)')!;
          const heads = [...el.querySelectorAll('thead th')].map(
            (th) => th.textContent,
          );
          const cells = [...row.querySelectorAll('td')];
          const whole = (i: number) => {
            const content = (cells[i]!.firstElementChild ??
              cells[i]!) as HTMLElement;
            return content.scrollWidth <= content.clientWidth;
          };
          return {
            sideways: box.scrollWidth > box.clientWidth,
            time: whole(heads.indexOf('Time')),
            type: whole(heads.indexOf('Type')),
            summary:
              cells[heads.indexOf('Summary')]!.getBoundingClientRect().width >=
              80,
          };
        }),
      )
      .toEqual({ sideways: false, time: true, type: true, summary: true });
    // With more events than the box shows, rows off screen are spacers: spanning
    // the columns of the table without the panel, they made it a phantom column
    // and the summary 55 px (QA pass 16).
    await importMadeLog(page, 'many', async (log) => {
      const doc = await openDocument(log, 'many');
      for (let i = 0; i < 80; i++) await doc.editText(0, 0, 'x');
    });
    await expect
      .poll(async () => Number(await table.getAttribute('aria-rowcount')))
      .toBeGreaterThan(80);
    await expect
      .poll(() =>
        table.evaluate((el) => {
          const heads = [...el.querySelectorAll('thead th')].map(
            (th) => th.getBoundingClientRect().width,
          );
          const sum = heads.reduce((a, b) => a + b, 0);
          return {
            spacer: !!el.querySelector('tr.spacer'),
            phantom: el.getBoundingClientRect().width - sum > 2,
            summary: heads.at(-1)! >= 80,
          };
        }),
      )
      .toEqual({ spacer: true, phantom: false, summary: true });
    await context.close();
  });
});
