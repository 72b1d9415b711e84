import type { Page } from 'playwright-core';
import { describe, expect, inject, it } from 'vitest';
import { openDocument } from '../../src/index.ts';
import {
  documentText,
  escaped,
  importMadeLog,
  newDocument,
  openTabs,
  renameTogether,
  tabLabel,
  timeline,
  title,
  typeAtEnd,
} from './support/app.ts';
import { useChromium } from './support/browser.ts';

const chromium = useChromium();

describe('two tabs of one browser: titles and names', () => {
  it('keeps both titles set at once, and picking one in one tab resolves it in both', async () => {
    const { context, tabs } = await openTabs(chromium(), 2);
    const [one, two] = tabs as [
      NonNullable<(typeof tabs)[0]>,
      NonNullable<(typeof tabs)[1]>,
    ];
    await newDocument(one, [two], 'Draft');
    // Tab one starts renaming (it has seen "Draft"); tab two renames and commits first.
    await renameTogether([one, two], ['Plan A', 'Plan B']);
    for (const page of [one, two]) {
      const choices = page.getByRole('group', { name: 'Concurrent titles' });
      await expect
        .poll(() => choices.textContent(), { timeout: 5000 })
        .toMatch(/Plan A[\s\S]*Plan B|Plan B[\s\S]*Plan A/);
      await expect
        .poll(() => timeline(page).textContent())
        .toMatch(
          /1 unresolved[\s\S]*Title: 2 concurrent values[\s\S]*unresolved/,
        );
    }
    // Tab one compares the two while tab two picks one. The comparison opens below
    // the list: its heading takes focus, and so comes into view.
    await timeline(one).getByRole('button', { name: 'Compare' }).click();
    const merged = one.getByRole('group', { name: 'Merged result' });
    await expect
      .poll(() => merged.textContent())
      .toMatch(/“Plan A” and “Plan B”|“Plan B” and “Plan A”/);
    // Each side is headed by who wrote its value, as a text conflict's is (QA
    // pass 15: "Side 1" and "Side 2" left the writers to be guessed).
    const headings = async () => {
      const heads: string[] = [];
      for (const n of [1, 2]) {
        const side = one.getByRole('group', { name: `Side ${n}` });
        const value = (await side.textContent())?.includes('Plan A')
          ? 'A'
          : 'B';
        heads.push(
          `${value}: ${await side.getByRole('heading').textContent()}`,
        );
      }
      return heads.sort();
    };
    const [labelOne, labelTwo] = [await tabLabel(one), await tabLabel(two)];
    await expect
      .poll(headings)
      .toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            new RegExp(`^A: Side \\d: ${escaped(labelOne)}$`),
          ),
          expect.stringMatching(
            new RegExp(`^B: Side \\d: ${escaped(labelTwo)}$`),
          ),
        ]),
      );
    const comparisonHeading = one
      .getByRole('region', { name: 'Compare versions' })
      .getByRole('heading', { level: 3 });
    // One order everywhere (QA pass 16): Side 1 holds the title the choices offer
    // first and the merged result names first, and the heading names its writer
    // first.
    const first = (
      await one
        .getByRole('group', { name: 'Concurrent titles' })
        .getByRole('button')
        .first()
        .textContent()
    )?.match(/“(.*)”/)?.[1];
    expect(first).toMatch(/^Plan [AB]$/);
    const side1 = one.getByRole('group', { name: 'Side 1' });
    expect(await side1.textContent()).toContain(first);
    expect(await merged.textContent()).toMatch(
      new RegExp(`Draft “${first}” and “Plan [AB]”`),
    );
    const side1Writer = (await side1
      .getByRole('heading')
      .textContent())!.replace(/^Side 1: /, '');
    expect(await comparisonHeading.textContent()).toBe(
      `Title: 2 concurrent values by ${side1Writer} and ${first === 'Plan A' ? labelTwo : labelOne}`,
    );
    // Polled: the comparison may show its text a frame before its heading takes
    // focus and is scrolled to (a busy machine, once).
    await expect
      .poll(() =>
        comparisonHeading.evaluate((el) => {
          const box = el.getBoundingClientRect();
          if (el !== document.activeElement)
            return `not focused: ${document.activeElement?.outerHTML.slice(0, 80)}`;
          return box.top >= 0 && box.bottom <= innerHeight
            ? 'focused, in view'
            : `focused, at ${box.top}..${box.bottom} of ${innerHeight}`;
        }),
      )
      .toBe('focused, in view');
    await two.getByRole('button', { name: 'Use “Plan A”' }).click();
    const picker = await tabLabel(two);
    for (const page of [one, two]) {
      await expect
        .poll(() =>
          page.getByRole('group', { name: 'Concurrent titles' }).count(),
        )
        .toBe(0);
      await expect.poll(() => title(page).inputValue()).toBe('Plan A');
      // Who picked, by the name the page shows writers by.
      await expect
        .poll(() => timeline(page).textContent())
        .toContain(`resolved by ${picker}`);
    }
    // The comparison left open now shows what the pick made of the two.
    // Once loaded: "Loading…" in between holds neither.
    await expect
      .poll(async () => {
        const text = (await merged.textContent()) ?? '';
        return { a: text.includes('Plan A'), b: text.includes('Plan B') };
      })
      .toEqual({ a: true, b: false });
    // Joined by the pick, and the document as the pick left it.
    expect(await merged.locator('.merged-when').textContent()).toBe(
      'As the sides were joined.',
    );
    // Focus follows what the user pressed: the pick to the title it set, and
    // closing the comparison back to its "Compare".
    const focused = (page: Page) =>
      page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        return el?.getAttribute('aria-label') ?? el?.textContent ?? '';
      });
    expect(
      await two.evaluate(
        () => (document.activeElement as HTMLInputElement | null)?.value,
      ),
    ).toBe('Plan A');
    // Made again with the pick, it left focus where it was.
    expect(
      await comparisonHeading.evaluate((el) => el === document.activeElement),
    ).toBe(true);
    await one.getByRole('button', { name: 'Close comparison' }).click();
    await expect.poll(() => focused(one)).toBe('Compare');
    // Escape closes it too, from the keyboard.
    await one.keyboard.press('Enter');
    await expect.poll(() => focused(one)).toMatch(/^Title: 2 concurrent/);
    await one.keyboard.press('Escape');
    await expect
      .poll(() => one.getByRole('region', { name: 'Compare versions' }).count())
      .toBe(0);
    await expect.poll(() => focused(one)).toBe('Compare');
    await context.close();
  });

  it('picks a side’s value in a comparison, resolving the conflict and nothing else, focus kept in it', async () => {
    const { context, tabs } = await openTabs(chromium(), 2);
    const [one, two] = tabs as [Page, Page];
    await newDocument(one, [two], 'Draft');
    await renameTogether([one, two], ['Plan A', 'Plan B']);
    await expect
      .poll(() => timeline(one).textContent(), { timeout: 5000 })
      .toMatch(/1 unresolved/);
    // Written after both titles: picking one keeps it.
    await typeAtEnd(two, 'Written since.');
    await expect.poll(() => documentText(one)).toBe('Written since.');
    await timeline(one).getByRole('button', { name: 'Compare' }).click();
    const comparison = one.getByRole('region', { name: 'Compare versions' });
    const side = comparison.getByRole('group', { name: 'Side 1' });
    const chosen = (await side.locator('ins').textContent())!;
    const use = side.getByRole('button', { name: `Use “${chosen}”` });
    // From the keyboard: focus on the side's button, then Enter.
    await use.focus();
    await one.keyboard.press('Enter');
    await expect.poll(() => title(one).inputValue()).toBe(chosen);
    await expect.poll(() => timeline(one).textContent()).toMatch(/resolved by/);
    await expect.poll(() => documentText(two)).toBe('Written since.');
    expect(await documentText(one)).toBe('Written since.');
    // The sides were read again as the pick resolved the conflict, the button
    // with them: focus is in the comparison, not the page's top.
    await expect
      .poll(() =>
        one.evaluate(() => {
          const el = document.activeElement;
          return el?.closest('[aria-label="Compare versions"]')
            ? el.tagName
            : `outside: ${el?.tagName}`;
        }),
      )
      .toMatch(/^(H3|BUTTON)$/);
    await context.close();
  });

  it('says a title that is no text is there, and takes one typed in its place (QA pass 13)', async () => {
    const { context, tabs } = await openTabs(chromium(), 1);
    const page = tabs[0]!;
    // Another replica's document whose title is the number 42.
    await importMadeLog(page, 'numbers', async (log) => {
      const doc = await openDocument(log, 'numbered');
      await doc.setField('title', 42);
      await doc.editText(0, 0, 'Counted.');
    });
    await page
      .getByRole('list', { name: 'Documents' })
      .getByRole('button', { name: 'Untitled', exact: true })
      .click();
    await expect
      .poll(() =>
        title(page).evaluate(
          (el) =>
            document.getElementById(el.getAttribute('aria-describedby') ?? '')
              ?.textContent,
        ),
      )
      .toMatch(/^Its title is a value that is not text/);
    await title(page).fill('Numbers');
    await title(page).press('Enter');
    await page
      .getByRole('list', { name: 'Documents' })
      .getByRole('button', { name: 'Numbers', exact: true })
      .waitFor();
    await expect.poll(() => page.locator('#title-not-text').count()).toBe(0);
    await context.close();
  });

  it('cuts a chapter pasted into the title to a line, and saves that', async () => {
    const { context, tabs } = await openTabs(chromium(), 2);
    const [one, two] = tabs as [Page, Page];
    await newDocument(one, [two], 'Draft');
    await title(one).click();
    await title(one).press('Control+A');
    // Far more than an event holds (it was refused at every retry): 2 million characters.
    const chapter = 'It was a dark and stormy night. '.repeat(62_500);
    await one.keyboard.insertText(chapter);
    await title(one).press('Enter');
    const line = chapter.slice(0, 1000);
    await expect.poll(() => title(two).inputValue()).toBe(line);
    await expect
      .poll(() => one.getByRole('status').textContent())
      .toContain('All changes saved');
    await context.close();
  });

  it('saves a title as it is typed, each save replacing its own last one but never a rename made meanwhile', async () => {
    const { context, tabs } = await openTabs(chromium(), 2);
    const [one, two] = tabs as [Page, Page];
    await newDocument(one, [two], 'Draft');
    const documents = (page: Page) =>
      page.getByRole('list', { name: 'Documents' });
    // Tab one renames without leaving the field: tab two sees each save.
    await title(one).click();
    await title(one).press('Control+A');
    await one.keyboard.type('Plan');
    await expect.poll(() => title(two).inputValue()).toBe('Plan');
    expect(
      await title(one).evaluate((el) => el === document.activeElement),
    ).toBe(true);
    // Tab two renames meanwhile; tab one, still typing, keeps both.
    await title(two).fill('Other');
    await title(two).press('Enter');
    await expect.poll(() => documents(one).textContent()).toContain('Other');
    await one.keyboard.type(' A');
    for (const page of [one, two]) {
      const choices = page.getByRole('group', { name: 'Concurrent titles' });
      await expect
        .poll(() => choices.textContent(), { timeout: 5000 })
        .toMatch(/Other[\s\S]*Plan A|Plan A[\s\S]*Other/);
      // "Plan" was replaced by its own next save: only two values.
      await expect.poll(() => choices.getByRole('listitem').count()).toBe(2);
    }
    await context.close();
  });

  it('writes as the name the person gives, in every tab of the profile, after a reload too; what was written before keeps its label', async () => {
    const { context, tabs } = await openTabs(chromium(), 2);
    const [one, two] = tabs as [Page, Page];
    const before = await tabLabel(one);
    await newDocument(one, [two], 'Named');
    await typeAtEnd(one, 'Before. ');
    const saved = (page: Page) =>
      expect
        .poll(() => page.getByRole('status').textContent())
        .toBe('All changes saved');
    await saved(one);
    const change = one.getByRole('button', { name: 'Change name' });
    await change.click();
    const field = one.getByRole('textbox', { name: 'Your name' });
    // Trimmed, and without a direction control, which turned the page's own
    // " (Tab 1)" after it backwards.
    await field.fill('  Ana\u202E  ');
    await field.press('Enter');
    await expect.poll(() => tabLabel(one)).toMatch(/^Ana \(Tab \d+\)$/);
    await expect
      .poll(() => change.evaluate((b) => b === document.activeElement))
      .toBe(true);
    // The other tab of the profile writes under the name too.
    await expect.poll(() => tabLabel(two)).toMatch(/^Ana \(Tab \d+\)$/);
    const named = await tabLabel(one);
    // Typing (sent by the page) and a rename (made by the worker) alike.
    await typeAtEnd(one, 'After.');
    await title(one).fill('Named by Ana');
    await title(one).press('Enter');
    await saved(one);
    await one.getByRole('button', { name: 'Event explorer' }).click();
    const rows = one
      .getByRole('table', { name: 'Events' })
      .locator('tbody tr:not(.spacer)');
    // What each label wrote: its field sets, and its typing joined, since one
    // person's typing is saved in as many pieces as the debounce cut it into.
    const written = async () => {
      const cells = await rows.evaluateAll((trs) =>
        trs.map((tr) =>
          [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''),
        ),
      );
      const by: Record<string, string> = {};
      // Newest first: joined oldest first, typing saved in pieces reads in order.
      for (const [, author = '', , , type, summary = ''] of cells.reverse()) {
        if (type === 'doc.field.set') by[`${author} ${summary}`] = 'set';
        const typed = /^inserted (".*")$/.exec(summary)?.[1];
        if (type === 'doc.text.edited' && typed)
          by[author] = (by[author] ?? '') + (JSON.parse(typed) as string);
      }
      return by;
    };
    await expect.poll(written).toEqual({
      [`${before} title = "Untitled"`]: 'set',
      [`${before} title = "Named"`]: 'set',
      [before]: 'Before. ',
      [named]: 'After.',
      [`${named} title = "Named by Ana"`]: 'set',
    });
    await one.reload();
    await expect.poll(() => tabLabel(one)).toBe(named);
    await context.close();
  });

  it('sends what was typed the moment the page goes out of sight, not when its timers fire', async () => {
    const { context, tabs } = await openTabs(chromium(), 2);
    const [one, two] = tabs as [Page, Page];
    await newDocument(one, [two], 'Hidden');
    // The page's timers stop: a hidden page may be frozen, or closed, before they
    // fire. (Playwright's clock would stop the other tab's too.)
    await one.evaluate(() => {
      window.setTimeout = (() => 0) as unknown as typeof setTimeout;
    });
    const seen = (state: 'hidden' | 'visible') =>
      one.evaluate((visibility) => {
        Object.defineProperty(document, 'visibilityState', {
          value: visibility,
          configurable: true,
        });
        document.dispatchEvent(new Event('visibilitychange'));
      }, state);
    /** The title and text the log holds, once `want` (read by the other tab, loaded afresh). */
    const stored = async (want: [string, string]) => {
      let held: string[] = [];
      for (let tries = 0; tries < 20; tries++) {
        await two.reload();
        await title(two).waitFor();
        held = [await title(two).inputValue(), await documentText(two)];
        if (held.join() === want.join()) break;
      }
      return held;
    };
    await typeAtEnd(one, 'Typed, then away.');
    await seen('hidden');
    expect(await stored(['Hidden', 'Typed, then away.'])).toEqual([
      'Hidden',
      'Typed, then away.',
    ]);
    await seen('visible');
    await title(one).click();
    await title(one).press('End');
    await one.keyboard.type(' draft');
    await seen('hidden');
    expect(await stored(['Hidden draft', 'Typed, then away.'])).toEqual([
      'Hidden draft',
      'Typed, then away.',
    ]);
    await context.close();
  });

  it('asks before a tab with unsaved edits closes, saves them when the user stays, and closes without asking once saved', async () => {
    const { context, tabs } = await openTabs(chromium(), 1);
    const one = tabs[0]!;
    await newDocument(one, [], 'Leaving');
    const status = () => one.getByRole('status').textContent();
    await expect.poll(status).toContain('All changes saved');
    // The batch's timer never fires: the typing waits to be saved until something sends it.
    await one.evaluate(() => {
      window.setTimeout = (() => 0) as unknown as typeof setTimeout;
    });
    await typeAtEnd(one, 'Not saved yet.');
    await expect.poll(status).toContain('Saving…');

    const dialogs: string[] = [];
    one.on('dialog', (dialog) => {
      dialogs.push(dialog.type());
      void dialog.dismiss(); // "Stay on page"
    });
    /** Asks the tab to close, as its close button would: whether it asked first, or closed. */
    const closing = () =>
      new Promise<'asked' | 'closed'>((resolve) => {
        one.once('dialog', () => resolve('asked'));
        one.once('close', () => resolve('closed'));
        void one.close({ runBeforeUnload: true });
      });
    expect(await closing()).toBe('asked');
    expect(dialogs).toEqual(['beforeunload']);
    // Staying sent the edit.
    await expect.poll(status).toContain('All changes saved');

    expect(await closing()).toBe('closed');
    expect(dialogs).toEqual(['beforeunload']);
    const again = await context.newPage();
    await again.goto(inject('appUrl'));
    await expect.poll(() => title(again).inputValue()).toBe('Leaving');
    await expect.poll(() => documentText(again)).toBe('Not saved yet.');
    await context.close();
  });

  it('saves a title typed just before the tab closes while the browser asks whether to leave', async () => {
    const { context, tabs } = await openTabs(chromium(), 2);
    const [one, two] = tabs as [Page, Page];
    await newDocument(one, [two], 'Leaving');
    // The title's timer never fires: only leaving sends it.
    await one.evaluate(() => {
      window.setTimeout = (() => 0) as unknown as typeof setTimeout;
    });
    await title(one).click();
    await title(one).press('End');
    await title(one).pressSequentially(' now');
    const closed = new Promise<void>((resolve) =>
      one.once('close', () => resolve()),
    );
    one.once('dialog', (dialog) => {
      // The user reads the question; the other tab shows the title stored meanwhile.
      void expect
        .poll(() => title(two).inputValue())
        .toBe('Leaving now')
        .finally(() => dialog.accept());
    });
    await one.close({ runBeforeUnload: true });
    await closed;
    await expect.poll(() => title(two).inputValue()).toBe('Leaving now');
    await context.close();
  });

  it('says "Saving…" while a typed title waits to be saved, and "All changes saved" once it is', async () => {
    const { context, tabs } = await openTabs(chromium(), 1);
    const one = tabs[0]!;
    await newDocument(one, [], 'Draft');
    const status = () => one.getByRole('status').textContent();
    await expect.poll(status).toContain('All changes saved');
    // The title's save timer never fires: only leaving the field saves it.
    await one.evaluate(() => {
      window.setTimeout = (() => 0) as unknown as typeof setTimeout;
    });
    await title(one).click();
    await title(one).press('End');
    await one.keyboard.type(' two');
    await expect.poll(status).toContain('Saving…');
    expect(await status()).not.toContain('All changes saved');
    await title(one).press('Enter');
    await expect.poll(status).toContain('All changes saved');
    await one.reload();
    await expect.poll(() => title(one).inputValue()).toBe('Draft two');
    await context.close();
  });

  it('gives a duplicated tab a label of its own, a reloaded tab its old one, and a new tab the lowest number no open tab holds', async () => {
    const { context, tabs } = await openTabs(chromium(), 1);
    const one = tabs[0]!;
    const number = await one.evaluate(() =>
      sessionStorage.getItem('forkline.tab.number'),
    );
    const label = await tabLabel(one);
    expect(label).toBe(`Tab ${number} (${/\((.+)\)$/.exec(label)![1]})`);
    // Duplicating a tab copies its sessionStorage, its number included.
    const copy = await context.newPage();
    await copy.addInitScript((n) => {
      if (!sessionStorage.getItem('forkline.tab.number'))
        sessionStorage.setItem('forkline.tab.number', n!);
    }, number);
    await copy.goto(inject('appUrl'));
    await copy.getByRole('status').waitFor();
    const said = (page: Page) =>
      page.getByText(/^You are Tab \d+ \(\w+ \w+\)$/).textContent();
    expect(await said(one)).toBe(`You are ${label}`);
    await expect.poll(() => said(copy)).not.toBe(`You are ${label}`);
    // Both are tabs of one browser profile, which every label names: two devices
    // that sync do not both write as "Tab 1".
    const device = (l: string | null) => /\((.+)\)$/.exec(l ?? '')?.[1];
    expect(device(await said(copy))).toBe(device(label));
    expect(
      await one.evaluate(() => localStorage.getItem('forkline.device')),
    ).toBe(device(label));
    // Reloading keeps a tab's label.
    await one.reload();
    await one.getByRole('status').waitFor();
    await expect.poll(() => said(one)).toBe(`You are ${label}`);
    // A new tab takes the lowest number no open tab holds: the browser closed and
    // opened again, its person writes as before, one author in the history.
    const second = await said(copy);
    await copy.close();
    const again = await context.newPage();
    await again.goto(inject('appUrl'));
    await expect.poll(() => said(again)).toBe(second);
    await one.close();
    const first = await context.newPage();
    await first.goto(inject('appUrl'));
    await expect.poll(() => said(first)).toBe(`You are ${label}`);
    await context.close();
  });
});
