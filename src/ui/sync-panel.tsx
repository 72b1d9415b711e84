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
/** What the last "Copy link" did, said to a screen reader too. */
const copied = signal<string | undefined>(undefined);

const attempt = (work: () => Promise<void>) => {
  problem.value = undefined;
  work().catch((error: Error) => (problem.value = error.message));
};

/** Share this profile's log with another device through a relay, join one, or stop syncing. */
/**
 * Puts `text` on the clipboard: the Clipboard API where the page may use it (a
 * secure context: https or loopback), else the older copy command on a selection.
 * @throws when neither copied it
 */
async function copyText(text: string): Promise<void> {
  if (navigator.clipboard?.writeText)
    return navigator.clipboard.writeText(text);
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  try {
    if (!document.execCommand('copy')) throw new Error('copy refused');
  } finally {
    area.remove();
  }
}

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
          <button
            type="button"
            onClick={() =>
              void copyText(shareLink(config)).then(
                () => (copied.value = 'Copied.'),
                () =>
                  (copied.value =
                    'Could not copy: select the link and copy it.'),
              )
            }
          >
            Copy link
          </button>
          <p class="hint" aria-live="polite">
            {copied.value}
          </p>
          <p class="hint">Anyone with this link can read and write this log.</p>
          <button
            type="button"
            class="quiet"
            onClick={() => {
              copied.value = undefined;
              attempt(disconnect);
            }}
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
