/** This tab's number (sessionStorage). */
const KEY = 'forkline.tab.number';
const DEVICE_KEY = 'forkline.device';

// Words for a browser profile's name: 32 x 32, so two devices that sync share one
// about once in a thousand.
const ADJECTIVES = (
  'Amber Bold Brave Bright Calm Clever Cosy Eager Fair Fleet Gentle Glad ' +
  'Golden Grand Happy Jolly Keen Kind Lively Lucky Merry Mild Noble ' +
  'Proud Quick Quiet Rosy Silver Steady Sunny Swift Witty'
).split(/\s+/);
const ANIMALS = (
  'Badger Bear Beaver Bison Crane Deer Dolphin Eagle Falcon Fox Gecko ' +
  'Hare Hawk Heron Ibis Koala Lark Lynx Marten Mole Moose Newt Otter Owl ' +
  'Panda Puffin Raven Robin Seal Stork Swan Wren'
).split(/\s+/);

/**
 * This browser profile's name ("Swift Otter"), chosen at random once and kept
 * (localStorage). Every profile counts its tabs from 1, so without it two devices
 * that sync both wrote as "Tab 1", and a conflict between them read as one
 * writer's: "5 concurrent edits by Tab 1".
 */
function deviceName(): string {
  let name = localStorage.getItem(DEVICE_KEY);
  if (!name) {
    const [a, b] = crypto.getRandomValues(new Uint32Array(2));
    name = `${ADJECTIVES[a! % ADJECTIVES.length]} ${ANIMALS[b! % ANIMALS.length]}`;
    localStorage.setItem(DEVICE_KEY, name);
  }
  return name;
}

/** Where a person's name for themselves is kept, for every tab of the profile. */
export const NAME_KEY = 'forkline.name';
/** The longest name kept: a label is shown beside every event. */
export const MAX_NAME = 60;

/** The name this profile's person gave (trimmed), or '' if none. */
export function personName(): string {
  return (localStorage.getItem(NAME_KEY) ?? '').trim().slice(0, MAX_NAME);
}

/** Keeps `name` (trimmed, at most MAX_NAME characters) as the person's; '' forgets it. */
export function setPersonName(name: string): void {
  const kept = name.trim().slice(0, MAX_NAME);
  if (kept) localStorage.setItem(NAME_KEY, kept);
  else localStorage.removeItem(NAME_KEY);
}

/**
 * Tab `tab`'s label, what its events name as their author: "Ana (Tab 2)" once the
 * person has given a name, else "Tab 2 (Swift Otter)", the profile's.
 */
export function labelOf(tab: number): string {
  const name = personName();
  return name ? `${name} (Tab ${tab})` : `Tab ${tab} (${deviceName()})`;
}

/** A new tab number: tabs counted per browser profile. */
function freshTab(): number {
  const next = Number(localStorage.getItem('forkline.tabs') ?? '0') + 1;
  localStorage.setItem('forkline.tabs', String(next));
  sessionStorage.setItem(KEY, String(next));
  return next;
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
 * This tab's number, kept across reloads of the tab (sessionStorage). A duplicated
 * tab copies its original's sessionStorage, and so its number: each number is held
 * by a Web Lock while its page lives, and a tab that finds its number held by
 * another takes a fresh one. (Which events are a tab's own never depends on its
 * label: a tab knows its own by their bytes, which embed its Yjs client id.)
 */
export async function claimTab(): Promise<number> {
  const kept = Number(sessionStorage.getItem(KEY));
  let tab = Number.isSafeInteger(kept) && kept > 0 ? kept : freshTab();
  if (typeof navigator === 'undefined' || !navigator.locks) return tab;
  while (!(await holdForLife(`forkline:tab ${tab}`))) tab = freshTab();
  return tab;
}
