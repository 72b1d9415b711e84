import type { Page } from 'playwright-core';
import { describe, expect, inject, it } from 'vitest';
import {
  documentText,
  newDocument,
  openTabs,
  text,
  timeline,
  title,
  typeAtEnd,
  typeTogether,
} from './support/app.ts';
import { violations } from './support/axe.ts';
import { useChromium } from './support/browser.ts';

const chromium = useChromium();

const CORPUS = [
  '<img src=x onerror="window.__xss=1">',
  '<script>window.__xss=2</script>',
  '<a href="javascript:window.__xss=3">click</a>',
  '<svg onload="window.__xss=4"></svg>',
  '"><iframe srcdoc="<script>parent.__xss=5</script>">',
];

describe('event data is only ever text', () => {
  it('shows markup typed as text and as a title literally, and runs none of it', async () => {
    const { context, tabs } = await openTabs(chromium(), 2);
    const [one, two] = tabs as [Page, Page];
    const dialogs: string[] = [];
    for (const page of tabs)
      page.on('dialog', (d) => void dialogs.push(d.message()));
    const payload = CORPUS.join('\n');
    await newDocument(one, [two], 'Safe');
    await typeAtEnd(one, payload);
    await title(one).fill(CORPUS[0]!);
    await title(one).press('Enter');
    for (const page of [one, two]) {
      await expect.poll(() => documentText(page)).toBe(payload);
      await expect
        .poll(() => page.getByRole('list', { name: 'Documents' }).textContent())
        .toContain(CORPUS[0]);
      const injected = await page.evaluate(() => ({
        xss: (window as { __xss?: number }).__xss,
        elements: document.querySelectorAll(
          'main img, main script, main iframe, main a[href^="javascript"], main svg[onload]',
        ).length,
      }));
      expect(injected).toEqual({ xss: undefined, elements: 0 });
    }
    expect(dialogs).toEqual([]);
    await context.close();
  });

  it('is served with a Content-Security-Policy that forbids inline script', async () => {
    const html = await (await fetch(inject('appUrl'))).text();
    const csp =
      /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(
        html,
      )?.[1] ?? '';
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toMatch(
      /unsafe-inline[^;]*;?.*script-src|script-src[^;]*unsafe-inline/,
    );
  });
});

describe('accessibility (axe-core)', () => {
  it('finds no violations on the empty app, an open document, a conflict comparison and a past version', async () => {
    // axe is injected as an inline script: only this test's context bypasses the CSP to do so.
    const context = await chromium().newContext({
      bypassCSP: true,
      viewport: { width: 1200, height: 900 },
    });
    const one = await context.newPage();
    const two = await context.newPage();
    for (const page of [one, two]) {
      await page.goto(inject('appUrl'));
      await page.getByRole('status').waitFor();
    }
    expect(await violations(one)).toEqual([]);
    await newDocument(one, [two], 'Accessible');
    await typeAtEnd(one, 'Some text.');
    await expect.poll(() => documentText(two)).toBe('Some text.');
    await typeTogether([one, two], [' More from one.', ' More from two.']);
    await expect
      .poll(() => timeline(one).getByRole('listitem').count(), {
        timeout: 5000,
      })
      .toBeGreaterThan(0);
    await one.reload();
    await one.getByRole('status').waitFor();
    await text(one).waitFor();
    expect(await violations(one)).toEqual([]);
    await timeline(one)
      .getByRole('button', { name: 'Compare' })
      .first()
      .click();
    await one
      .getByRole('region', { name: 'Compare versions' })
      .getByText('Merged result')
      .waitFor();
    expect(await violations(one)).toEqual([]);
    await one.getByRole('slider', { name: 'History' }).fill('2');
    await one.getByRole('textbox', { name: 'Text at this version' }).waitFor();
    expect(await violations(one)).toEqual([]);
    await context.close();
  });
});

describe('the keyboard', () => {
  it('gives focus to the next document once one is deleted, and to "New document" once none is left', async () => {
    const { context, tabs } = await openTabs(chromium(), 1);
    const [page] = tabs as [Page];
    for (const name of ['Alpha', 'Beta']) await newDocument(page, [], name);
    const focused = () =>
      page.evaluate(() => document.activeElement?.textContent ?? '');
    const list = page.getByRole('list', { name: 'Documents' });
    const names = list.getByRole('button', { name: /^(Alpha|Beta)$/ });
    await expect.poll(() => names.count()).toBe(2);
    const order = await names.allTextContents();
    await page.getByRole('button', { name: `Delete ${order[0]}` }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(focused).toBe(order[1]);
    // Enter again opens that document: it deletes nothing.
    await page.keyboard.press('Enter');
    await expect.poll(() => title(page).inputValue()).toBe(order[1]);
    expect(
      await list.getByRole('button', { name: order[1], exact: true }).count(),
    ).toBe(1);
    await page.getByRole('button', { name: `Delete ${order[1]}` }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(focused).toBe('New document');
    await context.close();
  });
});
