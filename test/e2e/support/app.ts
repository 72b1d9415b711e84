import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect, inject } from 'vitest';
import { openLog, type Log } from '../../../src/index.ts';
import { collect } from '../../support/records.ts';

/** A browser profile (context) with the built app open in `tabs` tabs. */
export async function openTabs(
  browser: Browser,
  count: number,
  /**
   * `bypassCSP`: for a test that injects axe-core as an inline script.
   * `serviceWorkers: 'allow'`: for a test of what the service worker does (the page
   * offline, an update). Without it the pages load as on a first visit whose service
   * worker never starts: installing it (precaching the app) cost every new profile
   * CPU the other tests wait on (their file took 41 s with it, 33 s without), and a
   * test that routes the app's own files needs it blocked anyway (a route never sees
   * what the service worker serves).
   * `clock`: the pages' timers and clocks on Playwright's clock (`context.clock`),
   * running as the wall's until the test pauses or moves it.
   */
  options: {
    bypassCSP?: boolean;
    acceptDownloads?: boolean;
    serviceWorkers?: 'allow';
    clock?: boolean;
  } = {},
): Promise<{ context: BrowserContext; tabs: Page[] }> {
  const { clock, serviceWorkers = 'block', ...contextOptions } = options;
  const context = await browser.newContext({
    viewport: { width: 1400, height: 1000 },
    serviceWorkers,
    ...contextOptions,
  });
  if (clock) await context.clock.install();
  const tabs: Page[] = [];
  for (let i = 0; i < count; i++) {
    const page = await context.newPage();
    page.on('pageerror', (error) => {
      throw error;
    });
    // Blocked, the registration resolves to nothing: wait for it, so a page that
    // mishandles that fails here rather than after its test has ended, or never.
    const blocked =
      serviceWorkers === 'block' &&
      page.waitForEvent('console', (message) =>
        message.text().includes('Service Worker registration blocked'),
      );
    // Awaited below; handled now, so a failed load leaves no stray rejection.
    if (blocked) blocked.catch(() => undefined);
    await page.goto(inject('appUrl'));
    await page.getByRole('status').waitFor();
    await blocked;
    tabs.push(page);
  }
  return { context, tabs };
}

/** The tab's own label, as its header says ("You are Tab 2"): its events' author. */
export const tabLabel = async (page: Page): Promise<string> =>
  (await page.locator('header .author').textContent())!.replace('You are ', '');

export const text = (page: Page) =>
  page.getByRole('textbox', { name: 'Document text' });

/**
 * The editor (a CodeMirror view) behind the "Document text" textbox, for what a test
 * cannot do through the keyboard: read the whole text (the view draws only what is
 * on screen) and place a selection by position. CodeMirror keeps its view on the
 * content element's `cmTile` (what its own `EditorView.findFromDOM` reads).
 */
type EditorOnPage = {
  state: {
    doc: { toString(): string; length: number };
    selection: { main: { from: number; to: number } };
  };
  contentDOM: HTMLElement;
  dispatch(spec: object): void;
  focus(): void;
};

/** Runs `body` in `page` with its editor's view: the one place that finds it. */
async function withEditor<Arg, Result>(
  page: Page,
  body: (view: EditorOnPage, arg: Arg) => Result | Promise<Result>,
  arg: Arg,
): Promise<Result> {
  const view = await text(page).evaluateHandle((el) => {
    const found = (el as { cmTile?: { root?: { view?: EditorOnPage } } }).cmTile
      ?.root?.view;
    if (!found) throw new Error('"Document text" holds no CodeMirror view');
    return found;
  });
  try {
    return (await view.evaluate(body as never, arg)) as Result;
  } finally {
    await view.dispose();
  }
}

/** The whole text of the open document, as its editor holds it. */
export const documentText = (page: Page): Promise<string> =>
  withEditor(page, (view) => view.state.doc.toString(), undefined);

/**
 * Starts watching, in `page`, for its editor to hold `expected`: the promise gives
 * the moment it did, on the clock every page of one machine shares
 * (`performance.timeOrigin + performance.now()`), taken in the page itself, so a
 * latency measured with it is the app's, not the test harness's polling.
 */
export async function whenTextIs(
  page: Page,
  expected: string,
): Promise<() => Promise<number>> {
  const key = `forklineShown${Math.random().toString(36).slice(2)}`;
  await withEditor(
    page,
    (view, [want, name]) => {
      const shown = new Promise<number>((resolve) => {
        const check = () => {
          if (view.state.doc.toString() !== want) return false;
          resolve(performance.timeOrigin + performance.now());
          return true;
        };
        if (check()) return;
        const observer = new MutationObserver(() => {
          if (check()) observer.disconnect();
        });
        observer.observe(view.contentDOM, {
          childList: true,
          characterData: true,
          subtree: true,
        });
      });
      (globalThis as Record<string, unknown>)[name] = shown;
    },
    [expected, key] as [string, string],
  );
  return () =>
    page.evaluate(
      (name) =>
        (globalThis as Record<string, unknown>)[name] as Promise<number>,
      key,
    );
}

/** The moment of `page`'s last keystroke in its editor, on the shared clock. */
export async function watchTyping(page: Page): Promise<() => Promise<number>> {
  // A key's beforeinput: the first the page hears of it, whoever then makes the
  // change (the editor cancels it and makes it itself; no input event follows).
  await text(page).evaluate((el) => {
    el.addEventListener(
      'beforeinput',
      () => {
        (el as { lastInputAt?: number }).lastInputAt =
          performance.timeOrigin + performance.now();
      },
      { capture: true },
    );
  });
  return () =>
    text(page).evaluate((el) => (el as { lastInputAt?: number }).lastInputAt!);
}

/**
 * Types `typing` at the end of `from`'s text and waits for `to`'s editor to hold
 * `all`; gives (and logs, as shown `where`) the milliseconds from the last keystroke
 * in `from` to `to` holding it, both taken in the pages on the clock they share:
 * what a person would see, not how often this test's harness gets to look on a busy
 * machine. A text that never arrives fails after 30 s.
 */
export async function typingLatency(
  [from, to]: [Page, Page],
  typing: string,
  all: string,
  where: string,
): Promise<number> {
  const shown = await whenTextIs(to, all);
  const lastInput = await watchTyping(from);
  await typeAtEnd(from, typing);
  await expect.poll(() => documentText(to), { timeout: 30_000 }).toBe(all);
  const latency = (await shown()) - (await lastInput());
  console.info(`typing shown ${where} after ${latency.toFixed(0)} ms`);
  return latency;
}

/** The open document's selection in its editor: [from, to]. */
export const textSelection = (page: Page): Promise<[number, number]> =>
  withEditor(
    page,
    (view) => {
      const { from, to } = view.state.selection.main;
      return [from, to] as [number, number];
    },
    undefined,
  );

/** Focuses the editor with `from`..`to` selected (UTF-16 positions), as a person would by mouse. */
export const selectInText = (page: Page, from: number, to = from) =>
  withEditor(
    page,
    (view, [anchor, head]) => {
      view.focus();
      view.dispatch({ selection: { anchor, head }, scrollIntoView: true });
    },
    [from, to] as [number, number],
  );

export const title = (page: Page) =>
  page.getByRole('textbox', { name: 'Title' });
export const timeline = (page: Page) =>
  page.getByRole('region', { name: 'Conflict timeline' });

/** Opens the comparison of a text episode the timeline lists: the first, or the last. */
export function compareTextEpisode(page: Page, which: 'first' | 'last') {
  const episodes = timeline(page)
    .getByRole('listitem')
    .filter({ hasText: 'Text:' });
  return (which === 'first' ? episodes.first() : episodes.last())
    .getByRole('button', { name: 'Compare' })
    .click();
}

/** What one group of the open comparison ("Side 1", "Merged result") marks as added. */
export const addedIn = (page: Page, group: string): Promise<string> =>
  page
    .getByRole('region', { name: 'Compare versions' })
    .getByRole('group', { name: group })
    .locator('ins')
    .allTextContents()
    .then((runs) => runs.join(''));

/** Imports the JSON Lines `file` through the page's "Import log" and waits until it says so. */
export async function importLogFile(
  page: Page,
  file: string,
  timeout = 60_000,
): Promise<void> {
  await page.getByLabel('Import log').setInputFiles(file);
  await expect
    .poll(() => page.locator('.transfer-result').textContent(), { timeout })
    .toMatch(/^Imported/);
}

/**
 * Imports into `page` a log made here, as another replica would make it: `make`
 * writes to a new log of `actor`, which goes to the page as an exported file.
 */
export async function importMadeLog(
  page: Page,
  actor: string,
  make: (log: Log) => Promise<unknown>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'forkline-made-'));
  try {
    const log = await openLog({ actor });
    await make(log);
    const file = join(dir, `${actor}.jsonl`);
    const lines = await collect(log.export());
    await writeFile(file, lines.map((l) => `${l.trimEnd()}\n`).join(''));
    await log.close();
    await importLogFile(page, file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Creates a document in `page` and waits until every other tab has it open. */
export async function newDocument(
  page: Page,
  others: Page[],
  name: string,
): Promise<void> {
  await page.getByRole('button', { name: 'New document' }).click();
  await expect.poll(() => title(page).inputValue()).toBe('Untitled');
  await title(page).fill(name);
  await title(page).press('Enter');
  // The title shows from the click on: the document is made, open and named once
  // listed under its name and all is saved (a press of "New document" before
  // then joins the one being made).
  await page
    .getByRole('list', { name: 'Documents' })
    .getByRole('button', { name, exact: true })
    .waitFor();
  await expect
    .poll(() => page.getByRole('status').textContent())
    .toContain('All changes saved');
  for (const other of others) {
    await other
      .getByRole('list', { name: 'Documents' })
      .getByRole('button', { name, exact: true })
      .click();
    await expect.poll(() => title(other).inputValue()).toBe(name);
  }
}

/**
 * Pastes `value` into the document text as the browser's paste would (a paste event
 * with its clipboard data): a person's Ctrl+V of a text too long to type.
 */
export async function pasteIntoText(page: Page, value: string): Promise<void> {
  await text(page).click();
  await page.evaluate((pasted) => {
    const data = new DataTransfer();
    data.setData('text/plain', pasted);
    document.querySelector('[aria-label="Document text"]')!.dispatchEvent(
      new ClipboardEvent('paste', {
        clipboardData: data,
        bubbles: true,
        cancelable: true,
      }),
    );
  }, value);
}

/** Types at the end of the document text, as a person would. */
export async function typeAtEnd(page: Page, value: string): Promise<void> {
  await text(page).click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(value);
}

/** Two people typing at once: keystrokes alternate between the tabs, each at the end of the text. */
export async function typeTogether(
  pages: [Page, Page],
  values: [string, string],
): Promise<void> {
  for (const page of pages) {
    await text(page).click();
    await page.keyboard.press('Control+End');
  }
  const longest = Math.max(values[0].length, values[1].length);
  for (let i = 0; i < longest; i++) {
    for (const [k, page] of pages.entries()) {
      const ch = values[k]![i];
      if (ch !== undefined) await page.keyboard.type(ch);
    }
  }
}

/**
 * Two renames at once: `one` starts renaming (it has seen the current title),
 * `two` renames to `titles[1]` and commits first, then `one` commits `titles[0]`.
 * Neither saw the other's: both values are kept until one is picked.
 */
export async function renameTogether(
  [one, two]: [Page, Page],
  titles: [string, string],
): Promise<void> {
  await title(one).click();
  await title(two).fill(titles[1]);
  await title(two).press('Enter');
  await expect
    .poll(() => one.getByRole('list', { name: 'Documents' }).textContent())
    .toContain(titles[1]);
  await title(one).fill(titles[0]);
  await title(one).press('Enter');
}

const status = (page: Page) => page.getByRole('status');

/** Shares the page's log ("Share with another device"): the link, once the page is synced. */
export async function shareLog(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Share with another device' }).click();
  const link = await page
    .getByRole('textbox', { name: 'Share link', exact: true })
    .inputValue();
  await expect
    .poll(() => status(page).textContent(), { timeout: 10_000 })
    .toMatch(/Synced/);
  return link;
}

/** Presses "Share with another device" where sharing cannot work: the Sync panel says `why`. */
export async function shareRefused(page: Page, why: string): Promise<void> {
  await page.getByRole('button', { name: 'Share with another device' }).click();
  await expect
    .poll(() => page.getByRole('region', { name: 'Sync' }).textContent())
    .toContain(why);
}

/**
 * Presses "Join" in the "Join a shared log" dialog, having ticked "I trust …" first
 * when told to (a relay on another server than the page's asks for it).
 */
export async function joinInDialog(
  page: Page,
  { trust = false }: { trust?: boolean } = {},
): Promise<void> {
  const dialog = page.getByRole('dialog', { name: 'Join a shared log' });
  if (trust) await dialog.getByRole('checkbox', { name: /I trust/ }).check();
  await dialog.getByRole('button', { name: 'Join' }).click();
}

/** Opens a share link, joins it, waits until synced, and opens document `name`. */
export async function joinLog(
  page: Page,
  link: string,
  name: string,
  options: { trust?: boolean } = {},
): Promise<void> {
  await page.goto(link);
  await joinInDialog(page, options);
  await expect
    .poll(() => status(page).textContent(), { timeout: 10_000 })
    .toMatch(/Synced/);
  const open = page
    .getByRole('list', { name: 'Documents' })
    .getByRole('button', { name, exact: true });
  await open.waitFor();
  // The documents came with the log: the page points to them, not to a new one.
  await expect
    .poll(() => page.getByRole('main').textContent())
    .toBe('Open a document from the list, or create a new one.');
  await open.click();
  await expect.poll(() => title(page).inputValue()).toBe(name);
}

/**
 * The version line of `page`'s history: "Version N of M: …" (the first: after a
 * jump, the note below says it too).
 */
export const versionLine = (page: Page) =>
  page
    .getByRole('region', { name: 'Version history' })
    .getByText(/^Version \d+ of \d+/)
    .first()
    .textContent();

/**
 * Waits until every page's typing is stored and all show the same current version,
 * polled on all of them together: one page's version read once and waited for on
 * the others raced a writer whose own version line had not caught up with its
 * typing yet, which another tab already showed.
 */
export async function allStoredAndSeen(pages: Page[]): Promise<void> {
  await expect
    .poll(async () => {
      const shown = await Promise.all(
        pages.map(async (page) => ({
          saved: (await status(page).textContent())?.includes(
            'All changes saved',
          ),
          version: await versionLine(page),
        })),
      );
      return (
        shown.every((s) => s.saved && s.version === shown[0]!.version) ||
        JSON.stringify(shown)
      );
    })
    .toBe(true);
}

/**
 * A new tab of `context` whose log worker's script is held back until `release`:
 * the page is drawn and takes clicks and typing, with no worker behind it yet. The
 * context must block service workers, which would serve the script unrouted.
 */
export async function tabWithWorkerHeld(
  context: BrowserContext,
): Promise<{ page: Page; release: () => void }> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await context.route(/log-worker-[^/]*\.js$/, async (route) => {
    await held;
    await route.continue();
  });
  const page = await context.newPage();
  await page.goto(inject('appUrl'));
  return { page, release };
}

/** `text` matched literally in a RegExp. */
export const escaped = (text: string) =>
  text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The nodes of `role` in Chromium's accessibility tree, what a screen reader is
 * given, in document order, by name and description; only those inside the region
 * named `within`, when given. Playwright's role queries read the DOM: they find what
 * Chromium leaves out of its tree, as it does a subtree skipped by
 * `content-visibility: auto` while off screen.
 */
export async function accessibleNodes(
  page: Page,
  role: string,
  within?: string,
): Promise<{ name: string; description?: string }[]> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { nodes } = await cdp.send('Accessibility.getFullAXTree');
    const byId = new Map(nodes.map((n) => [n.nodeId, n]));
    const inside = (node: (typeof nodes)[number]): boolean => {
      for (let n = node; n; n = byId.get(n.parentId!)!)
        if (n.role?.value === 'region' && n.name?.value === within) return true;
      return false;
    };
    return nodes
      .filter((n) => !n.ignored && n.role?.value === role)
      .filter((n) => within === undefined || inside(n))
      .map((n) => ({
        name: String(n.name?.value ?? ''),
        ...(n.description?.value !== undefined
          ? { description: String(n.description.value) }
          : {}),
      }));
  } finally {
    await cdp.detach();
  }
}

/** The names of `accessibleNodes`. */
export const accessibleNames = async (
  page: Page,
  role: string,
  within?: string,
): Promise<string[]> =>
  (await accessibleNodes(page, role, within)).map((n) => n.name);
