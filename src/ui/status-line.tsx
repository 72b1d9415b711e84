import { notice, online, saving } from './app-state.ts';

/** The page's one live region: connectivity first, then what happened to the user's edits. */
export function StatusLine() {
  const { pending, error } = saving.value;
  let text: string;
  if (notice.value) text = notice.value;
  else if (!online.value) text = 'Offline';
  else if (error)
    text = `Not saved: ${error} Your edit is kept in this tab and will be retried.`;
  else if (pending > 0) text = 'Saving…';
  else text = 'All changes saved';
  return (
    <p
      role="status"
      class={error || notice.value ? 'status status-problem' : 'status'}
    >
      {!online.value && (notice.value || error) ? `Offline. ${text}` : text}
    </p>
  );
}
