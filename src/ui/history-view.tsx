import { signal } from '@preact/signals';
import type { DocumentView, EventId } from '../index.ts';
import {
  history,
  historyVersion,
  restoreVersion,
  viewAt,
} from './app-state.ts';

/** The version being looked at: how many events of the canonical order, and what they show. */
const looking = signal<
  { count: number; heads: EventId[]; view?: DocumentView } | undefined
>(undefined);

/** Heads of the first `count` events of a canonical order (a prefix is closed under parents). */
function headsOfPrefix(
  entries: { id: EventId; parents: EventId[] }[],
  count: number,
): EventId[] {
  const heads = new Set<EventId>();
  for (const e of entries.slice(0, count)) {
    e.parents.forEach((p) => heads.delete(p));
    heads.add(e.id);
  }
  return [...heads].sort();
}

export function HistoryView() {
  void historyVersion.value; // kept current in place
  const entries = history.value;
  if (entries.length === 0) return null;
  const state = looking.value;
  const count = state?.count ?? entries.length;
  const entry = entries[count - 1];
  const onInput = async (e: Event) => {
    const next = Number((e.target as HTMLInputElement).value);
    if (next >= entries.length) {
      looking.value = undefined;
      return;
    }
    const heads = headsOfPrefix(entries, next);
    looking.value = { count: next, heads };
    const v = await viewAt(heads);
    if (looking.value?.count === next)
      looking.value = { count: next, heads, ...(v ? { view: v } : {}) };
  };
  return (
    <section class="history" aria-label="Version history">
      <label>
        <span class="label">History</span>
        <input
          type="range"
          min={1}
          max={entries.length}
          value={count}
          onInput={(e) => void onInput(e)}
        />
      </label>
      <p>
        Version {count} of {entries.length}
        {entry
          ? `: ${entry.type.replace('doc.', '')} by ${entry.author} at ${new Date(entry.time).toLocaleString()}`
          : ''}
      </p>
      {state && (
        <div class="past">
          <textarea
            readOnly
            aria-label="Text at this version"
            value={state.view?.text ?? 'Loading…'}
          />
          <button
            type="button"
            onClick={() => {
              void restoreVersion(state.heads);
              looking.value = undefined;
            }}
          >
            Restore this version
          </button>{' '}
          <button
            type="button"
            class="quiet"
            onClick={() => (looking.value = undefined)}
          >
            Back to the current version
          </button>
        </div>
      )}
    </section>
  );
}
