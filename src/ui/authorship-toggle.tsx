import { signal } from '@preact/signals';

/** Whether the open document shows who wrote what (./authorship-view.tsx). */
export const showing = signal(false);

/**
 * The "Show authorship" button, beside the open document: a toggle, pressed while
 * the authorship shows. Its name stays: named "Hide authorship" and pressed, a
 * screen reader said "Hide authorship, pressed", as if hiding were on (QA pass 15).
 */
export function AuthorshipToggle() {
  return (
    <button
      type="button"
      class="toggle"
      aria-pressed={showing.value}
      onClick={() => (showing.value = !showing.value)}
    >
      Show authorship
    </button>
  );
}
