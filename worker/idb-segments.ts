import type { IDBPTransaction, StoreNames } from 'idb';
import type { EventRecord } from '../src/index.ts';
import {
  decodeSegment,
  encodeSegment,
  inflateBody,
  segmentLines,
  type PackedSegment,
} from '../src/log/segment-codec.ts';
import {
  SegmentDirectory,
  summarize,
  type SegmentMeta,
} from '../src/log/segment-directory.ts';
import type { ForklineDB } from './idb-schema.ts';

/** Events per segment: large enough to compress well, small enough to decode in a few ms. */
export const SEGMENT_EVENTS = 2048;

/** Decoded segments kept: about one per stream a read is walking at once. */
const DECODED_LIMIT = 24;

/** Any transaction whose scope includes the segment stores (and, for writes, events). */
export type SegmentTx = IDBPTransaction<
  ForklineDB,
  ArrayLike<StoreNames<ForklineDB>>,
  IDBTransactionMode
>;

export type SegmentWriteTx = IDBPTransaction<
  ForklineDB,
  ArrayLike<StoreNames<ForklineDB>>,
  'readwrite'
>;

/** A segment's two records: its summary with ids, and its compressed body. */
export interface EncodedSegment {
  meta: SegmentMeta;
  body: Uint8Array;
}

/** A segment was deleted (compacted into another) after the directory named it. */
class SegmentGone extends Error {}

/**
 * The segments of one database as this worker sees them: their directory (kept in
 * step with the stored keys inside whichever transaction asks) and the last few
 * decoded. Segments are immutable under keys never reused, so a decoded one stays
 * true for as long as it is cached; only the directory can be behind, and every
 * read brings it up to its own transaction first.
 */
export class Segments {
  readonly directory = new SegmentDirectory();
  private readonly decoded = new Map<number, EventRecord[]>();
  private readonly lined = new Map<number, Positioned<Uint8Array>>();
  /**
   * Decodes under way, per transaction: a round of parallel look-ups that land in one
   * segment decodes it once. Never shared across transactions: one must not wait on
   * another's requests, or it would commit meanwhile.
   */
  private readonly underway = new WeakMap<
    SegmentTx,
    Map<number, Promise<unknown>>
  >();

  /** `make()`'s value for `key` in `cache`, made once however many ask at once through `tx`. */
  private cachedIn<T>(
    cache: Map<number, T>,
    tx: SegmentTx,
    key: number,
    make: () => Promise<T>,
  ): Promise<T> {
    let inTx = this.underway.get(tx);
    if (!inTx) this.underway.set(tx, (inTx = new Map()));
    const running = inTx.get(key) as Promise<T> | undefined;
    if (running && !cache.has(key)) return running;
    const made = cached(cache, key, make);
    inTx.set(key, made);
    return made;
  }

  /** `size`: events per full segment (SEGMENT_EVENTS but in tests). */
  constructor(readonly size = SEGMENT_EVENTS) {}

  /**
   * Forgets every segment seen and decoded: after a write transaction aborted. It
   * may have shown the directory segments that were never stored, under keys that
   * the store will give out again.
   */
  forget(): void {
    for (const key of [...this.directory.keys()]) this.directory.delete(key);
    this.decoded.clear();
    this.lined.clear();
  }

  /** Cuts `records` into runs of a full segment's size. */
  runs<T>(records: readonly T[]): T[][] {
    const runs: T[][] = [];
    for (let i = 0; i < records.length; i += this.size)
      runs.push(records.slice(i, i + this.size));
    return runs;
  }

  /** Brings the directory up to what `tx` sees: one keys read, plus the new summaries. */
  async refresh(tx: SegmentTx): Promise<void> {
    const metas = tx.objectStore('segmentMeta');
    const keys = await metas.getAllKeys();
    const present = new Set(keys);
    for (const key of this.directory.keys())
      if (!present.has(key)) this.directory.delete(key);
    const added = keys.filter((key) => !this.directory.has(key));
    const found = await Promise.all(added.map((key) => metas.get(key)));
    added.forEach((key, i) => {
      if (found[i]) this.directory.set(key, found[i]);
    });
  }

  /**
   * The records of segment `key`, read through `tx` unless cached. Inside a write
   * transaction it must inflate synchronously (`inTransaction`); a read inflates
   * natively once it has the bytes, letting its read-only transaction end.
   */
  records(
    tx: SegmentTx,
    key: number,
    inTransaction = true,
  ): Promise<EventRecord[]> {
    return this.cachedIn(this.decoded, tx, key, async () => {
      const [packed, stream] = await this.packed(tx, key);
      const inflated = inTransaction
        ? undefined
        : await inflateBody(packed.body);
      return decodeSegment(packed, stream, inflated);
    });
  }

  /**
   * Segment `key` as export lines, with their positions (a read: inflated natively):
   * each item is one line's UTF-8 bytes, a view into the segment's one buffer.
   */
  lines(
    tx: SegmentTx,
    key: number,
    source: string,
  ): Promise<Positioned<Uint8Array>> {
    return this.cachedIn(this.lined, tx, key, async () => {
      const [packed, stream] = await this.packed(tx, key);
      const inflated = await inflateBody(packed.body);
      const { positions, bytes, ends } = segmentLines(
        packed,
        stream,
        source,
        inflated,
      );
      // One view per line only if a page takes part of the segment.
      let items: Uint8Array[] | undefined;
      return {
        positions,
        whole: [bytes],
        get items() {
          return (items ??= positions.map((_, i) =>
            bytes.subarray(i === 0 ? 0 : ends[i - 1]!, ends[i]!),
          ));
        },
      };
    });
  }

  private async packed(
    tx: SegmentTx,
    key: number,
  ): Promise<[PackedSegment, string]> {
    const meta = this.directory.meta(key);
    const row = await tx.objectStore('segments').get(key);
    if (!meta || !row) throw new SegmentGone();
    return [{ ids: meta.ids, body: row.body }, meta.stream];
  }

  /**
   * The event `id` if the directory places it in a segment decoded already: no
   * storage read. Sound without a transaction, because a segment never changes
   * under its key (a stale directory only misses).
   */
  cachedEvent(id: string): EventRecord | undefined {
    const slot = this.directory.locate(id);
    return slot && this.decoded.get(slot.key)?.[slot.index];
  }

  /** The event `id` if a segment holds it, as `tx` sees the segments (refreshed first). */
  async find(tx: SegmentTx, id: string): Promise<EventRecord | undefined> {
    await this.refresh(tx);
    const slot = this.directory.locate(id);
    return slot && (await this.records(tx, slot.key))[slot.index];
  }

  /** `actor`'s event `seq` if a segment holds it (directory refreshed by the caller). */
  async findSeq(
    tx: SegmentTx,
    actor: string,
    seq: number,
  ): Promise<EventRecord | undefined> {
    for (const key of this.directory.holding(actor, seq)) {
      const found = (await this.records(tx, key)).find(
        (r) => r.event.actor === actor && r.event.seq === seq,
      );
      if (found) return found;
    }
    return undefined;
  }

  /**
   * Writes `records` (of one stream, in position order) as a new segment. Resolves
   * once both parts are written; the directory learns of it on its next refresh.
   */
  write(tx: SegmentWriteTx, records: readonly EventRecord[]): Promise<unknown> {
    return this.put(tx, this.encode(records));
  }

  /** `records` (of one stream, in position order) as a segment ready to `put`. */
  encode(records: readonly EventRecord[]): EncodedSegment {
    const { ids, body } = encodeSegment(records);
    return { meta: { ...summarize(records), ids }, body };
  }

  /** Writes an encoded segment under a new key; resolves once both parts are written. */
  put(tx: SegmentWriteTx, { meta, body }: EncodedSegment): Promise<unknown> {
    return tx
      .objectStore('segments')
      .add({ body })
      .then((key) => tx.objectStore('segmentMeta').add(meta, key));
  }

  /** Deletes segment `key` (its records were written elsewhere in the same transaction). */
  remove(tx: SegmentWriteTx, key: number): void {
    void tx.objectStore('segments').delete(key);
    void tx.objectStore('segmentMeta').delete(key);
  }

  /**
   * One page of a read in position order, inside `tx`, whose directory the caller
   * has refreshed: the bound the page picks (Infinity once the read is complete),
   * known at once, and the items with a position after `after` up to it, once the
   * segments they need are read. `hot` is the first `limit` hot records after
   * `after`; `item` makes an item of a hot record, `open` gives a segment's items
   * (its requests issued before it returns, while `tx` is active). `upTo` fixes the
   * bound (a page read again). Otherwise the bound is the least of the last hot
   * position (when the hot page is full) and every pending segment's last position,
   * so each page finishes at least one segment or hot page, and decodes only
   * segments that overlap it.
   */
  page<T>(
    after: number,
    stream: string | undefined,
    hot: { records: EventRecord[]; limit: number },
    item: (record: EventRecord) => T,
    open: (key: number) => Promise<Positioned<T>>,
    upTo?: number,
  ): { bound: number; items: Promise<T[]> } {
    const pending = this.directory.segments(
      (m) => m.lastPos > after && (stream === undefined || m.stream === stream),
    );
    const { records, limit } = hot;
    let bound = upTo ?? Infinity;
    if (upTo === undefined) {
      if (records.length === limit) bound = records[records.length - 1]!.pos;
      for (const [, meta] of pending) bound = Math.min(bound, meta.lastPos);
    }
    const overlapping = pending.filter(([, meta]) => meta.firstPos <= bound);
    const opening = Promise.all(overlapping.map(([key]) => open(key)));
    const items = opening.then((opened) => {
      // A page that is one segment, whole: its items as they are.
      const [only] = opened;
      if (opened.length === 1 && !records.some((r) => r.pos <= bound)) {
        const { positions } = only!;
        if (positions[0]! > after && positions[positions.length - 1]! <= bound)
          return only!.whole ?? only!.items;
      }
      const found: [number, T][] = [];
      for (const record of records)
        if (record.pos <= bound) found.push([record.pos, item(record)]);
      for (const { positions, items } of opened)
        positions.forEach((pos, i) => {
          if (pos > after && pos <= bound) found.push([pos, items[i]!]);
        });
      found.sort((a, b) => a[0] - b[0]);
      return found.map(([, value]) => value);
    });
    return { bound, items };
  }
}

/** Items in position order, with their positions. */
export interface Positioned<T> {
  positions: number[];
  items: T[];
  /** The same items as fewer (one buffer of every line), for a page that takes all of them. */
  whole?: T[];
}

/** Records as positioned items of themselves. */
export const positioned = (
  records: EventRecord[],
): Positioned<EventRecord> => ({
  positions: records.map((r) => r.pos),
  items: records,
});

/** `make()` once per key, the last DECODED_LIMIT kept, most recently used last. */
async function cached<T>(
  cache: Map<number, T>,
  key: number,
  make: () => Promise<T>,
): Promise<T> {
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const value = await make();
  if (cache.size >= DECODED_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
  return value;
}

/**
 * Runs `read` again, once (or `again` instead), if a segment it was about to read
 * was compacted meanwhile.
 */
export async function retryingGone<T>(
  read: () => Promise<T>,
  again: () => Promise<T> = read,
): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof SegmentGone) return again();
    throw error;
  }
}
