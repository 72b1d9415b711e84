import { InvalidQueryError } from './errors.ts';
import { checkEventFilter, matcherOf } from './event-filter.ts';
import type { Store } from './store.ts';
import type { LogEvent, QueryPage, QueryResult } from './types.ts';

/** Events a page holds when the caller does not say. */
export const DEFAULT_QUERY_LIMIT = 100;
/** Events a page holds at most. */
export const MAX_QUERY_LIMIT = 1000;

/**
 * One page of the events that pass `filter`, in arrival order. The cursor is the
 * position of the page's last event, so a page never skips or repeats an event,
 * whatever is stored between two calls (new events take later positions).
 * @throws InvalidQueryError for a filter, limit or cursor it cannot use.
 */
export async function queryEvents(
  store: Store,
  filter: unknown,
  page: QueryPage = {},
): Promise<QueryResult> {
  const checked = checkEventFilter(filter, [
    'streams',
    'types',
    'actor',
    'author',
    'from',
    'to',
  ]);
  const limit = limitOf(page.limit);
  const after = positionOf(page.after);
  const matches = matcherOf(checked);
  const events: LogEvent[] = [];
  let last = after;
  for await (const record of store.eventsFrom(after + 1, checked)) {
    if (!matches(record.event)) continue;
    // One match past the page: proof that a next page holds something.
    if (events.length === limit) return { events, next: String(last) };
    events.push(record.event);
    last = record.pos;
  }
  return { events };
}

function limitOf(limit: unknown): number {
  if (limit === undefined) return DEFAULT_QUERY_LIMIT;
  if (
    !Number.isSafeInteger(limit) ||
    (limit as number) < 1 ||
    (limit as number) > MAX_QUERY_LIMIT
  )
    throw new InvalidQueryError(
      'limit',
      `must be a whole number from 1 to ${MAX_QUERY_LIMIT}`,
    );
  return limit as number;
}

/** A cursor is a position this replica gave out: digits, a safe integer. */
function positionOf(after: unknown): number {
  if (after === undefined) return 0;
  if (
    typeof after !== 'string' ||
    !/^\d{1,16}$/.test(after) ||
    !Number.isSafeInteger(Number(after))
  )
    throw new InvalidQueryError(
      'after',
      `${JSON.stringify(after).slice(0, 40)} is not a cursor this log gave out`,
    );
  return Number(after);
}
