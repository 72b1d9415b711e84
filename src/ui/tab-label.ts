const KEY = 'forkline.tab';

/** A new label, "Tab N", counted per browser profile (localStorage). */
function freshLabel(): string {
  const next = Number(localStorage.getItem('forkline.tabs') ?? '0') + 1;
  localStorage.setItem('forkline.tabs', String(next));
  const label = `Tab ${next}`;
  sessionStorage.setItem(KEY, label);
  return label;
}

/** Holds the Web Lock `name` for as long as this page lives, if no one else does. */
function holdForLife(name: string): Promise<boolean> {
  return new Promise((resolve) => {
    void navigator.locks.request(name, { ifAvailable: true }, (lock) => {
      resolve(lock !== null);
      // Never settles: the lock goes when the page does.
      return lock ? new Promise<never>(() => undefined) : undefined;
    });
  });
}

/**
 * "Tab N": each tab's own label, kept across reloads of that tab (sessionStorage).
 * A duplicated tab copies its original's sessionStorage, and so its label: each
 * label is held by a Web Lock while its page lives, and a tab that finds its label
 * held by another takes a fresh one. (Which events are a tab's own never depends
 * on the label: a tab knows its own by their bytes, which embed its Yjs client id.)
 */
export async function claimTabLabel(): Promise<string> {
  let label = sessionStorage.getItem(KEY) ?? freshLabel();
  if (typeof navigator === 'undefined' || !navigator.locks) return label;
  while (!(await holdForLife(`forkline:${label}`))) label = freshLabel();
  return label;
}
