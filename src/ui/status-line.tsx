import { useEffect, useRef, useState } from 'preact/hooks';
import { notice, online, recovered, saving } from './app-state.ts';
import { describeSync, relayConfig, syncState } from './relay-sync.ts';

/**
 * Offline, what becomes of edits: kept here, and synced once back online when this
 * browser syncs (QA pass 18 read a bare "Offline" beside the relay's reassurance).
 */
const offlineText = () =>
  relayConfig.value
    ? 'Offline: edits are kept in this browser and sync once it is back online'
    : 'Offline: edits are kept in this browser';

/**
 * What the status line says aloud: the same order, without what changes as
 * someone types (Saving… and back, a batch in flight, the time of the last sync,
 * when the next try is due). A screen reader heard every one of those, about
 * twice a keystroke; it now hears the changes that need the user: offline, an
 * edit not saved, sync stopped or refused, and the return to normal.
 */
/**
 * `lastSync`: what was said of syncing, which a retry's "Connecting…" does not
 * interrupt; returned with what is said now.
 */
function spoken(lastSync: string): { text: string; sync: string } {
  const { error } = saving.value;
  const parts: string[] = [];
  if (notice.value) parts.push(notice.value);
  if (!online.value) parts.push(offlineText());
  else if (error) parts.push(`Not saved: ${error}`);
  else if (!notice.value) parts.push('All changes saved');
  const state = online.value ? syncState.value : undefined;
  let sync = lastSync;
  if (!state || state.kind === 'synced' || state.kind === 'syncing') sync = '';
  else if (state.kind !== 'connecting' || !sync)
    // Its reason, not when the next try is due, nor how many changes wait (a
    // count that rose with each burst of typing was the whole sentence again).
    sync = describeSync(
      'waiting' in state ? { ...state, waiting: undefined } : state,
    )!.replace(
      /; (?:next try at |retrying in |trying again shortly)[^;]*$/,
      '',
    );
  if (sync) parts.push(sync);
  return { text: parts.join(' · '), sync };
}

/**
 * The page's status: connectivity first, then what happened to the user's edits,
 * then how syncing with the relay stands. Shown as it changes; said (a live
 * region of its own) only as `spoken` changes.
 */
export function StatusLine() {
  const said = useRef('');
  // Drawn again when the next try falls due: its time is then said no more.
  const [, due] = useState(0);
  const state = syncState.value;
  const retryAt = state && 'retryAt' in state ? state.retryAt : undefined;
  useEffect(() => {
    if (retryAt === undefined || retryAt <= Date.now()) return;
    const timer = setTimeout(() => due((n) => n + 1), retryAt - Date.now());
    return () => clearTimeout(timer);
  }, [retryAt]);
  const { text: aloud, sync: syncSaid } = spoken(said.current);
  said.current = syncSaid;
  const { pending, error } = saving.value;
  const sync = online.value ? describeSync(syncState.value) : undefined;
  let text: string;
  if (notice.value) text = notice.value;
  else if (!online.value) text = offlineText();
  else if (error)
    text = `Not saved: ${error} Your edit is kept in this tab and will be retried.`;
  else if (pending > 0) text = 'Saving…';
  else text = 'All changes saved';
  if (recovered.value && !notice.value) text = `${recovered.value} ${text}`;
  const problem = Boolean(
    error ||
    notice.value ||
    syncState.value?.kind === 'refused' ||
    (syncState.value?.kind === 'connecting' &&
      syncState.value.after?.kind === 'refused') ||
    syncState.value?.kind === 'interrupted',
  );
  return (
    <>
      <p
        role="status"
        aria-live="off"
        class={problem ? 'status status-problem' : 'status'}
      >
        {!online.value && (notice.value || error) ? `Offline. ${text}` : text}
        {sync ? ` · ${sync}` : ''}
      </p>
      <p class="visually-hidden" aria-live="polite">
        {aloud}
      </p>
    </>
  );
}
