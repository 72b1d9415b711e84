import { notice, online, recovered, saving } from './app-state.ts';
import { describeSync, syncState } from './relay-sync.ts';

/**
 * The page's one live region: connectivity first, then what happened to the user's
 * edits, then how syncing with the relay stands.
 */
export function StatusLine() {
  const { pending, error } = saving.value;
  const sync = online.value ? describeSync(syncState.value) : undefined;
  let text: string;
  if (notice.value) text = notice.value;
  else if (!online.value) text = 'Offline';
  else if (error)
    text = `Not saved: ${error} Your edit is kept in this tab and will be retried.`;
  else if (pending > 0) text = 'Saving…';
  else text = 'All changes saved';
  if (recovered.value && !notice.value) text = `${recovered.value} ${text}`;
  const problem = Boolean(
    error ||
    notice.value ||
    syncState.value?.kind === 'refused' ||
    syncState.value?.kind === 'interrupted',
  );
  return (
    <p role="status" class={problem ? 'status status-problem' : 'status'}>
      {!online.value && (notice.value || error) ? `Offline. ${text}` : text}
      {sync ? ` · ${sync}` : ''}
    </p>
  );
}
