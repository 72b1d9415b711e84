import type { Page } from 'playwright-core';
import { describe, expect, inject, it } from 'vitest';
import {
  documentText,
  joinInDialog,
  joinLog,
  newDocument,
  openTabs,
  shareLog,
  timeline,
  title,
  typeAtEnd,
  typingLatency,
} from './support/app.ts';
import { useChromium } from './support/browser.ts';

const chromium = useChromium();

const status = (page: Page) => page.getByRole('status');

/** Device one shares its log; device two (a separate profile) opens the link. */
async function twoDevices() {
  const laptop = await openTabs(chromium(), 1);
  const phone = await openTabs(chromium(), 1);
  const [one] = laptop.tabs as [Page];
  const [two] = phone.tabs as [Page];
  await newDocument(one, [], 'Shared');
  // Every share link asks first: the user presses "Join" in the dialog.
  await joinLog(two, await shareLog(one), 'Shared');
  return {
    one,
    two,
    close: () => Promise.all([laptop.context.close(), phone.context.close()]),
  };
}

/**
 * Two devices (twoDevices) that both hold `text`, typed on the first, and then go
 * offline; `online` brings both back.
 */
async function offlineWith(text: string) {
  const devices = await twoDevices();
  const { one, two } = devices;
  await typeAtEnd(one, text);
  await expect.poll(() => documentText(two)).toBe(text);
  const offline = (cut: boolean) =>
    Promise.all([one.context().setOffline(cut), two.context().setOffline(cut)]);
  await offline(true);
  // Said with what becomes of the edits meanwhile (QA pass 18: a bare "Offline").
  await expect
    .poll(() => status(one).textContent())
    .toContain(
      'Offline: edits are kept in this browser and sync once it is back online',
    );
  return { ...devices, online: () => offline(false) };
}

describe('two devices through the relay', () => {
  it('shows an edit made on one device on the other within a second', async () => {
    const { one, two, close } = await twoDevices();
    const text = 'Sent through the relay.';
    expect(
      await typingLatency([one, two], text, text, 'on the other device'),
    ).toBeLessThan(1000);
    await close();
  });

  it('merges edits both made offline, and both timelines show the conflicts', async () => {
    const { one, two, close, online } = await offlineWith('One paragraph.');
    await typeAtEnd(one, ' Laptop offline.');
    await typeAtEnd(two, ' Phone offline.');
    await title(one).fill('Laptop title');
    await title(one).press('Enter');
    await title(two).fill('Phone title');
    await title(two).press('Enter');
    await online();
    await expect
      .poll(
        async () => (await documentText(one)) === (await documentText(two)),
        { timeout: 15_000 },
      )
      .toBe(true);
    expect(await documentText(one)).toMatch(/Laptop offline\./);
    expect(await documentText(one)).toMatch(/Phone offline\./);
    for (const page of [one, two]) {
      await expect
        .poll(
          () =>
            page
              .getByRole('group', { name: 'Concurrent titles' })
              .textContent(),
          { timeout: 10_000 },
        )
        .toMatch(
          /Laptop title[\s\S]*Phone title|Phone title[\s\S]*Laptop title/,
        );
      await expect
        .poll(() => timeline(page).textContent())
        .toMatch(/Text: \d+ concurrent edits/);
      await expect
        .poll(() => timeline(page).textContent())
        .toMatch(/Title: 2 concurrent values/);
    }
    await close();
  }, 90_000);

  it('keeps a document deleted on one device while the other typed in it offline in sight on both, until one of them decides', async () => {
    const { one, two, close, online } = await offlineWith('Agenda.');
    await one.getByRole('button', { name: 'Delete Shared' }).click();
    await expect
      .poll(() =>
        one
          .getByRole('list', {
            name: 'Deleted documents',
            includeHidden: true, // in a closed <details>
          })
          .textContent(),
      )
      .toContain('Shared');
    // The device that deleted it goes on with another document: its list, not an
    // open document, must learn of the typing.
    await one.getByRole('button', { name: 'New document' }).click();
    await expect.poll(() => title(one).inputValue()).toBe('Untitled');
    await typeAtEnd(two, ' Written offline.');
    await online();

    // Both devices: in the list, marked, with the typing in it and the question asked.
    const asked = (page: Page) =>
      page.getByRole('group', { name: 'Deleted while being edited' });
    for (const page of [one, two]) {
      await expect
        .poll(
          () => page.getByRole('list', { name: 'Documents' }).textContent(),
          { timeout: 15_000 },
        )
        .toMatch(/Shared.*deleted while being edited/);
      await page
        .getByRole('list', { name: 'Documents' })
        .getByRole('button', { name: 'Shared', exact: true })
        .click();
      await expect
        .poll(() => asked(page).textContent(), { timeout: 10_000 })
        .toMatch(/deleted this document while .+ was editing it/);
      expect(await documentText(page)).toBe('Agenda. Written offline.');
      await expect
        .poll(() => timeline(page).textContent())
        .toMatch(/Deleted by .+ while .+ edited it.*unresolved/);
    }
    // The comparison shows who deleted it, and what the other typed.
    await timeline(two)
      .getByRole('listitem')
      .filter({ hasText: 'Deleted by' })
      .getByRole('button', { name: 'Compare' })
      .click();
    const comparison = two.getByRole('region', { name: 'Compare versions' });
    await expect
      .poll(() => comparison.textContent())
      .toMatch(
        /Deleted the document\..*Merged result.*The document is deleted\./,
      );
    const typed = comparison
      .getByRole('group')
      .filter({ hasNotText: 'Deleted the document.' })
      .filter({ hasText: 'Side' });
    await expect
      .poll(() => typed.locator('ins').textContent())
      .toBe(' Written offline.');

    // Restored on the phone: back on both, settled, the question gone.
    await asked(two)
      .getByRole('button', { name: 'Restore the document' })
      .click();
    // The buttons go: focus goes on to the text, to write on.
    await expect
      .poll(() =>
        two.evaluate(
          () =>
            !!document.activeElement?.closest('[aria-label="Document text"]'),
        ),
      )
      .toBe(true);
    for (const page of [one, two]) {
      await expect
        .poll(
          () => page.getByRole('list', { name: 'Documents' }).textContent(),
          {
            timeout: 15_000,
          },
        )
        .not.toContain('deleted while being edited');
      await expect.poll(() => asked(page).count()).toBe(0);
      await expect
        .poll(() => timeline(page).textContent())
        .toMatch(/Deleted by .+ while .+ edited it.*resolved by/);
    }
    expect(
      await one
        .getByRole('list', {
          name: 'Deleted documents',
          includeHidden: true, // in a closed <details>
        })
        .count(),
    ).toBe(0);
    await close();
  }, 90_000);

  it('hands syncing to another tab when the syncing tab closes', async () => {
    const { one, two, close } = await twoDevices();
    // A second tab of the first device: it waits for the Web Lock the first tab holds.
    const sibling = await one.context().newPage();
    await sibling.goto(inject('appUrl'));
    await sibling
      .getByRole('list', { name: 'Documents' })
      .getByRole('button', { name: 'Shared', exact: true })
      .click();
    await expect
      .poll(() => status(sibling).textContent(), { timeout: 10_000 })
      .toMatch(/Synced/);
    await one.close();
    await typeAtEnd(two, 'After the handover.');
    await expect
      .poll(() => documentText(sibling), { timeout: 10_000 })
      .toBe('After the handover.');
    await typeAtEnd(sibling, ' And back.');
    await expect
      .poll(() => documentText(two), { timeout: 10_000 })
      .toBe('After the handover. And back.');
    await close();
  });

  it('copies the share link for the other device', async () => {
    const { context, tabs } = await openTabs(chromium(), 1);
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    const [page] = tabs as [Page];
    const link = await shareLog(page);
    await page.getByRole('button', { name: 'Copy link' }).click();
    await page.getByText('Copied.').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(
      link,
    );
    // A second press is said again (the words change, or a screen reader hears
    // nothing), and the news then goes (it stayed under the button: QA pass 18).
    await page.evaluate(() => {
      const hint = document.querySelector('.sync .hint')!;
      const said: string[] = [];
      new MutationObserver(() => said.push(hint.textContent ?? '')).observe(
        hint,
        { childList: true, characterData: true, subtree: true },
      );
      (window as unknown as { said: string[] }).said = said;
    });
    await page.getByRole('button', { name: 'Copy link' }).click();
    // Emptied, said again, then gone (the first change alone is no end: CI).
    await expect
      .poll(
        () =>
          page.evaluate(() => (window as unknown as { said: string[] }).said),
        { timeout: 20_000 },
      )
      .toEqual(['', 'Copied.', '']);
    await context.close();
  });

  it('moves focus to the share link once shared, and asks before it stops syncing and forgets the link', async () => {
    const { context, tabs } = await openTabs(chromium(), 1);
    const [page] = tabs as [Page];
    const sync = page.getByRole('region', { name: 'Sync' });
    const link = await shareLog(page);
    // Focus is on the link, not on a button that took the pressed one's place:
    // a second press of Space stopped syncing.
    expect(
      await page.evaluate(
        () => (document.activeElement as HTMLInputElement).value,
      ),
    ).toBe(link);
    await page.keyboard.press('Space');
    await page.keyboard.press('Enter');
    expect(
      await sync
        .getByRole('textbox', { name: 'Share link', exact: true })
        .count(),
    ).toBe(1);
    // Stopping asks first, and "Keep syncing" keeps it.
    await sync.getByRole('button', { name: 'Stop syncing' }).click();
    const ask = sync.getByRole('group', { name: 'Stop syncing?' });
    await expect
      .poll(() => ask.textContent())
      .toContain('forget the share link');
    await page.keyboard.press('Enter'); // on "Keep syncing", the safe choice
    await expect.poll(() => ask.count()).toBe(0);
    // Escape keeps it too, as it closes the other panels (QA pass 17).
    await sync.getByRole('button', { name: 'Stop syncing' }).click();
    await expect.poll(() => ask.count()).toBe(1);
    await page.keyboard.press('Escape');
    await expect.poll(() => ask.count()).toBe(0);
    await expect
      .poll(() =>
        page.evaluate(() => (document.activeElement as HTMLInputElement).value),
      )
      .toBe(link);
    await expect.poll(() => status(page).textContent()).toMatch(/Synced/);
    // Confirmed, it stops: the link is gone and "Share" has the focus.
    await sync.getByRole('button', { name: 'Stop syncing' }).click();
    await ask.getByRole('button', { name: 'Stop syncing' }).click();
    await expect
      .poll(() =>
        page.evaluate(() => document.activeElement?.textContent ?? ''),
      )
      .toBe('Share with another device');
    expect(
      await sync
        .getByRole('textbox', { name: 'Share link', exact: true })
        .count(),
    ).toBe(0);
    await expect.poll(() => status(page).textContent()).not.toMatch(/Sync/);
    await context.close();
  });

  it('tells the user clearly when the relay refuses a token', async () => {
    const device = await openTabs(chromium(), 1);
    const [page] = device.tabs as [Page];
    const json = JSON.stringify({
      url: inject('appUrl').replace(/^http/, 'ws') + '/sync',
      logId: 'nosuchlog',
      token: 'x',
    });
    const fragment = Buffer.from(json).toString('base64url');
    await page.goto(`${inject('appUrl')}/#join=${fragment}`);
    await joinInDialog(page);
    await expect
      .poll(() => status(page).textContent(), { timeout: 10_000 })
      .toMatch(/The relay refused to sync: unknown log or wrong token/);
    // The panel does not offer the dead link as one to pass on.
    const sync = page.getByRole('region', { name: 'Sync' });
    await expect
      .poll(() => sync.textContent())
      .toMatch(
        /This link does not work: the relay refused it \(unknown log or wrong token\)/,
      );
    expect(await sync.textContent()).not.toMatch(/Anyone with this link/);
    // Nor to copy: the field says what the link is (QA pass 15).
    expect(await sync.getByRole('button', { name: 'Copy link' }).count()).toBe(
      0,
    );
    expect(await sync.getByLabel('Refused link').inputValue()).toContain(
      '#join=',
    );
    expect(await sync.getByLabel('Share link').count()).toBe(0);
    await device.context.close();
  });
});
