import { signal } from '@preact/signals';
import { proxy, type Remote } from 'comlink';
import type { LogService, RelayConfig, SyncState } from '../contract/index.ts';
import {
  InvalidShareLinkError,
  isJoinFragment,
  parseShareLink,
  planJoin,
  RELAY_PATH,
  shareLinkFor,
  type JoinPlan,
} from './join-link.ts';
import { asClause } from '../log/errors.ts';
import { WorkerStoppedError } from './log-supervisor.ts';
import { timeText } from './time-text.ts';

const CONFIG_KEY = 'forkline.relay';
/** The relay a join replaced, until the new one syncs: a refused link can be undone. */
const PREVIOUS_KEY = 'forkline.relay.previous';
const LOCK = 'forkline:relay-leader';

/** This profile's relay, if it syncs through one. */
export const relayConfig = signal<RelayConfig | undefined>(
  loadConfig(CONFIG_KEY),
);
/**
 * The relay this profile synced with before it joined the current one, kept until
 * the current one syncs: joining a link the relay refuses (a mistyped token) would
 * otherwise lose the link that worked.
 */
export const previousRelay = signal<RelayConfig | undefined>(
  loadConfig(PREVIOUS_KEY),
);
/**
 * How syncing stands, as the leading tab reports it (every tab shows it). A retry
 * is stamped with when it is due (ms since the epoch): "retrying in 13 s" said
 * the same long after, and every tab heard it at its own moment.
 */
export type ShownSyncState = Exclude<SyncState, { kind: 'waiting' }> & {
  retryAt?: number;
};
export const syncState = signal<ShownSyncState | undefined>(undefined);

/** `state` as the page shows it: a retry's delay made the time it is due. */
const stamped = (state: ShownSyncState): ShownSyncState =>
  'retryInMs' in state && state.retryInMs !== undefined
    ? { ...state, retryAt: Date.now() + state.retryInMs }
    : state;

const states =
  typeof BroadcastChannel === 'undefined'
    ? undefined
    : new BroadcastChannel('forkline:sync-state');
/** This tab's request for the relay lock, waiting or held; settles when it is over. */
let leadership: Promise<void> | undefined;
/** Set while this tab holds the lock: lets go of it. */
let releaseLeadership: (() => void) | undefined;
let leading = false;
/** While this tab leads: the relay it connected to. */
let ledWith: RelayConfig | undefined;
/** Storage changes from other tabs, followed one at a time. */
let following = Promise.resolve();
let service: Remote<LogService> | undefined;
/** While this tab leads: connects its (new) worker to the relay again. */
let reconnect: (() => Promise<void>) | undefined;

/** The leader tells every tab how syncing stands; a tab that opens later asks. */
type StateMessage =
  | { kind: 'state'; state: ShownSyncState | null }
  | { kind: 'ask' }
  /** "Try now" in a tab that does not lead: the leader connects at once. */
  | { kind: 'retry' };

function loadConfig(key: string): RelayConfig | undefined {
  try {
    const raw = localStorage.getItem(key);
    return raw ? (JSON.parse(raw) as RelayConfig) : undefined;
  } catch {
    return undefined;
  }
}

/** A link another device opens to join this log: relay, log id and token in the fragment, never sent to a server. */
export function shareLink(config: RelayConfig): string {
  return shareLinkFor(location.origin, config);
}

/**
 * A share link waiting for the user's answer in the "Join a shared log" dialog:
 * what joining would do, or why the link cannot be joined.
 */
export type PendingJoin = { plan: JoinPlan } | { problem: string };

/** The link the dialog asks about; nothing connects or changes until `confirmJoin`. */
export const pendingJoin = signal<PendingJoin | undefined>(undefined);

/**
 * Opens the "Join a shared log" dialog for `link`; joining waits for the user.
 * @throws InvalidShareLinkError saying what is wrong with the link
 */
export function offerJoin(link: string): void {
  const config = parseShareLink(link);
  const policy = document
    .querySelector('meta[http-equiv="Content-Security-Policy" i]')
    ?.getAttribute('content');
  pendingJoin.value = { plan: planJoin(config, location, policy ?? undefined) };
}

/**
 * A share link in the address bar (opened in a new tab, or pasted into an open one,
 * which only changes the hash) is taken out of it at once, token included, and
 * offered to the user.
 */
function offerJoinFromHash(): void {
  if (!isJoinFragment(location.hash)) return;
  const link = location.hash;
  history.replaceState(null, '', location.pathname + location.search);
  try {
    offerJoin(link);
  } catch (error) {
    pendingJoin.value = {
      problem:
        error instanceof InvalidShareLinkError
          ? error.message
          : 'That share link could not be read.',
    };
  }
}

if (typeof location !== 'undefined') {
  offerJoinFromHash();
  addEventListener('hashchange', offerJoinFromHash);
}

/**
 * The user pressed "Join": this profile stops syncing with its current relay, if
 * any, and syncs with the link's from now on.
 * @param trusted the user confirmed they trust a relay on another server
 * @throws Error when nothing is pending, the link is blocked, or consent is missing
 */
export async function confirmJoin(trusted: boolean): Promise<void> {
  const pending = pendingJoin.value;
  if (!pending || 'problem' in pending || pending.plan.blocked)
    throw new Error('There is no share link to join.');
  if (pending.plan.crossOrigin && !trusted)
    throw new Error(
      `Joining a relay on another server needs your consent: tick "I trust ${pending.plan.host} with this log".`,
    );
  pendingJoin.value = undefined;
  const replaced = relayConfig.value;
  await disconnect();
  if (replaced && !sameRelay(replaced, pending.plan.config))
    keepPrevious(replaced);
  use(pending.plan.config);
}

/** The user pressed "Go back to the previous link": the join is undone. */
export async function rejoinPrevious(): Promise<void> {
  const previous = previousRelay.value;
  if (!previous) throw new Error('There is no previous link to go back to.');
  await disconnect();
  use(previous);
}

function keepPrevious(config: RelayConfig | undefined): void {
  if (config) localStorage.setItem(PREVIOUS_KEY, JSON.stringify(config));
  else localStorage.removeItem(PREVIOUS_KEY);
  previousRelay.value = config;
}

/** The user pressed "Cancel": the link is forgotten and nothing changes. */
export function cancelJoin(): void {
  pendingJoin.value = undefined;
}

/**
 * Starts syncing if this profile has a relay: tabs compete for a Web Lock and the
 * holder alone connects; when it closes, the lock passes to another tab, which
 * connects in its place. Other tabs get synced events through IndexedDB.
 */
export function startRelaySync(worker: Remote<LogService>): void {
  service = worker;
  states?.addEventListener('message', (e: MessageEvent<StateMessage>) => {
    if (e.data.kind === 'state') syncState.value = e.data.state ?? undefined;
    // Only the leader acts: another tab passing it on would echo it for ever.
    else if (e.data.kind === 'retry') {
      if (leading) retrySyncNow();
    } else if (leading)
      states.postMessage({
        kind: 'state',
        state: syncState.value ?? null,
      } satisfies StateMessage);
  });
  // Back online, a retry due in up to 30 s is made now.
  addEventListener('online', () => {
    if (leading) retrySyncNow();
  });
  states?.postMessage({ kind: 'ask' } satisfies StateMessage);
  addEventListener('storage', (e: StorageEvent) => {
    if (e.key === PREVIOUS_KEY) previousRelay.value = loadConfig(PREVIOUS_KEY);
    if (e.key !== CONFIG_KEY) return;
    relayConfig.value = loadConfig(CONFIG_KEY);
    // Another tab joined another log or stopped syncing: if this tab leads with
    // the old relay, it stops sending to it, and the lock goes to the new one.
    following = following.then(async () => {
      if (ledWith && !sameRelay(ledWith, relayConfig.value))
        await stopLeading();
      if (relayConfig.value) lead();
    });
  });
  if (relayConfig.value) lead();
}

function lead(): void {
  if (leadership || !navigator.locks) return;
  leadership = navigator.locks
    .request(LOCK, async () => {
      const config = relayConfig.value;
      if (!config || !service) return;
      const released = new Promise<void>(
        (resolve) => (releaseLeadership = resolve),
      );
      const show = (state: ShownSyncState) => {
        syncState.value = state;
        states?.postMessage({ kind: 'state', state } satisfies StateMessage);
      };
      const report = (reported: SyncState) => {
        // A count of the changes the relay lacks, to the trouble shown.
        if (reported.kind === 'waiting') {
          const shown = syncState.value;
          if (shown?.kind === 'offline' || shown?.kind === 'interrupted')
            show({ ...shown, waiting: reported.waiting });
          return;
        }
        // The link works: there is nothing to go back to any more.
        if (reported.kind === 'synced' && previousRelay.value)
          keepPrevious(undefined);
        show(stamped(reported));
      };
      leading = true;
      ledWith = config;
      const worker = service;
      reconnect = () => worker.connectRelay(config, proxy(report));
      await reconnect().catch((error: Error) => {
        // A worker that died meanwhile is replaced, and resumeRelaySync connects the new one.
        if (!(error instanceof WorkerStoppedError))
          // The status line ends the reason with its own full stop.
          report({ kind: 'refused', reason: asClause(error.message) });
      });
      // Hold the lock until this tab closes, the user disconnects, or another tab changes the relay.
      await released;
      // This worker stops syncing before another tab may take over, even if it
      // was still connecting when it was asked to let go.
      await service?.disconnectRelay().catch(() => undefined);
      releaseLeadership = undefined;
      reconnect = undefined;
      leading = false;
      ledWith = undefined;
    })
    .catch(() => undefined)
    .finally(() => (leadership = undefined));
}

/**
 * "Try now": a retry that is waiting is made at once, by the tab that leads
 * (this one, or the one it asks).
 */
export function retrySyncNow(): void {
  if (leading) void service?.retryRelay().catch(() => undefined);
  else states?.postMessage({ kind: 'retry' } satisfies StateMessage);
}

/** If this tab leads: it lets go of the lock, and resolves once it has. */
async function stopLeading(): Promise<void> {
  if (!releaseLeadership) return;
  const over = leadership;
  releaseLeadership();
  await over;
}

const sameRelay = (a: RelayConfig, b: RelayConfig | undefined) =>
  a.url === b?.url && a.logId === b.logId && a.token === b.token;

/** This tab's log worker was replaced: if it was syncing, the new one takes over. */
export function resumeRelaySync(): void {
  void reconnect?.().catch(
    (error: Error) =>
      (syncState.value = stamped({
        kind: 'offline',
        reason: error.message,
        retryInMs: 0,
      })),
  );
}

function use(config: RelayConfig): void {
  localStorage.setItem(CONFIG_KEY, JSON.stringify(config));
  relayConfig.value = config;
  lead();
}

/**
 * Creates a log on the relay serving this page and starts syncing to it.
 * @throws Error saying why the relay did not create one (none here, it needs its
 *   admin secret, too many logs lately, or another refusal)
 */
export async function shareThroughThisRelay(): Promise<void> {
  const response = await fetch('/api/logs', { method: 'POST' }).catch(
    () => undefined,
  );
  // The relay may be there: the browser cannot reach anything.
  if (!response && !navigator.onLine)
    throw new Error(
      'This browser is offline: sharing creates a log on the relay, so share once back online. Editing goes on meanwhile.',
    );
  if (response?.status === 401)
    throw new Error(
      'This relay needs its admin secret to create logs: ask its operator to create one and send you its share link.',
    );
  if (response?.status === 429)
    throw new Error(
      `This relay has created too many logs lately; try again in ${response.headers.get('retry-after') ?? 'a few'} s.`,
    );
  const answer = (await response?.json().catch(() => undefined)) as
    { logId?: unknown; token?: unknown; error?: unknown } | undefined;
  if (response?.ok && answer) {
    const { logId, token } = answer;
    if (typeof logId === 'string' && typeof token === 'string')
      return use({
        url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${RELAY_PATH}`,
        logId,
        token,
      });
  }
  throw new Error(
    typeof answer?.error === 'string'
      ? `The relay refused to create a log: ${answer.error}.`
      : response
        ? `This page's server has no relay to create a log on (it answered ${response.status}): ask whoever runs it.`
        : "This page's server does not answer now: sharing creates a log on its relay, so try again later. Editing goes on meanwhile.",
  );
}

export async function disconnect(): Promise<void> {
  keepPrevious(undefined);
  localStorage.removeItem(CONFIG_KEY);
  relayConfig.value = undefined;
  syncState.value = undefined;
  states?.postMessage({ kind: 'state', state: null } satisfies StateMessage);
  await service?.disconnectRelay();
  await stopLeading();
}

/** One line for the status element. */
export function describeSync(
  state: ShownSyncState | undefined,
  now = Date.now(),
): string | undefined {
  // A try falls due late in a tab in the background, whose timers the browser
  // slows: once its time is past, not a time gone by (QA pass 18).
  const retry = (s: { retryInMs: number; retryAt?: number | undefined }) =>
    s.retryAt === undefined
      ? `retrying in ${Math.ceil(s.retryInMs / 1000)} s`
      : s.retryAt <= now
        ? 'trying again shortly'
        : `next try at ${timeText(s.retryAt)}`;
  /** What stays in this browser (how many changes, once counted), `until`… */
  const stay = (s: { waiting?: number | undefined }, until = '') =>
    s.waiting === 0
      ? 'every change here is on the relay'
      : `${s.waiting === undefined ? 'changes stay' : `${s.waiting} change${s.waiting === 1 ? ' stays' : 's stay'}`} in this browser${until}`;
  switch (state?.kind) {
    case undefined:
      return undefined;
    case 'connecting': {
      // After trouble, still the trouble: a relay that stays down read as
      // "Connecting…" for most of each try (QA pass 7).
      const after = state.after;
      if (!after) return 'Connecting to the relay…';
      const trouble =
        after.kind === 'offline'
          ? `Relay unreachable (${after.reason})`
          : after.kind === 'refused'
            ? `The relay refused to sync (${after.reason})`
            : `Sync interrupted (${after.reason})`;
      return `${trouble}; trying again now…`;
    }
    case 'syncing':
      return `Syncing (${state.outstanding} batch${state.outstanding === 1 ? '' : 'es'} in flight)…`;
    case 'synced':
      return `Synced ${timeText(state.at)}`;
    case 'offline':
      // "All changes saved" is of this browser: what the relay lacks is said too
      // (QA pass 11 read it as synced).
      return `Relay unreachable (${state.reason}); ${stay(state, ' until it answers')}; ${retry(state)}`;
    case 'interrupted':
      return `Sync interrupted (${state.reason}); ${stay(state)}; ${retry(state)}`;
    case 'forked':
      return `Another device wrote under this log's device id (${state.reason}); this browser now writes under a new id and keeps syncing.`;
    case 'refused':
      return state.retryInMs === undefined
        ? `The relay refused to sync: ${state.reason}. Check the share link.`
        : `The relay refused to sync: ${state.reason}. Check the share link; ${retry({ retryInMs: state.retryInMs, retryAt: state.retryAt })}.`;
  }
}
