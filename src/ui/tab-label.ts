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

/**
 * Characters that set the direction of the text after them: a name needs none (a
 * right-to-left name reads right to left by its letters), and "Mallory \u202Eevil"
 * turned the " (Tab 1)" the page writes after it backwards (QA pass 10).
 */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `name` as a person's name is kept: no direction controls, trimmed, at most MAX_NAME. */
const asName = (name: string) =>
  name.replace(BIDI_CONTROLS, '').trim().slice(0, MAX_NAME);

/** The name this profile's person gave, or '' if none. */
export function personName(): string {
  return asName(localStorage.getItem(NAME_KEY) ?? '');
}

/** Keeps `name` (as `asName` keeps it) as the person's; '' forgets it. */
export function setPersonName(name: string): void {
  const kept = asName(name);
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

/** A new tab number where Web Locks are missing: counted per browser profile. */
function countedTab(): number {
  const next = Number(localStorage.getItem('forkline.tabs') ?? '0') + 1;
  localStorage.setItem('forkline.tabs', String(next));
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
 * This tab's number, kept across reloads of the tab (sessionStorage). A new tab takes
 * the lowest number no open tab of the profile holds: each number is held by a Web
 * Lock while its page lives. So a person who closes the browser and opens it again
 * writes as "Tab 1" again, one author in the history, not a new "Tab 2", "Tab 3"
 * every time (QA pass 8: jumping to their edits found one session's). A duplicated
 * tab copies its original's sessionStorage, and so its number: finding it held, it
 * takes a free one. (Which events are a tab's own never depends on its label: a tab
 * knows its own by their bytes, which embed its Yjs client id.)
 */
export async function claimTab(): Promise<number> {
  const kept = Number(sessionStorage.getItem(KEY));
  const valid = Number.isSafeInteger(kept) && kept > 0;
  let tab: number;
  if (typeof navigator === 'undefined' || !navigator.locks)
    tab = valid ? kept : countedTab();
  else if (valid && (await holdForLife(`forkline:tab ${kept}`))) tab = kept;
  else for (tab = 1; !(await holdForLife(`forkline:tab ${tab}`)); tab++);
  sessionStorage.setItem(KEY, String(tab));
  return tab;
}
