import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  documentText,
  newDocument,
  openTabs,
  selectInText,
  typeAtEnd,
} from './support/app.ts';
import { useChromium } from './support/browser.ts';

const chromium = useChromium();

/**
 * Selects `target` in the document text and puts `value` in its place in one input
 * event, as an emoji picker or an input method does. (A browser keeps a selection to
 * whole grapheme clusters, so a person can only ever replace a family or flag whole.)
 */
async function replaceWith(
  page: Page,
  target: string,
  value: string,
): Promise<void> {
  const current = await documentText(page);
  const from = current.indexOf(target);
  expect(from, `${JSON.stringify(target)} in ${current}`).toBeGreaterThan(-1);
  await selectInText(page, from, from + target.length);
  await page.keyboard.insertText(value);
}

/** Moves the History slider back until the past version reads `wanted`, then restores it. */
async function restoreVersionReading(
  page: Page,
  wanted: string,
): Promise<void> {
  const history = page.getByRole('region', { name: 'Version history' });
  const slider = history.getByRole('slider', { name: 'History' });
  const past = history.getByRole('textbox', { name: 'Text at this version' });
  const versions = Number(await slider.getAttribute('max'));
  for (let version = versions - 1; version >= 1; version--) {
    await slider.fill(String(version));
    // The caption and the past text render together: read the text of this version.
    await expect
      .poll(() => history.textContent())
      .toContain(`Version ${version} of `);
    await expect.poll(() => past.inputValue()).not.toBe('Loading…');
    if ((await past.inputValue()) !== wanted) continue;
    await history.getByRole('button', { name: 'Restore this version' }).click();
    return;
  }
  throw new Error(`no version of the history reads ${JSON.stringify(wanted)}`);
}

/** What a screen shows is text, never a broken character: no U+FFFD, no lone surrogate. */
function expectWholeCharacters(shown: string): void {
  expect(shown).not.toContain('\ufffd');
  // In `u` mode a whole pair is one code point, so \p{Cs} finds only lone halves.
  expect(shown).not.toMatch(/\p{Cs}/u);
}

describe('editing emoji in two tabs (issue 13, finding 9)', () => {
  it('types, replaces and restores emoji, and both tabs show the same whole characters', async () => {
    const { context, tabs } = await openTabs(chromium(), 2);
    const [one, two] = tabs as [Page, Page];
    await newDocument(one, [two], 'Emoji');
    const both = async (expected: string) => {
      for (const page of [one, two])
        await expect.poll(() => documentText(page)).toBe(expected);
    };

    await typeAtEnd(one, 'a😁b');
    await both('a😁b');
    // é as e + a combining accent.
    await typeAtEnd(two, ' 👩‍👩‍👧 e\u0301 🇫🇷');
    const first = 'a😁b 👩‍👩‍👧 e\u0301 🇫🇷';
    await both(first);

    // Each new character shares its high surrogate with the one it replaces.
    await replaceWith(one, '😁', '😀');
    await both('a😀b 👩‍👩‍👧 e\u0301 🇫🇷');
    await replaceWith(two, '👩‍👩‍👧', '👩‍👩‍👦');
    await both('a😀b 👩‍👩‍👦 e\u0301 🇫🇷');
    await replaceWith(one, 'e\u0301', 'è');
    await replaceWith(two, '🇫🇷', '🇫🇮');
    await both('a😀b 👩‍👩‍👦 è 🇫🇮');

    // Restore acts on what the log holds: every tab's typing is in it first.
    for (const page of [one, two]) {
      await expect
        .poll(() => page.getByRole('status').textContent())
        .toContain('All changes saved');
    }
    await restoreVersionReading(two, first);
    await both(first);

    // What the log folds to, not only what the live tabs hold.
    await one.reload();
    await one.getByRole('status').waitFor();
    await expect.poll(() => documentText(one)).toBe(first);
    for (const page of [one, two])
      expectWholeCharacters(await documentText(page));
    await context.close();
  });
});
