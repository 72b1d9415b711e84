import { effect, signal } from '@preact/signals';
import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';
import {
  disconnect,
  offerJoin,
  previousRelay,
  rejoinPrevious,
  relayConfig,
  retrySyncNow,
  shareLink,
  shareThroughThisRelay,
  syncState,
} from './relay-sync.ts';

const problem = signal<string | undefined>(undefined);
/** Whether `problem` is about the link typed into "Join with a share link". */
const linkRefused = signal(false);
/**
 * The link typed into "Join with a share link": kept while the dialog asks, and
 * after a Cancel (Escape cleared it, and the link had to be pasted again; QA pass
 * 11), and forgotten once a join is made.
 */
const draft = signal('');
effect(() => {
  if (relayConfig.value) draft.value = '';
});
/** What the last "Copy link" did, said to a screen reader too. */
const copied = signal<string | undefined>(undefined);
/** How long "Copied." stays: it is news about a press, not a state of the link. */
const COPIED_SHOWN_MS = 5000;
let copiedTimer: ReturnType<typeof setTimeout> | undefined;

/**
 * Says what a "Copy link" did. The same words again are said anew (the region is
 * emptied first: a live region announces changes, and "Copied." twice is none);
 * success then goes once read, while a failure, which says what to do, stays.
 */
function sayCopied(words: string, stays: boolean): void {
  clearTimeout(copiedTimer);
  copied.value = undefined;
  requestAnimationFrame(() => {
    copied.value = words;
    if (!stays)
      copiedTimer = setTimeout(
        () => (copied.value = undefined),
        COPIED_SHOWN_MS,
      );
  });
}
/** "Stop syncing" was pressed once: the panel asks before the link is forgotten. */
const confirmingStop = signal(false);
/**
 * Where focus goes once the panel has changed at the user's hand: the button they
 * pressed is gone, and focus left on whatever took its place (it was "Stop
 * syncing", which a second press of Space then pressed).
 */
const focusNext = signal<'link' | 'share' | 'keep' | undefined>(undefined);

/** Asks whether to stop syncing, or stops asking; focus goes to the safe choice. */
const askToStop = (asking: boolean) => {
  confirmingStop.value = asking;
  focusNext.value = asking ? 'keep' : 'link';
};

const attempt = (work: () => Promise<void>, isJoin = false) => {
  problem.value = undefined;
  linkRefused.value = false;
  work().catch((error: Error) => {
    problem.value = error.message;
    linkRefused.value = isJoin;
    focusNext.value = undefined;
  });
};

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

/** Share this profile's log with another device through a relay, join one, or stop syncing. */
export function SyncPanel() {
  const config = relayConfig.value;
  const state = syncState.value;
  // Refused, or asking again after a refusal: the link is in doubt all along.
  const refused =
    state?.kind === 'refused'
      ? state
      : state?.kind === 'connecting' && state.after?.kind === 'refused'
        ? state.after
        : undefined;
  const previous = previousRelay.value;
  const link = useRef<HTMLInputElement>(null);
  const share = useRef<HTMLButtonElement>(null);
  const keep = useRef<HTMLButtonElement>(null);
  /** The field a share link to join is pasted in: focus returns to it after the join dialog. */
  const joinField = useRef<HTMLInputElement>(null);
  // Another tab stopped syncing while this one asked: nothing is left to ask.
  useEffect(() => {
    if (!config) confirmingStop.value = false;
  }, [config]);
  // In the task that draws the change, not a frame later: a key pressed at once
  // (Enter on the question) goes to the control that has taken the focus.
  useLayoutEffect(() => {
    const target = { link, share, keep }[focusNext.value ?? 'link'].current;
    if (!focusNext.value || !target) return;
    focusNext.value = undefined;
    target.focus();
  });
  // Joined (by the dialog, from this panel or from a link opened): the field that
  // asked is gone, and focus with it, to the page. It goes to the share link now
  // shown, unless it is somewhere already (another tab's join moves this one too).
  const wasSyncing = useRef(!!config);
  useLayoutEffect(() => {
    const joined = !wasSyncing.current && !!config;
    wasSyncing.current = !!config;
    const lost =
      !document.activeElement || document.activeElement === document.body;
    if (joined && lost) link.current?.focus();
  }, [config]);
  return (
    <section class="sync" aria-label="Sync">
      <h2>Sync</h2>
      {config ? (
        <div key="syncing" class="sync-body">
          <label>
            {/* A link the relay refuses is no link to pass on (QA pass 15). */}
            <span class="label">{refused ? 'Refused link' : 'Share link'}</span>
            <input
              ref={link}
              type="text"
              readOnly
              value={shareLink(config)}
              onFocus={(e) => (e.target as HTMLInputElement).select()}
            />
          </label>
          {!refused && (
            <button
              type="button"
              onClick={() =>
                void copyText(shareLink(config)).then(
                  () => sayCopied('Copied.', false),
                  () =>
                    sayCopied(
                      'Could not copy: select the link and copy it.',
                      true,
                    ),
                )
              }
            >
              Copy link
            </button>
          )}
          <p class="hint" aria-live="polite">
            {copied.value}
          </p>
          {state && 'retryInMs' in state && (
            // The backoff grows to 30 s: someone who knows the relay is back
            // should not have to wait for it.
            <button type="button" class="quiet" onClick={retrySyncNow}>
              Try now
            </button>
          )}
          {refused && previous ? (
            // A join replaced a link that worked: one press undoes it.
            <>
              <p class="problem">
                This link does not work: the relay refused it ({refused.reason}
                ). The link this browser synced with before still may.
              </p>
              <button
                type="button"
                onClick={() => {
                  focusNext.value = 'link';
                  attempt(rejoinPrevious);
                }}
              >
                Go back to the previous link
              </button>
            </>
          ) : refused ? (
            // The link is dead: passing it on would only pass the refusal on.
            <p class="problem">
              This link does not work: the relay refused it ({refused.reason}
              ). This browser asks again every few minutes, in case the relay
              comes back with its data. If it stays refused, stop syncing, then
              join with a link that works.
            </p>
          ) : (
            <p class="hint">
              Anyone with this link can read and write this log.
            </p>
          )}
          {confirmingStop.value ? (
            <div
              role="group"
              aria-label="Stop syncing?"
              class="confirm"
              // Escape backs out, as it does of the other panels (QA pass 17).
              onKeyDown={(e) => {
                if (e.key !== 'Escape') return;
                e.preventDefault();
                askToStop(false);
              }}
            >
              <p>
                This browser will forget the share link: copy it first to join
                again later. What is in this browser stays.
              </p>
              <button
                type="button"
                class="quiet"
                onClick={() => {
                  confirmingStop.value = false;
                  clearTimeout(copiedTimer);
                  copied.value = undefined;
                  focusNext.value = 'share';
                  attempt(disconnect);
                }}
              >
                Stop syncing
              </button>{' '}
              <button ref={keep} type="button" onClick={() => askToStop(false)}>
                Keep syncing
              </button>
            </div>
          ) : (
            <button type="button" class="quiet" onClick={() => askToStop(true)}>
              Stop syncing
            </button>
          )}
        </div>
      ) : (
        <div key="alone" class="sync-body">
          <button
            ref={share}
            type="button"
            onClick={() => {
              focusNext.value = 'link';
              attempt(shareThroughThisRelay);
            }}
          >
            Share with another device
          </button>
          {/* A form: Enter in the field joins, as the button does. The link is
              checked by the page, which says what is wrong with it, not by the
              browser's own URL check. */}
          <form
            class="join-form"
            noValidate
            onSubmit={(e) => {
              e.preventDefault();
              if (!draft.value) return;
              attempt(async () => {
                // The link's field has focus while the dialog asks, and again
                // after it.
                joinField.current?.focus();
                offerJoin(draft.value);
              }, true);
            }}
          >
            <label>
              <span class="label">Join with a share link</span>
              <input
                ref={joinField}
                type="url"
                value={draft.value}
                // A link refused is marked, and described by why.
                aria-invalid={linkRefused.value || undefined}
                aria-describedby={
                  linkRefused.value ? 'sync-problem' : undefined
                }
                onInput={(e) => {
                  draft.value = (e.target as HTMLInputElement).value;
                  linkRefused.value = false;
                }}
              />
            </label>
            <button type="submit" disabled={!draft.value}>
              Join
            </button>
          </form>
        </div>
      )}
      {/* Said when it comes: focus stays in the field, where nothing else changes. */}
      {problem.value && (
        <p class="problem" id="sync-problem" role="alert">
          {problem.value}
        </p>
      )}
    </section>
  );
}
