import type { Page } from 'playwright-core';

/**
 * Clicks document `title` in the page's list and waits until its editor (the
 * CodeMirror view of "Document text") holds all `length` characters of it.
 */
export async function openDocumentHolding(
  page: Page,
  title: string,
  length: number,
): Promise<void> {
  await page
    .getByRole('list', { name: 'Documents' })
    .getByRole('button', { name: title, exact: true })
    .click();
  await page.waitForFunction(
    (length) =>
      (
        document.querySelector('[aria-label="Document text"]') as {
          cmTile?: { root?: { view?: { state: { doc: { length: number } } } } };
        } | null
      )?.cmTile?.root?.view?.state.doc.length === length,
    length,
    { timeout: 120_000 },
  );
}
