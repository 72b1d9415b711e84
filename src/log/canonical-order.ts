import {
  compareCanonical,
  type CanonicalKey,
  type EventRecord,
} from './store.ts';

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
 * `records` (in arrival order) in canonical order, as far as a window of `window`
 * records can put them there: each record waits until `window` others came after
 * it, and the least of those waiting goes first. Arrival order is nearly canonical
 * (an event is late only against what a sync brought just before it), so a read in
 * arrival order, which is the cheapest there is, comes out sorted; a record later
 * than the window comes out after records that sort after it, which the reader sees
 * and deals with.
 *
 * The records waiting are kept as a sorted run (each one that sorts after every
 * other waiting joins its end: nearly all) and a heap of the rest, so a record costs
 * a comparison or two, not a heap's climb through the whole window.
 */
export async function* reorderCanonical(
  records: AsyncIterable<EventRecord>,
  window: number,
): AsyncIterable<EventRecord> {
  const run: EventRecord[] = [];
  let head = 0;
  const late = new RecordHeap();
  /** The least waiting record, taken out. */
  const take = (): EventRecord => {
    const first = late.peek();
    if (
      first &&
      (head === run.length ||
        compareCanonical(first.event, run[head]!.event) < 0)
    )
      return late.pop();
    const record = run[head]!;
    run[head++] = undefined!;
    // Drops what was taken now and then, not at every record.
    if (head >= 1024 && head * 2 >= run.length) {
      run.splice(0, head);
      head = 0;
    }
    return record;
  };
  for await (const record of records) {
    const last = run[run.length - 1];
    if (head === run.length || compareCanonical(record.event, last!.event) >= 0)
      run.push(record);
    else late.push(record);
    if (run.length - head + late.size > window) yield take();
  }
  while (run.length - head + late.size > 0) yield take();
}

/** A binary min-heap of records by canonical key. */
class RecordHeap {
  private readonly heap: EventRecord[] = [];

  get size(): number {
    return this.heap.length;
  }

  peek(): EventRecord | undefined {
    return this.heap[0];
  }

  push(record: EventRecord): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(record);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (compareCanonical(record.event, heap[parent]!.event) >= 0) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = record;
  }

  pop(): EventRecord {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    const n = heap.length;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m =
        r < n && compareCanonical(heap[r]!.event, heap[l]!.event) < 0 ? r : l;
      if (compareCanonical(heap[m]!.event, last.event) >= 0) break;
      heap[i] = heap[m]!;
      i = m;
    }
    heap[i] = last;
    return top;
  }
}
