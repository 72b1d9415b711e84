import { signal } from '@preact/signals';
import { proxy, type Remote } from 'comlink';
import { fromBase64Url, toBase64Url } from '../log/base64url.ts';
import type {
  LogService,
  RelayConfig,
  SyncState,
} from '../../worker/protocol.ts';
import { WorkerStoppedError } from './log-supervisor.ts';

const CONFIG_KEY = 'forkline.relay';
const LOCK = 'forkline:relay-leader';

/** This profile's relay, if it syncs through one. */
export const relayConfig = signal<RelayConfig | undefined>(loadConfig());
/** The sync state, as the leading tab reports it (every tab shows it). */
export const syncState = signal<SyncState | undefined>(undefined);

const states =
  typeof BroadcastChannel === 'undefined'
    ? undefined
    : new BroadcastChannel('forkline:sync-state');
let releaseLeadership: (() => void) | undefined;
let leading = false;
let service: Remote<LogService> | undefined;
/** While this tab leads: connects its (new) worker to the relay again. */
let reconnect: (() => Promise<void>) | undefined;

/** The leader tells every tab how syncing stands; a tab that opens later asks. */
type StateMessage =
  { kind: 'state'; state: SyncState | null } | { kind: 'ask' };

function loadConfig(): RelayConfig | undefined {
  try {
    const raw = localStorage.getItem(CONFIG_KEY);
    return raw ? (JSON.parse(raw) as RelayConfig) : undefined;
  } catch {
    return undefined;
  }
}

/** A link another device opens to join this log: relay, log id and token in the fragment, never sent to a server. */
export function shareLink(config: RelayConfig): string {
  return `${location.origin}/#join=${toBase64Url(new TextEncoder().encode(JSON.stringify(config)))}`;
}

function configFromLink(link: string): RelayConfig {
  const fragment = /#join=([A-Za-z0-9_-]+)/.exec(link)?.[1];
  if (!fragment) throw new Error('That is not a forkline share link.');
  const config = JSON.parse(
    new TextDecoder().decode(fromBase64Url(fragment)),
  ) as RelayConfig;
  if (
    typeof config.url !== 'string' ||
    typeof config.logId !== 'string' ||
    typeof config.token !== 'string'
  ) {
    throw new Error('The share link is incomplete.');
  }
  return config;
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
    else if (leading)
      states.postMessage({
        kind: 'state',
        state: syncState.value ?? null,
      } satisfies StateMessage);
  });
  states?.postMessage({ kind: 'ask' } satisfies StateMessage);
  addEventListener('storage', (e: StorageEvent) => {
    if (e.key !== CONFIG_KEY) return;
    relayConfig.value = loadConfig();
    if (relayConfig.value) lead();
  });
  // A share link opened in a new tab loads the page; pasted into an open tab it only changes the hash.
  const joinFromHash = () => {
    if (!location.hash.startsWith('#join=')) return false;
    const link = location.hash;
    history.replaceState(null, '', location.pathname + location.search);
    void joinWithLink(link).catch(
      (error: Error) =>
        (syncState.value = { kind: 'refused', reason: error.message }),
    );
    return true;
  };
  addEventListener('hashchange', joinFromHash);
  if (!joinFromHash() && relayConfig.value) lead();
}

function lead(): void {
  if (releaseLeadership || !navigator.locks) return;
  void navigator.locks.request(LOCK, async () => {
    const config = relayConfig.value;
    if (!config || !service) return;
    const report = (state: SyncState) => {
      syncState.value = state;
      states?.postMessage({ kind: 'state', state } satisfies StateMessage);
    };
    leading = true;
    const worker = service;
    reconnect = () => worker.connectRelay(config, proxy(report));
    await reconnect().catch((error: Error) => {
      // A worker that died meanwhile is replaced, and resumeRelaySync connects the new one.
      if (!(error instanceof WorkerStoppedError))
        report({ kind: 'refused', reason: error.message });
    });
    // Hold the lock until this tab closes or the user disconnects.
    await new Promise<void>((resolve) => (releaseLeadership = resolve));
    releaseLeadership = undefined;
    reconnect = undefined;
    leading = false;
  });
}

/** This tab's log worker was replaced: if it was syncing, the new one takes over. */
export function resumeRelaySync(): void {
  void reconnect?.().catch(
    (error: Error) =>
      (syncState.value = {
        kind: 'offline',
        reason: error.message,
        retryInMs: 0,
      }),
  );
}

function use(config: RelayConfig): void {
  localStorage.setItem(CONFIG_KEY, JSON.stringify(config));
  relayConfig.value = config;
  lead();
}

/** Creates a log on the relay serving this page and starts syncing to it. */
export async function shareThroughThisRelay(): Promise<void> {
  const response = await fetch('/api/logs', { method: 'POST' }).catch(
    () => undefined,
  );
  if (!response?.ok)
    throw new Error(
      'No relay answers at this address; start forkline with npm start to share.',
    );
  const { logId, token } = (await response.json()) as {
    logId: string;
    token: string;
  };
  use({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/sync`,
    logId,
    token,
  });
}

export async function joinWithLink(link: string): Promise<void> {
  const config = configFromLink(link);
  await disconnect();
  use(config);
}

export async function disconnect(): Promise<void> {
  localStorage.removeItem(CONFIG_KEY);
  relayConfig.value = undefined;
  syncState.value = undefined;
  states?.postMessage({ kind: 'state', state: null } satisfies StateMessage);
  await service?.disconnectRelay();
  releaseLeadership?.();
}

/** One line for the status element. */
export function describeSync(state: SyncState | undefined): string | undefined {
  switch (state?.kind) {
    case undefined:
      return undefined;
    case 'connecting':
      return 'Connecting to the relay…';
    case 'syncing':
      return `Syncing (${state.outstanding} batch${state.outstanding === 1 ? '' : 'es'} in flight)…`;
    case 'synced':
      return `Synced ${new Date(state.at).toLocaleTimeString()}`;
    case 'offline':
      return `Relay unreachable (${state.reason}); retrying in ${Math.ceil(state.retryInMs / 1000)} s`;
    case 'refused':
      return `The relay refused to sync: ${state.reason}. Check the share link.`;
  }
}
