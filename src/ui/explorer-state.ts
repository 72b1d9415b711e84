import { signal } from '@preact/signals';
import type { EventRow } from '../doc/event-rows.ts';
import { matcherOf, type EventFilter } from '../log/event-filter.ts';
import type { EventId } from '../index.ts';
import type { Delivery, EventDetail } from '../contract/index.ts';
import { followEveryEvent, logService } from './app-state.ts';

/** The rows read at a time as the table scrolls: a few screens. */
const PAGE = 200;
/**
 * The rows a new filter reads first: a screen of them and the table's overscan.
 * The worker's time for a page grows with its rows, and the first page is what a
 * person waits for; the next ones are read as the table nears their end.
 */
const FIRST_PAGE = 64;

/** The filter as the explorer's fields hold it. */
export const filter = signal<EventFilter>({});
/**
 * Newest first (the default: a long log's recent events are what a person looks
 * for, and were 500 pages of scrolling away), or in the log's arrival order.
 */
export const newestFirst = signal(true);
/**
 * The rows read page by page, in the order shown: grown in place (a long log's
 * rows are not copied at every new event); `rowsVersion` says when.
 */
let paged: EventRow[] = [];
/**
 * Newest first, the rows of events delivered since the first page was read, in
 * the order they came: shown above the pages, the last of them at the top. Kept
 * apart so that a new event is not a copy of every row below it.
 */
let fresh: EventRow[] = [];
export const rowsVersion = signal(0);
/** Where each row is: `fresh` or `paged`, and its index there. */
const placeOf = new Map<EventId, { fresh: boolean; at: number }>();
/**
 * Rows that credit their writer with text whose typist is not known yet
 * (EventRow.unsettled): asked for again when their stream moves.
 */
const unsettled = new Set<EventId>();

/** How many rows are read. */
export const rowCount = (): number => fresh.length + paged.length;

/** The rows shown from the `first` to before the `last`, in the order shown. */
export function rowsShown(first: number, last: number): EventRow[] {
  const shown: EventRow[] = [];
  for (let i = first; i < Math.min(last, rowCount()); i++)
    shown.push(
      i < fresh.length
        ? fresh[fresh.length - 1 - i]!
        : paged[i - fresh.length]!,
    );
  return shown;
}

/** How many rows are above the pages: events delivered since, newest first. */
export const freshCount = (): number => fresh.length;

/** The row at `place`. */
function rowAt(place: { fresh: boolean; at: number }): EventRow {
  return place.fresh ? fresh[place.at]! : paged[place.at]!;
}

/** Adds rows after the last of `fresh` or of `paged`, as each is shown. */
function addRows(added: EventRow[], toFresh = false): void {
  const into = toFresh ? fresh : paged;
  let grew = false;
  for (const row of added)
    if (!placeOf.has(row.id)) {
      placeOf.set(row.id, { fresh: toFresh, at: into.length });
      into.push(row);
      if (row.unsettled) unsettled.add(row.id);
      grew = true;
    }
  if (grew) rowsVersion.value++;
}

/** Puts `added` in place of every row read so far: the rows of a new filter. */
function replaceRows(added: EventRow[]): void {
  paged = [];
  fresh = [];
  placeOf.clear();
  unsettled.clear();
  addRows(added);
  rowsVersion.value++; // also when none replace the older ones
}

/** Rows made again: each takes its older self's place, and the open event's. */
function updateRows(made: EventRow[]): void {
  let changed = false;
  for (const row of made) {
    const place = placeOf.get(row.id);
    if (place === undefined) continue;
    if (!row.unsettled) unsettled.delete(row.id);
    if (rowAt(place).summary === row.summary) continue;
    (place.fresh ? fresh : paged)[place.at] = row;
    changed = true;
    const open = selected.value;
    if (open?.row.id === row.id) selected.value = { ...open, row };
  }
  if (changed) rowsVersion.value++;
}

/** Whether the row is among the newest `n` read. */
function amongNewest(
  place: { fresh: boolean; at: number },
  n: number,
): boolean {
  if (!newestFirst.value) return place.at >= paged.length - n;
  return place.fresh
    ? place.at >= fresh.length - n
    : place.at < n - fresh.length;
}
/** Where the next page starts; undefined once every row is read. */
export const more = signal<string | undefined>(undefined);
/** True from the start: the explorer reads its first page as it opens. */
export const loading = signal(true);
export const problem = signal<string | undefined>(undefined);
export const selected = signal<EventDetail | undefined>(undefined);

let generation = 0;
/** Events delivered while a first page was being read: added if it ends the rows. */
let heldBack: Delivery[] | undefined;

/**
 * Reads the first page for `next` (a new filter). The older filter's rows stay on
 * screen (the table says it is busy) until the new page replaces them in one
 * render: emptied first, the table was drawn and painted twice for each filter.
 */
export async function query(
  next: EventFilter,
  newest = newestFirst.value,
): Promise<void> {
  const mine = ++generation;
  filter.value = next;
  newestFirst.value = newest;
  problem.value = undefined;
  loading.value = true;
  heldBack = [];
  try {
    const page = await (
      await logService()
    ).queryEvents(next, { limit: FIRST_PAGE, order: order() });
    if (mine !== generation) return;
    replaceRows(page.rows);
    more.value = page.next;
    const waiting = heldBack;
    heldBack = undefined;
    // Newest first, what came while the page was read is above it (or in it).
    if (newest || page.next === undefined) take(waiting);
  } catch (error) {
    if (mine !== generation) return;
    // No rows of the older filter stay under the new one.
    replaceRows([]);
    more.value = undefined;
    problem.value = (error as Error).message;
  } finally {
    if (mine === generation) loading.value = false;
  }
}

const order = () => (newestFirst.value ? 'newest' : 'arrival');

/** Reads the page after the rows read so far. */
export async function loadMore(): Promise<void> {
  const after = more.value;
  if (after === undefined || loading.value) return;
  const mine = generation;
  loading.value = true;
  try {
    const page = await (
      await logService()
    ).queryEvents(filter.value, { limit: PAGE, after, order: order() });
    if (mine !== generation) return;
    addRows(page.rows);
    more.value = page.next;
  } catch (error) {
    if (mine === generation) problem.value = (error as Error).message;
  } finally {
    if (mine === generation) loading.value = false;
  }
}

/** Live rows being made, in delivery order: each batch's joins after the one before. */
let taking: Promise<void> = Promise.resolve();

/** Unsettled rows are asked for again while among the last this many. */
const SETTLED_AFTER = 64;

/** Rows asked for after those asked for before; `use` takes them unless a new filter came. */
function later(ids: EventId[], use: (made: EventRow[]) => void): void {
  const mine = generation;
  taking = taking
    .then(async () => {
      const made = await (await logService()).rows(ids);
      // A new filter's first page replaced the rows these would join or change.
      if (mine === generation) use(made);
    })
    .catch((error: unknown) => {
      if (mine === generation) problem.value = (error as Error).message;
    });
}

/**
 * A batch may hold the event that says who typed text an unsettled row credits to
 * its writer: such rows of the streams it moved are made again. Only the newest
 * SETTLED_AFTER rows are: a person watches the newest, and rows that never settle
 * (a tab that closed before it saved) must not be asked for at every keystroke;
 * a new filter reads the older ones anew.
 */
function settle(batch: Delivery[]): void {
  if (unsettled.size === 0) return;
  const moved = new Set(batch.map((d) => d.event.stream));
  const ids: EventId[] = [];
  for (const id of unsettled) {
    const place = placeOf.get(id)!;
    if (!amongNewest(place, SETTLED_AFTER)) unsettled.delete(id);
    else if (moved.has(rowAt(place).stream)) ids.push(id);
  }
  if (ids.length === 0) return;
  later(ids, updateRows);
}

/**
 * New events that pass the filter join the rows: newest first, at the top at
 * once; in arrival order, at the end once every earlier row is read. Their rows
 * come from the worker: a summary says whose typing an event carried, which takes
 * the document's history (src/doc/event-rows.ts).
 */
function take(batch: Delivery[]): void {
  if (heldBack) {
    heldBack.push(...batch);
    return;
  }
  settle(batch);
  const newest = newestFirst.value;
  // In arrival order they come with the pages still to read.
  if (!newest && more.value !== undefined) return;
  const passes = matcherOf(filter.value);
  const ids = batch.filter((d) => passes(d.event)).map((d) => d.event.id);
  if (ids.length === 0) return;
  later(ids, (made) => addRows(made, newest));
}

/** Follows new events while the explorer is open; returns the way to stop. */
export function follow(): () => void {
  return followEveryEvent(take);
}

/** Opens event `id` (from a row, a parent or a child). */
export async function select(id: EventId): Promise<void> {
  const detail = await (await logService()).eventDetail(id);
  selected.value = detail;
  if (!detail) problem.value = `Event ${id} is not stored on this device.`;
}
