import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  documentText,
  newDocument,
  openTabs,
  selectInText,
  text,
  timeline,
} from './support/app.ts';
import { useChromium } from './support/browser.ts';
import {
  duplicatedEdits,
  headsOf,
  storedEvents,
  verifyInPage,
} from './support/faults.ts';
import { seeded } from '../support/seeded.ts';
import { fullTrials } from '../support/trials.ts';

const chromium = useChromium();
/** Five tabs typing at once: 8 s in `npm test`, a minute under `npm run trials`. */
const TYPING_MS = fullTrials ? 60_000 : 5_000;
const status = (page: Page) => page.getByRole('status');

/**
 * Types words at random places in the text until `until`; returns everything typed.
 * With `reloads`, the tab reloads after about one word in four, the moment the word
 * is typed (its batch not sent yet, or on its way), and types on once the document
 * is open again.
 */
async function typeAtRandom(
  page: Page,
  random: () => number,
  until: number,
  reloads = false,
): Promise<{ typed: string; reloaded: number }> {
  let typed = '';
  let reloaded = 0;
  // Leaving with edits unsaved asks first: this user says leave.
  if (reloads) page.on('dialog', (dialog) => void dialog.accept());
  await text(page).focus();
  while (Date.now() < until) {
    const length = (await documentText(page)).length;
    const at = Math.floor(random() * (length + 1));
    await selectInText(page, at);
    const word = `${'abcdefghij'.slice(0, 2 + Math.floor(random() * 6))} `;
    await page.keyboard.type(word, { delay: 15 });
    typed += word;
    if (reloads && random() < 0.25) {
      await page.reload();
      await text(page).focus();
      reloaded++;
    }
    await new Promise((r) => setTimeout(r, random() * 150));
  }
  return { typed, reloaded };
}

/** What a tab shows: its text, its timeline (conflicts, states, times) and the graph's tail (author, time, id). */
async function shown(page: Page) {
  return {
    text: await documentText(page),
    conflicts: await timeline(page).locator('ol.conflicts').innerText(),
    graph: await timeline(page)
      .getByRole('img', { name: /^History graph/ })
      .getAttribute('aria-label'),
    tail: await timeline(page)
      .locator('svg.lanes circle title')
      .allTextContents(),
  };
}

const sorted = (s: string) => [...s].sort().join('');

describe('five tabs typing at once', () => {
  it(
    `type into one document for ${TYPING_MS / 1000} s, one reloading now and then, and end identical: text holding every character typed, heads and timelines; the log verifies`,
    async () => {
      const seed = Date.now() % 100_000;
      console.info(`five-tabs seed ${seed}`);
      const { context, tabs } = await openTabs(chromium(), 5);
      await newDocument(tabs[0]!, tabs.slice(1), 'Five');
      const until = Date.now() + TYPING_MS;
      // The last tab reloads now and then as it types: what it typed before each
      // reload, shown in the others at once, is in the log too.
      const typed = await Promise.all(
        tabs.map((page, i) =>
          typeAtRandom(page, seeded(seed + i), until, i === tabs.length - 1),
        ),
      );
      const all = typed.map((t) => t.typed).join('');
      for (const page of tabs)
        await expect
          .poll(() => status(page).textContent(), { timeout: 30_000 })
          .toContain('All changes saved');
      // Every tab converges on the same text, holding every character typed anywhere.
      await expect
        .poll(
          async () =>
            new Set(await Promise.all(tabs.map((p) => documentText(p)))).size,
          { timeout: 30_000 },
        )
        .toBe(1);
      const finalText = await documentText(tabs[0]!);
      expect(sorted(finalText)).toBe(sorted(all));
      // Timelines settle after the text (their refresh is debounced): same on every tab.
      let views: Awaited<ReturnType<typeof shown>>[] = [];
      await expect
        .poll(
          async () => {
            views = await Promise.all(tabs.map(shown));
            return views.every(
              (v) => JSON.stringify(v) === JSON.stringify(views[0]),
            );
          },
          { timeout: 30_000 },
        )
        .toBe(true);
      const events = await storedEvents(tabs[0]!);
      const stream = events.find((e) => e.type === 'doc.text.edited')!.stream;
      const heads = headsOf(events, stream);
      // The graph's newest events include every head of the stream.
      for (const head of heads)
        expect(views[0]!.tail.some((t) => t.endsWith(`: ${head}`))).toBe(true);
      expect(duplicatedEdits(events)).toEqual([]);
      expect(await verifyInPage(tabs[0]!)).toBe(events.length);
      console.info(
        `five tabs: ${all.length} characters typed, ${typed.at(-1)!.reloaded} reloads, ${events.length} events, ${heads.length} head(s), ${
          views[0]!.conflicts.split('\n').filter((l) => l.trim()).length
        } timeline entries, ${views[0]!.graph}`,
      );
      await context.close();
    },
    TYPING_MS + 120_000,
  );
});
