import { fromBase64Url } from './base64url.ts';
import { authorOf, type EventFilter } from './event-filter.ts';
import { ID_BYTES } from './segment-codec.ts';
import type { EventRecord } from './store.ts';
import type { EventId } from './types.ts';

/** What a store keeps beside each segment to find its events without decoding it. */
export interface SegmentSummary {
  stream: string;
  /** Positions of its first and last record (records are in position order). */
  firstPos: number;
  lastPos: number;
  count: number;
  /** Per actor: the least and greatest seq it holds (not every seq between). */
  actors: [actor: string, least: number, greatest: number][];
  /**
   * What a query may rule the segment out by, unread (absent in segments written
   * before they were kept): its events' types, their authors (an event without one
   * is its actor's), and the least and greatest of their times, in ms.
   */
  types?: string[];
  authors?: string[];
  times?: [least: number, greatest: number];
}

export interface SegmentMeta extends SegmentSummary {
  /** The segment's ids, ID_BYTES each, in its order. */
  ids: Uint8Array;
  /** Its compressed body's length in bytes; absent in segments written before it was kept. */
  bytes?: number;
}

/** Where an event sits: which segment, at which index. */
export interface SegmentSlot {
  key: number;
  index: number;
}

export function summarize(records: readonly EventRecord[]): SegmentSummary {
  const actors = new Map<string, [string, number, number]>();
  const types = new Set<string>();
  const authors = new Set<string>();
  let least = Infinity;
  let greatest = -Infinity;
  for (const { event } of records) {
    types.add(event.type);
    authors.add(authorOf(event));
    const at = Date.parse(event.time);
    if (at < least) least = at;
    if (at > greatest) greatest = at;
    const range = actors.get(event.actor);
    if (!range) actors.set(event.actor, [event.actor, event.seq, event.seq]);
    else {
      range[1] = Math.min(range[1], event.seq);
      range[2] = Math.max(range[2], event.seq);
    }
  }
  return {
    stream: records[0]!.event.stream,
    firstPos: records[0]!.pos,
    lastPos: records[records.length - 1]!.pos,
    count: records.length,
    actors: [...actors.values()],
    types: [...types],
    authors: [...authors],
    // Times are checked RFC 3339 on the way in; were one unreadable, no bound holds.
    ...(Number.isFinite(least) && Number.isFinite(greatest)
      ? { times: [least, greatest] as [number, number] }
      : {}),
  };
}

/**
 * Whether the segment may hold an event that passes `filter`: false only where its
 * summary rules every one out. What the summary does not keep is assumed to match.
 */
export function mayHold(meta: SegmentSummary, filter: EventFilter): boolean {
  if (filter.streams !== undefined && !meta.stream.startsWith(filter.streams))
    return false;
  if (
    filter.actor !== undefined &&
    !meta.actors.some(([a]) => a === filter.actor)
  )
    return false;
  if (
    filter.types !== undefined &&
    meta.types &&
    !meta.types.some((t) => filter.types!.includes(t))
  )
    return false;
  if (
    filter.author !== undefined &&
    meta.authors &&
    !meta.authors.includes(filter.author)
  )
    return false;
  if (meta.times) {
    const [least, greatest] = meta.times;
    if (filter.from !== undefined && greatest < Date.parse(filter.from))
      return false;
    if (filter.to !== undefined && least > Date.parse(filter.to)) return false;
  }
  return true;
}

const prefixAt = (ids: Uint8Array, i: number) =>
  ((ids[i * ID_BYTES]! << 24) |
    (ids[i * ID_BYTES + 1]! << 16) |
    (ids[i * ID_BYTES + 2]! << 8) |
    ids[i * ID_BYTES + 3]!) >>>
  0;

/**
 * Every id the directory holds, sorted by its first four bytes: where each is (its
 * segment's key and its index there). One binary search finds an id in any segment;
 * searching each segment in turn cost a 100k-event log ~400 searches per id, and
 * walking a few thousand events back to a checkpoint spent most of its time there.
 */
interface IdIndex {
  prefixes: Uint32Array;
  keys: Float64Array;
  slots: Uint32Array;
}

/** The order that sorts `prefixes` (stable): a numeric sort of small runs, a radix sort of long ones. */
function sortedOrder(prefixes: Uint32Array): Uint32Array {
  const n = prefixes.length;
  if (n < 4096) {
    // Prefix and index as one number, exact while prefix * n + index < 2^53.
    const keyed = new Float64Array(n);
    for (let i = 0; i < n; i++) keyed[i] = prefixes[i]! * n + i;
    keyed.sort();
    return Uint32Array.from(keyed, (k) => k % n);
  }
  let order = Uint32Array.from({ length: n }, (_, i) => i);
  let next = new Uint32Array(n);
  const counts = new Uint32Array(0x10001);
  for (const shift of [0, 16]) {
    counts.fill(0);
    for (let i = 0; i < n; i++)
      counts[((prefixes[order[i]!]! >>> shift) & 0xffff) + 1]!++;
    for (let d = 0; d < 0x10000; d++) counts[d + 1]! += counts[d]!;
    for (let i = 0; i < n; i++) {
      const o = order[i]!;
      next[counts[(prefixes[o]! >>> shift) & 0xffff]!++] = o;
    }
    [order, next] = [next, order];
  }
  return order;
}

/** `segments`' ids as an index: each segment's key beside its ids. */
function indexOf(segments: [key: number, meta: SegmentMeta][]): IdIndex {
  let n = 0;
  for (const [, meta] of segments) n += meta.count;
  const prefixes = new Uint32Array(n);
  const keys = new Float64Array(n);
  const slots = new Uint32Array(n);
  let at = 0;
  for (const [key, meta] of segments)
    for (let i = 0; i < meta.count; i++, at++) {
      prefixes[at] = prefixAt(meta.ids, i);
      keys[at] = key;
      slots[at] = i;
    }
  const order = sortedOrder(prefixes);
  return {
    prefixes: order.map((o) => prefixes[o]!),
    keys: Float64Array.from(order, (o) => keys[o]!),
    slots: order.map((o) => slots[o]!),
  };
}

/** Two indexes as one: a merge of their sorted runs. */
function merged(a: IdIndex, b: IdIndex): IdIndex {
  const n = a.prefixes.length + b.prefixes.length;
  const out: IdIndex = {
    prefixes: new Uint32Array(n),
    keys: new Float64Array(n),
    slots: new Uint32Array(n),
  };
  let i = 0;
  let j = 0;
  for (let k = 0; k < n; k++) {
    const fromA =
      j >= b.prefixes.length ||
      (i < a.prefixes.length && a.prefixes[i]! <= b.prefixes[j]!);
    const [from, at] = fromA ? [a, i++] : [b, j++];
    out.prefixes[k] = from.prefixes[at]!;
    out.keys[k] = from.keys[at]!;
    out.slots[k] = from.slots[at]!;
  }
  return out;
}

/** An index without the ids of segment `key`. */
function without(index: IdIndex, key: number): IdIndex {
  const kept: number[] = [];
  for (let k = 0; k < index.keys.length; k++)
    if (index.keys[k] !== key) kept.push(k);
  return {
    prefixes: Uint32Array.from(kept, (k) => index.prefixes[k]!),
    keys: Float64Array.from(kept, (k) => index.keys[k]!),
    slots: Uint32Array.from(kept, (k) => index.slots[k]!),
  };
}

/**
 * Every segment's summary and ids, in memory: ~32 bytes per event, so that finding an
 * event by id or by (actor, seq) costs no storage read until the one segment that
 * holds it. A store keeps it current by comparing its keys with the stored ones.
 */
export class SegmentDirectory {
  private readonly entries = new Map<number, SegmentMeta>();
  /**
   * Built on the first look-up by id (a cold open that only reads positions never
   * pays for it), then kept by every set and delete: a merge or a filter.
   */
  private index: IdIndex | undefined;

  keys(): number[] {
    return [...this.entries.keys()];
  }

  has(key: number): boolean {
    return this.entries.has(key);
  }

  set(key: number, meta: SegmentMeta): void {
    this.delete(key);
    this.entries.set(key, meta);
    if (this.index) this.index = merged(this.index, indexOf([[key, meta]]));
  }

  delete(key: number): void {
    if (this.entries.delete(key) && this.index)
      this.index = without(this.index, key);
  }

  meta(key: number): SegmentMeta | undefined {
    return this.entries.get(key);
  }

  /** The segments whose records match, each as [key, meta], in position order of their first. */
  segments(
    match: (meta: SegmentMeta) => boolean = () => true,
  ): [number, SegmentMeta][] {
    const out: [number, SegmentMeta][] = [];
    for (const [key, meta] of this.entries)
      if (match(meta)) out.push([key, meta]);
    return out.sort((a, b) => a[1].firstPos - b[1].firstPos);
  }

  /** Where the event `id` is, if a segment holds it. */
  locate(id: EventId): SegmentSlot | undefined {
    let bytes: Uint8Array;
    try {
      bytes = fromBase64Url(id);
    } catch {
      return undefined;
    }
    if (bytes.length !== ID_BYTES) return undefined;
    const prefix =
      ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>>
      0;
    const { prefixes, keys, slots } = (this.index ??= indexOf([
      ...this.entries,
    ]));
    let lo = 0;
    let hi = prefixes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (prefixes[mid]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    for (let j = lo; j < prefixes.length && prefixes[j] === prefix; j++) {
      const key = keys[j]!;
      const index = slots[j]!;
      if (sameId(this.entries.get(key)!.ids, index, bytes))
        return { key, index };
    }
    return undefined;
  }

  /** Segments that may hold `actor`'s event `seq`. */
  holding(actor: string, seq: number): number[] {
    const out: number[] = [];
    for (const [key, meta] of this.entries)
      if (
        meta.actors.some(
          ([a, least, most]) => a === actor && least <= seq && seq <= most,
        )
      )
        out.push(key);
    return out;
  }
}

function sameId(ids: Uint8Array, index: number, id: Uint8Array): boolean {
  const at = index * ID_BYTES;
  for (let k = 0; k < ID_BYTES; k++) if (ids[at + k] !== id[k]) return false;
  return true;
}
