// Issue 15: the sidebar's controls (Export log, Import log, Verify log, the sync
// panel) overflowed its width. Every control stays inside the sidebar, at the width
// the tests use and at a narrow one.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { newDocument, openTabs } from './support/app.ts';
import { useChromium } from './support/browser.ts';

const chromium = useChromium();

/** Controls of the sidebar whose box reaches past its edge, and by how much. */
function overflowing(page: Page) {
  return page.evaluate(() => {
    const side = document.querySelector('.side')!;
    const edge = side.getBoundingClientRect().right;
    const out = [...side.querySelectorAll('button, input, label, progress, a')]
      .map((el) => ({
        name:
          (el.getAttribute('aria-label') ??
            (el.textContent ?? '').trim().slice(0, 30)) ||
          el.tagName,
        past: Math.round(el.getBoundingClientRect().right - edge),
      }))
      .filter((c) => c.past > 0);
    return { out, scrolls: side.scrollWidth > side.clientWidth };
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
