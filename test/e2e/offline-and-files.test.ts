import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, inject, it } from 'vitest';
import {
  documentText,
  newDocument,
  openTabs,
  shareRefused,
  text,
  timeline,
  title,
  typeAtEnd,
  typeTogether,
} from './support/app.ts';
import { useChromium } from './support/browser.ts';
import { openDocument, openLog } from '../../src/index.ts';

const chromium = useChromium();

const status = (page: Page) => page.getByRole('status');
const importResult = (page: Page) => page.locator('.transfer-result');

describe('offline', () => {
  it('opens after one visit with the network gone, keeps editing, and stays consistent back online', async () => {
    const { context, tabs } = await openTabs(chromium(), 1, {
      serviceWorkers: 'allow',
    });
    const [page] = tabs as [Page];
    // The service worker has precached the shell once it is ready.
    await page.evaluate(() =>
      navigator.serviceWorker.ready.then(() => undefined),
    );
    await newDocument(page, [], 'Offline notes');
    await typeAtEnd(page, 'Written online.');
    await expect
      .poll(() => status(page).textContent())
      .toBe('All changes saved');

    await context.setOffline(true);
    await page.reload();
    await expect.poll(() => status(page).textContent()).toContain('Offline');
    await expect.poll(() => title(page).inputValue()).toBe('Offline notes');
    await expect.poll(() => documentText(page)).toBe('Written online.');
    await typeAtEnd(page, ' Written offline.');
    await text(page).blur();
    // Sharing needs the relay: the page says the browser is offline, not that no
    // relay answers (which sent a user off to start one).
    await shareRefused(page, 'This browser is offline');

    await context.setOffline(false);
    await expect
      .poll(() => status(page).textContent())
      .toBe('All changes saved');
    await page.reload();
    await expect
      .poll(() => documentText(page))
      .toBe('Written online. Written offline.');
    await context.close();
  });
});

describe('keeping the log', () => {
  it('asks the browser to keep its storage once the log holds a document, and says whether it will', async () => {
    const browser = chromium();
    const { context, tabs } = await openTabs(browser, 1);
    const [page] = tabs as [Page];
    const note = page.locator('.storage-kept');
    // Nothing written yet, and nothing granted: the browser may clear it.
    await expect.poll(() => note.textContent()).toContain('may clear the log');
    // Chromium keeps a site's storage when its permission says so (its own
    // heuristics give it to sites people use a lot; a test grants it).
    const { targetInfo } = await (
      await context.newCDPSession(page)
    ).send('Target.getTargetInfo');
    await (
      await browser.newBrowserCDPSession()
    ).send('Browser.grantPermissions', {
      origin: new URL(inject('appUrl')).origin,
      browserContextId: targetInfo.browserContextId!,
      permissions: ['durableStorage'],
    });
    // The page asks once it holds something to lose.
    await newDocument(page, [], 'Kept');
    await expect
      .poll(() => note.textContent())
      .toBe('This browser keeps the log until you clear the site’s data.');
    await context.close();
  });
});

describe('export and import', () => {
  it('names an imported document by the strings among its titles, and Verify names the changes that do not read', async () => {
    // Another replica's log: a title and, at once, an object under the title field;
    // and a text edit whose bytes are no Yjs update (every id valid).
    const log = await openLog({ actor: 'elsewhere' });
    const doc = await openDocument(log, 'odd-title');
    await doc.setField('title', 'Kept', { at: [] });
    await doc.setField('title', { evil: [1, 2] }, { at: [] });
    await doc.editText(0, 0, 'Some words.');
    const [garbage] = await log.append('doc/odd-title', {
      type: 'doc.text.edited',
      data: new Uint8Array([250, 1, 2, 3]),
    });
    const file = join(
      mkdtempSync(join(tmpdir(), 'forkline-odd-')),
      'odd.jsonl',
    );
    const lines: string[] = [];
    for await (const line of log.export()) lines.push(line);
    writeFileSync(file, lines.join('\n') + '\n');
    await log.close();

    const { context, tabs } = await openTabs(chromium(), 1);
    const [page] = tabs as [Page];
    await page.getByLabel('Import log').setInputFiles(file);
    await expect
      .poll(() => importResult(page).textContent(), { timeout: 10_000 })
      .toMatch(`Imported ${lines.length} events: ${lines.length} new`);
    await expect.poll(() => documentText(page)).toBe('Some words.');
    // The title's field shows the title, as the list does; not "[object Object]".
    await expect.poll(() => title(page).inputValue()).toBe('Kept');
    await expect
      .poll(() => page.getByRole('list', { name: 'Documents' }).textContent())
      .toContain('Kept');
    expect(await page.getByText('[object Object]').count()).toBe(0);
    // Two values in conflict, as the timeline counts them; the one that is no text
    // is said, not shown (QA pass 11: "2 titles are kept" beside "3 values").
    const titles = page.getByRole('group', { name: 'Concurrent titles' });
    await expect
      .poll(() => titles.textContent())
      .toContain(
        'Renamed at the same time: 2 values are kept until you pick one (one is not text, and not shown).',
      );
    expect(await titles.getByRole('button').allTextContents()).toEqual([
      'Use “Kept”',
    ]);
    // The log itself checks out; the change no document reads is named, with why.
    await page.getByRole('button', { name: 'Verify log' }).click();
    await expect
      .poll(() => importResult(page).textContent(), { timeout: 10_000 })
      .toBe(
        `Verified ${lines.length} events in 1 stream: every id, parent and sequence checks out.` +
          ` One document change does not read, and its document shows none or part of it: ` +
          `${garbage!.event.id} in doc/odd-title, its text change is not a Yjs update: it ends early.`,
      );
    await context.close();
  });

  it('round-trips a log with conflicts into a fresh profile, twice without change', async () => {
    const source = await openTabs(chromium(), 2);
    const [one, two] = source.tabs as [Page, Page];
    await newDocument(one, [two], 'Exported');
    await typeAtEnd(one, 'Base.');
    await expect.poll(() => documentText(two)).toBe('Base.');
    await typeTogether([one, two], [' From one.', ' From two.']);
    await expect
      .poll(() => timeline(one).getByRole('listitem').count(), {
        timeout: 5000,
      })
      .toBeGreaterThan(0);
    await expect
      .poll(async () => (await documentText(one)) === (await documentText(two)))
      .toBe(true);
    // By keyboard: the focus stays on the button through the export (disabled
    // while it ran, the button lost it to the page).
    await one.getByRole('button', { name: 'Export log' }).focus();
    const [download] = await Promise.all([
      one.waitForEvent('download'),
      one.keyboard.press('Enter'),
    ]);
    await expect
      .poll(() =>
        one
          .getByRole('button', { name: 'Export log' })
          .getAttribute('aria-disabled'),
      )
      .toBe('false');
    expect(await one.evaluate(() => document.activeElement?.textContent)).toBe(
      'Export log',
    );
    expect(download.suggestedFilename()).toMatch(
      /^forkline-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d\.jsonl$/,
    );
    const file = join(
      mkdtempSync(join(tmpdir(), 'forkline-export-')),
      download.suggestedFilename(),
    );
    await download.saveAs(file);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({
      specversion: '1.0',
      subject: expect.stringMatching(/^doc\//),
    });

    const fresh = await openTabs(chromium(), 1);
    const [copy] = fresh.tabs as [Page];
    // The result is a live region there before it says anything, so that screen
    // readers say it when it comes.
    expect(await importResult(copy).getAttribute('aria-live')).toBe('polite');
    expect(await importResult(copy).textContent()).toBe('');
    await copy.getByLabel('Import log').setInputFiles({
      name: 'empty.jsonl',
      mimeType: 'application/jsonl',
      buffer: Buffer.from('\n\n'),
    });
    await expect
      .poll(() => importResult(copy).textContent(), { timeout: 10_000 })
      .toBe('The file holds no events: nothing was imported.');
    await copy.getByLabel('Import log').setInputFiles(file);
    await expect
      .poll(() => importResult(copy).textContent(), { timeout: 10_000 })
      .toMatch(`Imported ${lines.length} events: ${lines.length} new`);
    await expect.poll(() => documentText(copy)).toBe(await documentText(one));
    await expect.poll(() => title(copy).inputValue()).toBe('Exported');
    // Both read at each try: the source's list may still be settling as well.
    const listed = (page: Page) =>
      timeline(page).getByRole('listitem').allTextContents();
    await expect
      .poll(async () => {
        const [there, here] = [await listed(one), await listed(copy)];
        return here.length > 0 && here.join('\n') === there.join('\n');
      })
      .toBe(true)
      .catch(async (error: Error) => {
        throw new Error(
          `the copy lists ${JSON.stringify(await listed(copy))}, the source ${JSON.stringify(await listed(one))}`,
          { cause: error },
        );
      });
    // Chosen by keyboard, the file input keeps the focus through the import: a
    // disabled input lost it to the page.
    await copy.getByLabel('Import log').focus();
    await copy.getByLabel('Import log').setInputFiles(file);
    await expect
      .poll(() => importResult(copy).textContent(), { timeout: 10_000 })
      .toMatch(`0 new, ${lines.length} already here`);
    expect(
      await copy.evaluate(
        () => (document.activeElement as HTMLInputElement).type,
      ),
    ).toBe('file');
    await copy.getByRole('button', { name: 'Verify log' }).click();
    await expect
      .poll(() => importResult(copy).textContent(), { timeout: 10_000 })
      .toBe(
        `Verified ${lines.length} events in 1 stream: every id, parent and sequence checks out.`,
      );

    // A tampered byte: refused with the line, and nothing changes.
    const tampered = join(
      mkdtempSync(join(tmpdir(), 'forkline-bad-')),
      'tampered.jsonl',
    );
    writeFileSync(
      tampered,
      lines
        .map((l, i) => (i === 1 ? l.replace('"seq":"', '"seq":"9') : l))
        .join('\n'),
    );
    const other = await openTabs(chromium(), 1);
    const [target] = other.tabs as [Page];
    await target.getByLabel('Import log').setInputFiles(tampered);
    await expect
      .poll(() => importResult(target).textContent(), { timeout: 10_000 })
      .toMatch(/Import refused, line 2: .*Nothing was imported/);
    expect(
      await target
        .getByRole('list', { name: 'Documents' })
        .getByRole('listitem')
        .count(),
    ).toBe(0);
    // Two exports put together list their shared events twice: the second copies
    // are said to repeat the file, not to have been here (the log held nothing).
    const twice = {
      name: 'twice.jsonl',
      mimeType: 'application/jsonl',
      buffer: Buffer.from(`${[...lines, ...lines].join('\n')}\n`),
    };
    await target.getByLabel('Import log').setInputFiles(twice);
    await expect
      .poll(() => importResult(target).textContent(), { timeout: 10_000 })
      .toBe(
        `Read ${2 * lines.length} lines: ${lines.length} new events, 0 already here, ${lines.length} repeating an earlier line.`,
      );
    // Again: every event was here, and each repeat is still told apart.
    await target.getByLabel('Import log').setInputFiles(twice);
    await expect
      .poll(() => importResult(target).textContent(), { timeout: 10_000 })
      .toBe(
        `Read ${2 * lines.length} lines: 0 new events, ${lines.length} already here, ${lines.length} repeating an earlier line.`,
      );
    await Promise.all([
      source.context.close(),
      fresh.context.close(),
      other.context.close(),
    ]);
  });

  it('cancels an import while it is being stored: nothing kept, and focus on the file input', async () => {
    // 60k events: their import takes seconds, as a person's large log does.
    const log = await openLog({ actor: 'bulk-source' });
    await (await openDocument(log, 'bulk')).setField('title', 'Bulk');
    for (let i = 0; i < 60; i++)
      await log.append(
        'notes/bulk',
        Array.from({ length: 1000 }, (_, j) => ({
          type: 'test.note',
          data: { i, j },
        })),
      );
    const lines: string[] = [];
    for await (const line of log.export()) lines.push(line);
    await log.close();
    const file = join(
      mkdtempSync(join(tmpdir(), 'forkline-bulk-')),
      'bulk.jsonl',
    );
    writeFileSync(file, lines.join('\n') + '\n');

    const { context, tabs } = await openTabs(chromium(), 1);
    const [page] = tabs as [Page];
    const documents = page
      .getByRole('list', { name: 'Documents' })
      .getByRole('listitem');
    await page.getByLabel('Import log').setInputFiles(file);
    // Every line checked, the events being stored: the transaction is aborted.
    await page.getByText('Importing: saving').waitFor();
    await page.getByRole('button', { name: 'Cancel import' }).click();
    await expect
      .poll(() => importResult(page).textContent(), { timeout: 30_000 })
      .toBe('Import cancelled: nothing was stored.');
    expect(
      await page.evaluate(
        () => (document.activeElement as HTMLInputElement).type,
      ),
    ).toBe('file');
    expect(
      await page.getByRole('button', { name: 'Cancel import' }).count(),
    ).toBe(0);
    await page.getByRole('button', { name: 'Verify log' }).click();
    await expect
      .poll(() => importResult(page).textContent(), { timeout: 10_000 })
      .toMatch(/^Verified 0 events in 0 streams/);
    expect(await documents.count()).toBe(0);
    await context.close();
  });
});

void inject;
