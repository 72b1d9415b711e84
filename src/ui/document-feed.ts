import { compareCanonical } from '../log/store.ts';
import type { Delivery } from '../contract/index.ts';
import { writerKey } from '../doc/writers.ts';
import {
  historyEntryOf,
  placeOf,
  type HistoryPage,
} from '../doc/history-index.ts';

/**
 * Takes delivered events into a page of the history, in place. Each one stored after
 * the page's position is new to the history: one that sorts within the page goes
 * where it sorts, one before the page moves it along, one after it joins it only
 * when the page reaches the end of the history (the rows a page shows while
 * following the latest edits). A page at the end keeps its last `keep` entries.
 * Returns whether anything changed.
 */
export function addToPage(
  page: HistoryPage,
  deliveries: readonly Delivery[],
  keep: number,
): boolean {
  const fresh = deliveries
    .filter((d) => d.position > page.position)
    .sort((a, b) => compareCanonical(a.event, b.event));
  for (const { event, position } of fresh) {
    const atEnd = page.start + page.entries.length === page.total;
    page.total++;
    page.position = Math.max(page.position, position);
    const author = writerKey(event);
    if (!page.authors.includes(author)) page.authors.push(author);
    const at = placeOf(page.entries, event);
    if (at === 0 && page.start > 0) page.start++;
    else if (at < page.entries.length || atEnd)
      page.entries.splice(at, 0, historyEntryOf(event));
  }
  if (
    page.entries.length > keep &&
    page.start + page.entries.length === page.total
  ) {
    const drop = page.entries.length - keep;
    page.entries.splice(0, drop);
    page.start += drop;
  }
  return fresh.length > 0;
}
