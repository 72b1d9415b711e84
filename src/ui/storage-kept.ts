import { effect, signal } from '@preact/signals';

/**
 * Whether this browser keeps the site's storage, and so the log, until the user
 * clears it ('persisted'), or may clear it by itself when space runs low
 * ('best-effort': the default for every site). Undefined until known, and where the
 * browser cannot say.
 */
export const storageKept = signal<'persisted' | 'best-effort' | undefined>(
  undefined,
);

/**
 * Reads how the browser keeps this site's storage and, once the log holds
 * something (`hasData` turns true: a document made, imported or synced), asks it
 * once to keep it (`navigator.storage.persist()`). The log is the only copy of
 * whatever was not exported or synced: a best-effort site's data goes without a
 * word when the disk fills up. Chromium answers from how the site is used (installed,
 * bookmarked, visited often) without asking the user; Firefox asks.
 */
export function keepStorage(hasData: () => boolean): void {
  const storage =
    typeof navigator === 'undefined' ? undefined : navigator.storage;
  if (!storage?.persisted) return;
  const show = (kept: boolean) =>
    (storageKept.value = kept ? 'persisted' : 'best-effort');
  let asked = false;
  void storage.persisted().then(
    (kept) => {
      show(kept);
      if (kept) return;
      const stop = effect(() => {
        if (asked || !hasData()) return;
        asked = true;
        // Disposed on its next turn: it may not dispose itself while it runs.
        queueMicrotask(() => stop());
        void storage
          .persist()
          .then(show)
          .catch(() => undefined);
      });
    },
    () => undefined,
  );
}
