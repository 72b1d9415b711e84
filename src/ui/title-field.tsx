import { useEffect, useRef } from 'preact/hooks';
import type { EventId } from '../index.ts';
import { current, setField, view } from './app-state.ts';

/**
 * The title: a multi-value register. Editing records the heads the user saw when
 * they began, so two people renaming at once keep both names until one is picked.
 */
export function TitleField() {
  const input = useRef<HTMLInputElement>(null);
  const seenWhenEditing = useRef<EventId[] | undefined>(undefined);
  const values = (view.value?.fields.title ?? []).map((v) => String(v));

  useEffect(() => {
    const el = input.current;
    // Never overwrite what the user is typing.
    if (el && document.activeElement !== el) el.value = values[0] ?? '';
  }, [values.join('\u0000')]);

  const commit = () => {
    const el = input.current!;
    const at = seenWhenEditing.current;
    seenWhenEditing.current = undefined;
    if (values.length === 1 && el.value === values[0]) return;
    void setField('title', el.value, at);
  };

  return (
    <div class="title">
      <label>
        <span class="label">Title</span>
        <input
          ref={input}
          type="text"
          onFocus={() => (seenWhenEditing.current = current.value?.live.heads)}
          onChange={commit}
          onKeyDown={(e) => e.key === 'Enter' && input.current!.blur()}
        />
      </label>
      {values.length > 1 && (
        <div class="values" role="group" aria-label="Concurrent titles">
          <p>
            Renamed at the same time: {values.length} titles are kept until you
            pick one.
          </p>
          <ul>
            {values.map((value, i) => (
              <li key={i}>
                <q>{value}</q>{' '}
                <button
                  type="button"
                  onClick={() => void setField('title', value)}
                >
                  Use “{value}”
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
