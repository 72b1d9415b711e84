import { compareCanonical } from '../log/store.ts';
import { TEXT_EDITED, type EventId, type LogEvent } from '../index.ts';
import {
  historyEntryOf as entryOf,
  type HistoryEntry,
} from '../contract/documents.ts';

/**
 * Adds delivered events to a history kept in canonical order, in place: most go at
 * the end; one from the past (a synced device's) is put where it sorts. Events it
 * already holds are skipped. Costs the new events, not the history.
 */
export function addToHistory(
  history: HistoryEntry[],
  events: LogEvent[],
): void {
  for (const event of [...events].sort(compareCanonical)) {
    const last = history[history.length - 1];
    if (!last || compareCanonical(last, event) < 0) {
      history.push(entryOf(event));
      continue;
    }
    let lo = 0;
    let hi = history.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareCanonical(history[mid]!, event) < 0) lo = mid + 1;
      else hi = mid;
    }
    if (history[lo]?.id !== event.id) history.splice(lo, 0, entryOf(event));
  }
}

/**
 * Whether delivered events can have changed more than the text: a field, a
 * deletion, a conflict. Text edits that follow on from the heads the page had
 * change only the text, which the page's LiveDocument already shows; anything else
 * (another event type, a merge, an edit that forks from older heads) asks for the
 * document's view again.
 */
export function changesMoreThanText(
  heads: readonly EventId[],
  events: LogEvent[],
): boolean {
  const current = new Set(heads);
  for (const e of events) {
    if (current.has(e.id)) continue;
    if (
      e.type !== TEXT_EDITED ||
      e.parents.length !== 1 ||
      !current.has(e.parents[0]!) ||
      current.size !== 1
    )
      return true;
    current.delete(e.parents[0]!);
    current.add(e.id);
  }
  return false;
}
