import { useSignal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import type { RelayConfig } from '../contract/index.ts';
import type { JoinPlan } from './join-link.ts';
import {
  cancelJoin,
  confirmJoin,
  pendingJoin,
  relayConfig,
} from './relay-sync.ts';

/**
 * The "Join a shared log" dialog (DESIGN §12): every share link, however it was
 * opened, waits here for the user. It names the relay and the log, says what
 * joining replaces and, for a relay on another server, asks for explicit trust.
 */
export function JoinDialog() {
  const pending = pendingJoin.value;
  if (!pending) return null;
  // A new link starts a new dialog: no tick carried over from the last one.
  return (
    <JoinModal
      key={
        'plan' in pending
          ? `${pending.plan.config.url} ${pending.plan.config.logId}`
          : pending.problem
      }
      plan={'plan' in pending ? pending.plan : undefined}
      problem={'problem' in pending ? pending.problem : undefined}
    />
  );
}

function JoinModal({
  plan,
  problem,
}: {
  plan: JoinPlan | undefined;
  problem: string | undefined;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const trusted = useSignal(false);
  const failure = useSignal<string | undefined>(undefined);
  // Focus goes back where it was when the dialog opened (the link's field, say),
  // once the dialog goes: taken out of the page, it left focus on the page itself.
  // Opened by a link in the address bar, nothing had focus: it goes to the field a
  // link is joined from, next to what it would have done (QA pass 11).
  useEffect(() => {
    const opener = document.activeElement;
    const el = dialog.current;
    if (!el?.open) el?.showModal();
    return () => {
      el?.close();
      const back =
        opener instanceof HTMLElement &&
        opener !== document.body &&
        opener.isConnected
          ? opener
          : document.querySelector<HTMLElement>('.join-form input');
      back?.focus();
    };
  }, []);
  const current = relayConfig.value;
  const blocked = problem ?? (plan?.blocked && `${upperFirst(plan.blocked)}.`);
  const join = () => {
    failure.value = undefined;
    confirmJoin(trusted.value).catch(
      (error: Error) => (failure.value = error.message),
    );
  };
  return (
    <dialog
      ref={dialog}
      class="join"
      aria-labelledby="join-title"
      onCancel={(e) => {
        // Escape is Cancel; the dialog leaves when the signal clears.
        e.preventDefault();
        cancelJoin();
      }}
    >
      <h2 id="join-title">Join a shared log</h2>
      {plan && (
        <p>
          Sync log <code>{plan.config.logId}</code> through the relay at{' '}
          <strong>{plan.host}</strong>.
        </p>
      )}
      {blocked ? (
        <p class="problem">{blocked}</p>
      ) : (
        plan && (
          <>
            {plan.crossOrigin ? (
              <div class="warning">
                <p>
                  This relay is on a different server than this page. Everything
                  in this browser's log will be uploaded to{' '}
                  <strong>{plan.host}</strong>, and anyone with the link can
                  read and change it.
                </p>
                <label>
                  <input
                    type="checkbox"
                    checked={trusted.value}
                    onChange={(e) =>
                      (trusted.value = (e.target as HTMLInputElement).checked)
                    }
                  />{' '}
                  I trust {plan.host} with this log
                </label>
              </div>
            ) : (
              <p>
                Everything in this browser's log will be synced with it, and
                anyone with the link can read and change it.
              </p>
            )}
            <CurrentRelay current={current} next={plan.config} />
          </>
        )
      )}
      {failure.value && <p class="problem">{failure.value}</p>}
      <div class="actions">
        {!blocked && (
          <button
            type="button"
            disabled={plan?.crossOrigin && !trusted.value}
            onClick={join}
          >
            Join
          </button>
        )}
        <button type="button" class="quiet" autoFocus onClick={cancelJoin}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}

/** What joining does to the relay this browser syncs with now, if any. */
function CurrentRelay({
  current,
  next,
}: {
  current: RelayConfig | undefined;
  next: RelayConfig;
}) {
  if (!current) return null;
  if (current.url === next.url && current.logId === next.logId) {
    if (current.token === next.token)
      return <p>This browser already syncs with this log.</p>;
    // A link with another token for the same log: perhaps a mistyped one, which
    // the relay would refuse. Joining must not pass for harmless.
    return (
      <p class="warning">
        This browser already syncs with this log, with another token: joining
        swaps it for this link's. If the relay refuses this one, Sync offers to
        go back to the link it uses now.
      </p>
    );
  }
  // Two relays on one host differ in their URL: then the URL says which is which.
  const where =
    current.url !== next.url && hostOf(current.url) === hostOf(next.url)
      ? current.url
      : hostOf(current.url);
  return (
    <p>
      This replaces the relay this browser syncs with now,{' '}
      <strong>{where}</strong> (log <code>{current.logId}</code>). If the relay
      refuses the new link, Sync offers to go back to this one.
    </p>
  );
}

const hostOf = (url: string) => {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
};

const upperFirst = (text: string) => text[0]!.toUpperCase() + text.slice(1);
