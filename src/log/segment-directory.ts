import { decodeBase64UrlInto } from './base64url.ts';
import { timeOf } from './event-time.ts';
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
    const at = timeOf(event.time);
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

interface Entry {
  meta: SegmentMeta;
  /**
   * Which 14-bit beginnings its ids have, one bit each (built on first look-up, 2 KiB):
   * a search for an id the segment does not hold mostly ends here, without sorting
   * the segment's prefixes. With 12 bits a full segment's 2,048 ids set 39% of them,
   * so a search sorted about two in five of the segments it passed on its way to
   * the one holding its id (14 ms of a profiled 100k-event history jump); with 14
   * bits, 12%.
   */
  beginnings?: Uint32Array;
  /**
   * The first four bytes of each id, sorted, and the index each came from: built
   * once the segment was searched SCANNED_SEARCHES times (a walk through the
   * history searches the same few again and again); until then each search scans
   * the ids, which costs a fraction of sorting them. One look-up far from the last
   * passes dozens of segments, and sorting each that its filter let through took
   * 19 ms of a profiled 100k-event history jump.
   */
  prefixes?: Uint32Array;
  order?: Uint32Array;
  searches?: number;
}

const SCANNED_SEARCHES = 8;

const prefixAt = (ids: Uint8Array, i: number) =>
  ((ids[i * ID_BYTES]! << 24) |
    (ids[i * ID_BYTES + 1]! << 16) |
    (ids[i * ID_BYTES + 2]! << 8) |
    ids[i * ID_BYTES + 3]!) >>>
  0;

/** Id bytes, decoded into one buffer per thread. */
const idBytes = new Uint8Array(ID_BYTES);

/**
 * Every segment's summary and ids, in memory: ~24 bytes per event, so that finding an
 * event by id or by (actor, seq) costs no storage read until the one segment that
 * holds it. A store keeps it current by comparing its keys with the stored ones.
 */
export class SegmentDirectory {
  private readonly entries = new Map<number, Entry>();
  /** The segments' keys in position order: built on a look-up after a change. */
  private byPosition: number[] | undefined;
  /** Where in `byPosition` the last look-up found its id. */
  private lastFound = 0;

  keys(): number[] {
    return [...this.entries.keys()];
  }

  has(key: number): boolean {
    return this.entries.has(key);
  }

  set(key: number, meta: SegmentMeta): void {
    this.entries.set(key, { meta });
    this.byPosition = undefined;
  }

  delete(key: number): void {
    if (this.entries.delete(key)) this.byPosition = undefined;
  }

  /** Forgets every segment. */
  clear(): void {
    this.entries.clear();
    this.byPosition = undefined;
  }

  meta(key: number): SegmentMeta | undefined {
    return this.entries.get(key)?.meta;
  }

  /** The segments whose records match, each as [key, meta], in position order of their first. */
  segments(
    match: (meta: SegmentMeta) => boolean = () => true,
  ): [number, SegmentMeta][] {
    const out: [number, SegmentMeta][] = [];
    for (const [key, { meta }] of this.entries)
      if (match(meta)) out.push([key, meta]);
    return out.sort((a, b) => a[1].firstPos - b[1].firstPos);
  }

  /**
   * Where the event `id` is, if a segment holds it. Segments are searched outward
   * from the one the last look-up found its id in: walks through the history (to a
   * checkpoint, along parents) ask for events stored close together, found in the
   * first segment or two searched, where a search from the first segment in turn
   * searched a 100k-event log's ~400 segments up to the one holding the id.
   */
  locate(id: EventId): SegmentSlot | undefined {
    if (!decodeBase64UrlInto(id, idBytes)) return undefined;
    const bytes = idBytes;
    const prefix =
      ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>>
      0;
    const order = (this.byPosition ??= this.segments().map(([key]) => key));
    const n = order.length;
    const from = Math.min(this.lastFound, n - 1);
    for (let step = 0; step < 2 * n; step++) {
      // from, from - 1, from + 1, from - 2, …: older first, as parents are.
      const at = step % 2 === 0 ? from - step / 2 : from + (step + 1) / 2;
      if (at < 0 || at >= n) continue;
      const key = order[at]!;
      const index = indexIn(this.entries.get(key)!, prefix, bytes);
      if (index >= 0) {
        this.lastFound = at;
        return { key, index };
      }
    }
    return undefined;
  }

  /** Segments that may hold `actor`'s event `seq`. */
  holding(actor: string, seq: number): number[] {
    const out: number[] = [];
    for (const [key, { meta }] of this.entries)
      if (
        meta.actors.some(
          ([a, least, most]) => a === actor && least <= seq && seq <= most,
        )
      )
        out.push(key);
    return out;
  }
}

/** The index of the id `bytes` (whose first four bytes are `prefix`) in the entry's segment, or -1. */
function indexIn(entry: Entry, prefix: number, bytes: Uint8Array): number {
  const beginnings = (entry.beginnings ??= beginningsOf(entry.meta));
  const top = prefix >>> (32 - BEGINNING_BITS);
  if ((beginnings[top >>> 5]! & (1 << (top & 31))) === 0) return -1;
  if (
    !entry.prefixes &&
    (entry.searches = (entry.searches ?? 0) + 1) <= SCANNED_SEARCHES
  ) {
    const { ids, count } = entry.meta;
    for (let i = 0; i < count; i++)
      if (prefixAt(ids, i) === prefix && sameId(ids, i, bytes)) return i;
    return -1;
  }
  const { prefixes, order } = sortedPrefixes(entry);
  let lo = 0;
  let hi = prefixes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (prefixes[mid]! < prefix) lo = mid + 1;
    else hi = mid;
  }
  for (let j = lo; j < prefixes.length && prefixes[j] === prefix; j++) {
    const index = order[j]!;
    if (sameId(entry.meta.ids, index, bytes)) return index;
  }
  return -1;
}

const BEGINNING_BITS = 14;

/**
 * Which of the 2^BEGINNING_BITS beginnings the segment's ids have: the first
 * BEGINNING_BITS bits of `prefixAt`, taken from the id's first two bytes. A far
 * look-up in a new worker builds this for every segment it passes (a 100k-event
 * history's ~400); from four bytes each, that was 12 ms of a jump 90k events back.
 */
function beginningsOf({ ids, count }: SegmentMeta): Uint32Array {
  const bits = new Uint32Array(2 ** BEGINNING_BITS / 32);
  const shift = 16 - BEGINNING_BITS;
  for (let at = 0, end = count * ID_BYTES; at < end; at += ID_BYTES) {
    const top = ((ids[at]! << 8) | ids[at + 1]!) >>> shift;
    bits[top >>> 5]! |= 1 << (top & 31);
  }
  return bits;
}

/** An entry's sorted id prefixes, built once: a cold open that only reads positions never pays for them. */
function sortedPrefixes(entry: Entry): {
  prefixes: Uint32Array;
  order: Uint32Array;
} {
  if (!entry.prefixes || !entry.order) {
    const { ids, count } = entry.meta;
    // Prefix and index as one number, exact while prefix * count + index < 2^53 (a
    // segment holds thousands of events, not millions), so the typed array's own
    // numeric sort does the work, with no comparator to call.
    if (count >= 2 ** 21) throw new Error(`a segment of ${count} events`);
    const keyed = new Float64Array(count);
    for (let i = 0; i < count; i++) keyed[i] = prefixAt(ids, i) * count + i;
    keyed.sort();
    const prefixes = new Uint32Array(count);
    const order = new Uint32Array(count);
    for (let j = 0; j < count; j++) {
      const index = keyed[j]! % count;
      order[j] = index;
      prefixes[j] = (keyed[j]! - index) / count;
    }
    entry.order = order;
    entry.prefixes = prefixes;
  }
  return { prefixes: entry.prefixes, order: entry.order };
}

function sameId(ids: Uint8Array, index: number, id: Uint8Array): boolean {
  const at = index * ID_BYTES;
  for (let k = 0; k < ID_BYTES; k++) if (ids[at + k] !== id[k]) return false;
  return true;
}
