import { signal } from '@preact/signals';
import {
  disconnect,
  offerJoin,
  relayConfig,
  shareLink,
  shareThroughThisRelay,
} from './relay-sync.ts';

const problem = signal<string | undefined>(undefined);
const draft = signal('');

const attempt = (work: () => Promise<void>) => {
  problem.value = undefined;
  work().catch((error: Error) => (problem.value = error.message));
};

/** Share this profile's log with another device through a relay, join one, or stop syncing. */
export function SyncPanel() {
  const config = relayConfig.value;
  return (
    <section class="sync" aria-label="Sync">
      <h2>Sync</h2>
      {config ? (
        <>
          <label>
            <span class="label">Share link</span>
            <input
              type="text"
              readOnly
              value={shareLink(config)}
              onFocus={(e) => (e.target as HTMLInputElement).select()}
            />
          </label>
          <p class="hint">Anyone with this link can read and write this log.</p>
          <button
            type="button"
            class="quiet"
            onClick={() => attempt(disconnect)}
          >
            Stop syncing
          </button>
        </>
      ) : (
        <>
          <button type="button" onClick={() => attempt(shareThroughThisRelay)}>
            Share with another device
          </button>
          <label>
            <span class="label">Join with a share link</span>
            <input
              type="url"
              value={draft.value}
              onInput={(e) =>
                (draft.value = (e.target as HTMLInputElement).value)
              }
            />
          </label>
          <button
            type="button"
            disabled={!draft.value}
            onClick={() =>
              attempt(async () => {
                offerJoin(draft.value);
                draft.value = '';
              })
            }
          >
            Join
          </button>
        </>
      )}
      {problem.value && <p class="problem">{problem.value}</p>}
    </section>
  );
}
