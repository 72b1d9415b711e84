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
 * The records of `pages` (in arrival order, as `eventPages` reads them: no async
 * step per record) that pass `keep`, in canonical order as far as a window of
 * `window` records can put them there, in pages. Arrival order is nearly
 * canonical (an event is late only against what a sync brought just before it), so
 * a read in arrival order, which is the cheapest there is, comes out sorted.
 *
 * It holds the `window` greatest records seen and, each time `window` more came,
 * sorts them all and gives the least as a page. Wherever holding `window` records
 * and giving the least at each arrival would give canonical order, this gives it
 * too: at every page both have given the same records, the least so far. A record
 * later than the window comes out after records that sort after it, which the
 * reader sees where two pages meet, and deals with. Each page is sorted.
 *
 * A sort a page, not a heap: a sync brings each replica's events as a sorted run,
 * which the engine's sort (a merge of runs) takes nearly as it is. On a 260k log
 * with three events in four late, the heap took 450–600 ms, this 160–250.
 */
export async function* reorderCanonical(
  pages: AsyncIterable<readonly EventRecord[]>,
  window: number,
  keep: (event: LogEvent) => boolean = () => true,
): AsyncIterable<EventRecord[]> {
  const held: EventRecord[] = [];
  for await (const page of pages)
    for (const record of page) {
      if (!keep(record.event)) continue;
      held.push(record);
      if (held.length >= 2 * window) {
        held.sort(byCanonical);
        yield held.splice(0, held.length - window);
      }
    }
  held.sort(byCanonical);
  if (held.length > 0) yield held;
}

const byCanonical = (a: EventRecord, b: EventRecord) =>
  compareCanonical(a.event, b.event);
