import {
  compareCanonical,
  type CanonicalKey,
  type EventRecord,
} from './store.ts';
import type { LogEvent } from './types.ts';

/**
 * A stream's canonical (hlc, id) order without an index kept in that order.
 *
 * Events nearly always arrive in canonical order: an append's clock is past
 * everything its replica has stored. An event is *late* when an event of its stream
 * that sorts after it was stored before it (a synced event from the past). So the
 * events that are not late, read in arrival order, are already in canonical order,
 * and the late ones, kept apart sorted by key, merge into them. Lateness depends
 * only on arrival order, so a reader can tell the late events apart while it reads:
 * they are the ones sorting before the greatest key read so far.
 */

/** Where each stream's greatest key was, and which of `records` arrived late. */
export interface Lateness {
  late: EventRecord[];
  /** The new greatest key of each stream whose greatest key changed. */
  tails: Map<string, CanonicalKey>;
}

/**
 * Sorts `records` (in arrival order) into late and not late, given each stream's
 * greatest stored key before them (`tailOf`, undefined for a new stream).
 */
export function lateness(
  records: readonly EventRecord[],
  tailOf: (stream: string) => CanonicalKey | undefined,
): Lateness {
  const late: EventRecord[] = [];
  const current = new Map<string, CanonicalKey | undefined>();
  const tails = new Map<string, CanonicalKey>();
  for (const record of records) {
    const { stream } = record.event;
    const tail = current.has(stream) ? current.get(stream) : tailOf(stream);
    if (tail && compareCanonical(record.event, tail) < 0) {
      late.push(record);
      current.set(stream, tail);
    } else {
      const key = { hlc: record.event.hlc, id: record.event.id };
      current.set(stream, key);
      tails.set(stream, key);
    }
  }
  return { late, tails };
}

/**
 * The canonical order of one stream: `arrived` (every event of the stream, in
 * arrival order) with its late events dropped, merged with `late` (the late events,
 * in canonical order). Events stored while this runs may or may not be seen, but
 * what is yielded is strictly increasing: nothing twice, nothing out of order.
 */
export async function* mergeCanonical(
  arrived: AsyncIterable<EventRecord>,
  late: AsyncIterable<EventRecord>,
): AsyncIterable<EventRecord> {
  const inOrder = notLate(arrived)[Symbol.asyncIterator]();
  const lateOnes = late[Symbol.asyncIterator]();
  let a = await inOrder.next();
  let b = await lateOnes.next();
  let last: CanonicalKey | undefined;
  while (!a.done || !b.done) {
    const takeA =
      !a.done &&
      (b.done || compareCanonical(a.value.event, b.value.event) <= 0);
    const record = takeA ? a.value! : b.value!;
    // An event that arrived late while this ran, before what was yielded, is skipped.
    if (!last || compareCanonical(record.event, last) > 0) {
      last = record.event;
      yield record;
    }
    if (takeA) a = await inOrder.next();
    else b = await lateOnes.next();
  }
}

/** The events of `arrived` that sort after every event that arrived before them. */
async function* notLate(
  arrived: AsyncIterable<EventRecord>,
): AsyncIterable<EventRecord> {
  let greatest: CanonicalKey | undefined;
  for await (const record of arrived) {
    if (greatest && compareCanonical(record.event, greatest) < 0) continue;
    greatest = record.event;
    yield record;
  }
}

/** Two runs of records, each in canonical order, as one. */
export function mergeSorted(a: EventRecord[], b: EventRecord[]): EventRecord[] {
  const out = new Array<EventRecord>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) {
    out[k++] =
      compareCanonical(a[i]!.event, b[j]!.event) <= 0 ? a[i++]! : b[j++]!;
  }
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
}

/**
 * Several streams, each in canonical order, as one run in canonical order: the
 * least next event of them all, each time (a linear pick: streams are few next to
 * their events).
 */
export async function* mergeStreams(
  streams: AsyncIterable<EventRecord>[],
): AsyncIterable<EventRecord> {
  const its = streams.map((s) => s[Symbol.asyncIterator]());
  const next = await Promise.all(its.map((it) => it.next()));
  for (;;) {
    let least = -1;
    for (let i = 0; i < next.length; i++) {
      const r = next[i]!;
      if (r.done) continue;
      if (
        least < 0 ||
        compareCanonical(r.value.event, next[least]!.value!.event) < 0
      )
        least = i;
    }
    if (least < 0) return;
    yield next[least]!.value!;
    next[least] = await its[least]!.next();
  }
}

/**
 * How far back an arriving record is moved into place (see reorderCanonical).
 * Arrival order is late by a few places at most where replicas sync often: on the
 * insights bench's 260k-event log, three events in four were late, none by more
 * than 38 places.
 */
export const SHIFT_LIMIT = 64;

/**
 * The records of `pages` (in arrival order, as `eventPages` reads them: no async
 * step per record) that pass `keep`, in canonical order as far as a window of
 * `window` records can put them there, in pages. Arrival order is nearly
 * canonical (an event is late only against what a sync brought just before it), so
 * a read in arrival order, which is the cheapest there is, comes out sorted.
 *
 * It holds the `window` greatest records seen and, each time `window` more came,
 * gives all the others, the least, as a page, sorted. Wherever holding `window`
 * records and giving the least at each arrival would give canonical order, this
 * gives it too: at every page both have given the same records, the least so far. A
 * record later than the window comes out after records that sort after it, which
 * the reader sees where two pages meet, and deals with. Each page is sorted.
 *
 * Each record is moved into place as it comes, past at most `shiftLimit` records
 * (an insertion sort: one comparison for a record in order, one more per place it
 * is late). One that is later than that is left where it is, and what is held is
 * sorted once, before the next page is given; the sort (a merge of runs, which
 * takes a sync's sorted runs nearly as they are) was the only way before: on the
 * 260k log, in Node, a sort per page took 203–232 ms, moving into place 140–145 (the
 * fastest of ten runs each). A heap took 450–600 ms.
 */
export async function* reorderCanonical(
  pages: AsyncIterable<readonly EventRecord[]>,
  window: number,
  keep: (event: LogEvent) => boolean = () => true,
  shiftLimit = SHIFT_LIMIT,
): AsyncIterable<EventRecord[]> {
  const held: EventRecord[] = [];
  // A record came later than shiftLimit places: held is sorted before a page is given.
  let unsorted = false;
  for await (const page of pages)
    for (const record of page) {
      const { event } = record;
      if (!keep(event)) continue;
      let i = held.length;
      held.push(record);
      if (!unsorted) {
        const stop = Math.max(0, i - shiftLimit);
        while (i > stop && compareCanonical(held[i - 1]!.event, event) > 0) {
          held[i] = held[i - 1]!;
          i--;
        }
        held[i] = record;
        // Stopped by the limit, not by a record it sorts after.
        unsorted =
          i === stop &&
          i > 0 &&
          compareCanonical(held[i - 1]!.event, event) > 0;
      }
      if (held.length >= 2 * window) {
        if (unsorted) held.sort(byCanonical);
        unsorted = false;
        yield held.splice(0, held.length - window);
      }
    }
  if (unsorted) held.sort(byCanonical);
  if (held.length > 0) yield held;
}

const byCanonical = (a: EventRecord, b: EventRecord) =>
  compareCanonical(a.event, b.event);
