import { signal } from '@preact/signals';

/** Whether the open document shows who wrote what (./authorship-view.tsx). */
export const showing = signal(false);

/** The "Show authorship" button, beside the open document. */
export function AuthorshipToggle() {
  return (
    <button
      type="button"
      aria-pressed={showing.value}
      onClick={() => (showing.value = !showing.value)}
    >
      {showing.value ? 'Hide authorship' : 'Show authorship'}
    </button>
  );
}
