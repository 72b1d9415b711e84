// The sync part of the page–worker contract (see ./index.ts): a relay.
import type { SyncState } from '../sync/relay-client.ts';

export type { SyncState } from '../sync/relay-client.ts';

/** Where a profile syncs: the relay's WebSocket URL, the log on it, and its secret token. */
export interface RelayConfig {
  url: string;
  logId: string;
  token: string;
}

export interface SyncService {
  /** Syncs this profile's log with a relay until disconnected; call from one tab only. */
  connectRelay(
    config: RelayConfig,
    onState: (state: SyncState) => void,
  ): Promise<void>;
  disconnectRelay(): Promise<void>;
  /** Connects to the relay now if a retry is waiting; nothing otherwise. */
  retryRelay(): Promise<void>;
}
