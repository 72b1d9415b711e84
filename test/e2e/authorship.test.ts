import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  accessibleNames,
  documentText,
  newDocument,
  openTabs,
  pasteIntoText,
  tabLabel,
  text,
  typeAtEnd,
} from './support/app.ts';
import { violations } from './support/axe.ts';
import { useChromium } from './support/browser.ts';

const chromium = useChromium();

/** Per author, the characters the Authorship region marks as theirs. */
async function marked(page: Page): Promise<Record<string, string>> {
  return page.getByRole('region', { name: 'Authorship' }).evaluate((region) => {
    const out: Record<string, string> = {};
    for (const run of region.querySelectorAll('.run[data-author]')) {
      const author = run.getAttribute('data-author')!;
      // The writer's name where their run starts, not their text.
      const label = run.querySelector('.run-author')?.textContent ?? '';
      const all = run.textContent ?? '';
      out[author] = (out[author] ?? '') + all.slice(label.length);
    }
    return out;
  });
}

describe('authorship', () => {
  it('marks each tab’s characters as its own, live and at a past version', async () => {
    const { context, tabs } = await openTabs(chromium(), 2, {
      bypassCSP: true,
    });
    const [one, two] = tabs as [Page, Page];
    const [first, second] = [await tabLabel(one), await tabLabel(two)];
    await newDocument(one, [two], 'Whose words');
    await typeAtEnd(one, 'Words of one.');
    await expect.poll(() => documentText(two)).toBe('Words of one.');
    await typeAtEnd(two, ' Words of two.');
    await expect
      .poll(() => documentText(one))
      .toBe('Words of one. Words of two.');

    const toggle = one.getByRole('button', { name: 'Show authorship' });
    await toggle.click();
    // A toggle: pressed, its name the same (QA pass 15 heard "Hide authorship,
    // pressed").
    await expect.poll(() => toggle.getAttribute('aria-pressed')).toBe('true');
    await expect
      .poll(() => marked(one))
      .toEqual({ [first]: 'Words of one.', [second]: ' Words of two.' });
    const totals = one
      .getByRole('region', { name: 'Authorship' })
      .getByRole('table', { name: 'Characters per author' });
    await expect
      .poll(() => totals.getByRole('row', { name: second }).textContent())
      .toMatch(/14.*14.*0/);
    expect(await violations(one)).toEqual([]);

    // Live: two deletes "of two" and types on; one's view follows.
    await text(two).click();
    await two.keyboard.press('Control+End');
    for (let i = 0; i < 7; i++) await two.keyboard.press('Backspace');
    await two.keyboard.type('again.');
    await expect
      .poll(() => marked(one))
      .toEqual({ [first]: 'Words of one.', [second]: ' Words again.' });
    // Lines: two's run goes on over a line break; each line is drawn as a line of its own.
    await two.keyboard.press('Enter');
    await two.keyboard.type('Line two.');
    await expect
      .poll(() => marked(one))
      .toEqual({
        [first]: 'Words of one.',
        [second]: ' Words again.\nLine two.',
      });
    const region = one.getByRole('region', { name: 'Authorship' });
    expect(await region.locator('.line').allTextContents()).toEqual([
      `${first}Words of one.${second} Words again.\n`,
      'Line two.',
    ]);

    // At the first version with text: only one's words (as much of them as its
    // first batch of typing held: a loaded machine may send "W" alone).
    await one.getByRole('slider', { name: 'History' }).fill('3');
    const past = one.getByRole('textbox', { name: 'Text at this version' });
    await expect
      .poll(async () => {
        const value = await past.inputValue();
        return value !== '' && 'Words of one.'.startsWith(value);
      })
      .toBe(true);
    await expect
      .poll(async () => marked(one), { timeout: 15_000 })
      .toEqual({ [first]: await past.inputValue() });
    // Pressed again: no longer pressed, and the authorship goes.
    await toggle.click();
    await expect.poll(() => toggle.getAttribute('aria-pressed')).toBe('false');
    await expect.poll(() => region.count()).toBe(0);
    await context.close();
  });
  it('gives a screen reader the whole attributed text, off screen too (QA pass 17)', async () => {
    const { context, tabs } = await openTabs(chromium(), 1);
    const page = tabs[0]!;
    await newDocument(page, [], 'Long');
    const paragraphs = Array.from(
      { length: 120 },
      (_, i) => `Paragraph ${i + 1} of the text.`,
    );
    await pasteIntoText(page, paragraphs.join('\n'));
    await page.getByRole('button', { name: 'Show authorship' }).click();
    const region = page.getByRole('region', { name: 'Authorship' });
    await expect.poll(() => region.locator('.line').count()).toBe(120);
    // Blocks off screen were skipped (content-visibility), and Chromium left them
    // out of its tree: a screen reader read 31 of 120 paragraphs.
    const read = (await accessibleNames(page, 'StaticText', 'Authorship')).join(
      '\n',
    );
    for (const paragraph of [paragraphs[0]!, paragraphs[119]!])
      expect(read).toContain(paragraph);
    await context.close();
  });
});
