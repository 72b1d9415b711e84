const KEY = 'forkline.tab';
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

/** A new label, "Tab N (Swift Otter)": tabs counted per browser profile, and its name. */
function freshLabel(): string {
  const next = Number(localStorage.getItem('forkline.tabs') ?? '0') + 1;
  localStorage.setItem('forkline.tabs', String(next));
  const label = `Tab ${next} (${deviceName()})`;
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
 * "Tab N (Swift Otter)": each tab's own label, kept across reloads of that tab (sessionStorage).
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
