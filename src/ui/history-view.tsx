import { signal } from '@preact/signals';
import type { DocumentView, EventId } from '../index.ts';
import type { HistoryEntry } from '../contract/index.ts';
import {
  history,
  historyVersion,
  restoreVersion,
  view,
  viewAt,
} from './app-state.ts';

/**
 * The version being looked at: how many events of the canonical order, and what they
 * show. The conflict timeline draws its lanes around it.
 */
export const looking = signal<
  { count: number; heads: EventId[]; view?: DocumentView } | undefined
>(undefined);

/** Heads of the first `count` events of a canonical order (a prefix is closed under parents). */
function headsOfPrefix(entries: HistoryEntry[], count: number): EventId[] {
  const heads = new Set<EventId>();
  for (let i = 0; i < count; i++) {
    const e = entries[i]!;
    e.parents.forEach((p) => heads.delete(p));
    heads.add(e.id);
  }
  return [...heads].sort();
}

/** Shows the version made of the first `count` events (all of them: the current one). */
export async function lookAt(count: number): Promise<void> {
  const entries = history.value;
  if (count >= entries.length || count < 1) {
    looking.value = undefined;
    return;
  }
  const heads = headsOfPrefix(entries, count);
  looking.value = { count, heads };
  const v = await viewAt(heads);
  if (looking.value?.count === count)
    looking.value = { count, heads, ...(v ? { view: v } : {}) };
}

/** The versions (event counts) where a conflict's events begin, oldest first. */
function conflictStarts(entries: HistoryEntry[]): number[] {
  const wanted = new Set(
    (view.value?.conflicts ?? []).flatMap((c) => c.events),
  );
  if (wanted.size === 0) return [];
  const starts = new Set<number>();
  const index = new Map<EventId, number>();
  entries.forEach((e, i) => wanted.has(e.id) && index.set(e.id, i));
  for (const c of view.value?.conflicts ?? []) {
    const at = c.events
      .map((id) => index.get(id))
      .filter((i): i is number => i !== undefined);
    if (at.length > 0) starts.add(Math.min(...at) + 1);
  }
  return [...starts].sort((a, b) => a - b);
}

/** The first version whose last event was written at or after `time`. */
function firstAtOrAfter(entries: HistoryEntry[], time: number): number {
  // Canonical order follows the hybrid clocks, close to time order: a binary search.
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (Date.parse(entries[mid]!.time) < time) lo = mid + 1;
    else hi = mid;
  }
  return Math.min(lo + 1, entries.length);
}

/** The next version (after `count`, or before it going back) ending in an event by `author`. */
function nextBy(
  entries: HistoryEntry[],
  author: string,
  count: number,
  step: 1 | -1,
): number | undefined {
  for (let i = count - 1 + step; i >= 0 && i < entries.length; i += step)
    if (entries[i]!.author === author) return i + 1;
  return undefined;
}

const authorChoice = signal('');

export function HistoryView() {
  void historyVersion.value; // kept current in place
  const entries = history.value;
  if (entries.length === 0) return null;
  const state = looking.value;
  const count = state?.count ?? entries.length;
  const entry = entries[count - 1];
  const go = (to: number | undefined) => to !== undefined && void lookAt(to);
  const authors = [...new Set(entries.slice(-5000).map((e) => e.author))];
  const author = authorChoice.value || entry?.author || '';
  return (
    <section class="history" aria-label="Version history">
      <label>
        <span class="label">History</span>
        <input
          type="range"
          min={1}
          max={entries.length}
          value={count}
          onInput={(e) => go(Number((e.target as HTMLInputElement).value))}
        />
      </label>
      <p>
        Version {count} of {entries.length}
        {entry
          ? `: ${entry.type.replace('doc.', '')} by ${entry.author} at ${new Date(entry.time).toLocaleString()}`
          : ''}
      </p>
      <div class="jumps" role="group" aria-label="Jump in history">
        <button
          type="button"
          onClick={() => go(conflictStarts(entries).findLast((n) => n < count))}
        >
          Previous conflict
        </button>
        <button
          type="button"
          onClick={() => go(conflictStarts(entries).find((n) => n > count))}
        >
          Next conflict
        </button>
        <label>
          <span class="label">Jump to time</span>
          <input
            type="datetime-local"
            onChange={(e) => {
              const value = (e.target as HTMLInputElement).value;
              if (value) go(firstAtOrAfter(entries, new Date(value).getTime()));
            }}
          />
        </label>
        <label>
          <span class="label">Author</span>
          <select
            value={author}
            onChange={(e) =>
              (authorChoice.value = (e.target as HTMLSelectElement).value)
            }
          >
            {authors.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          onClick={() => go(nextBy(entries, author, count, -1))}
        >
          Previous edit by them
        </button>
        <button
          type="button"
          onClick={() => go(nextBy(entries, author, count, 1))}
        >
          Next edit by them
        </button>
      </div>
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
