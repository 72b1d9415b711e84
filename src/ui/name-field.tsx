import { useSignal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import { author, renameSelf } from './app-state.ts';
import { MAX_NAME, personName } from './tab-label.ts';

/**
 * Who this tab writes as ("You are Tab 2 (Swift Otter)"), and a way for the person to
 * give their name instead: their later events, in every tab of this browser profile,
 * name them "Ana (Tab 2)". What was written before keeps the label it was written
 * under: the log is not rewritten.
 */
export function NameField() {
  const editing = useSignal(false);
  const change = useRef<HTMLButtonElement>(null);
  const input = useRef<HTMLInputElement>(null);
  /** Whether the form was closed by the user, so focus goes back to its button. */
  const closed = useRef(false);
  useEffect(() => {
    if (editing.value) input.current?.select();
    else if (closed.current) {
      closed.current = false;
      change.current?.focus();
    }
  }, [editing.value]);
  const close = () => {
    closed.current = true;
    editing.value = false;
  };
  return (
    <>
      <span class="author">You are {author.value}</span>
      {editing.value ? (
        <form
          class="name-form"
          onSubmit={(e) => {
            e.preventDefault();
            void renameSelf(input.current!.value).then(close);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Escape') close();
          }}
        >
          <label>
            <span class="label">Your name</span>
            <input
              ref={input}
              type="text"
              maxLength={MAX_NAME}
              defaultValue={personName()}
              placeholder="Shown beside what you write"
            />
          </label>
          <button type="submit">Save</button>
          <button type="button" class="quiet" onClick={close}>
            Cancel
          </button>
        </form>
      ) : (
        <button
          ref={change}
          type="button"
          class="quiet"
          onClick={() => (editing.value = true)}
        >
          Change name
        </button>
      )}
    </>
  );
}
