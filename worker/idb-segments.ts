import type { IDBPTransaction, StoreNames } from 'idb';
import type { EventRecord } from '../src/index.ts';
import {
  decodeSegment,
  encodeSegment,
  ID_BYTES,
  inflateBody,
  segmentLines,
  segmentRuns,
  type PackedSegment,
} from '../src/log/segment-codec.ts';
import {
  mayHold,
  SegmentDirectory,
  summarize,
  type SegmentMeta,
} from '../src/log/segment-directory.ts';
import { mergeRuns, type Positioned } from '../src/log/merge-runs.ts';
import type { EventFilter } from '../src/log/event-filter.ts';

/** What a read in position order covers: one stream or all; all events, or a filter's. */
export interface ReadScope {
  stream?: string | undefined;
  /** Segments that cannot hold an event passing it are not read. */
  only?: EventFilter | undefined;
}
import type { ForklineDB } from './idb-schema.ts';

export type { Positioned };

/** Events per segment: large enough to compress well, small enough to decode in a few ms. */
export const SEGMENT_EVENTS = 2048;

/**
 * A segment's compressed body stays under this: Chromium moves an IndexedDB value
 * above 64 KiB out into a blob file of its own, which made writing a segment about
 * three times and reading it about three times slower per byte (measured: 63 KiB
 * records 0.45 ms to write and 0.15 ms to read, 65 KiB ones 1.58 and 0.50 ms).
 */
export const MAX_BODY_BYTES = 60 << 10;
/** What a segment cut for size aims at: under MAX_BODY_BYTES with room for misjudging. */
const BODY_TARGET_BYTES = 52 << 10;

/**
 * Bytes of segment bodies kept with their inflated bytes (both counted): a page
 * across 50 streams opens 50 segments (about 8 MB of full ones); the same again
 * costs no storage read and no inflating.
 */
const INFLATED_BYTES = 16 << 20;

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
    this.directory.clear();
    this.decoded.clear();
    this.built.clear();
    this.inflatedBodies.clear();
    this.inflatedBytes = 0;
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
      if (inTransaction) {
        const [packed, stream] = await this.packed(tx, key);
        return decodeSegment(packed, stream);
      }
      return decodeSegment(...(await this.inflated(tx, key)));
    });
  }

  /**
   * Segment `key` for a read in position order across streams (`segmentRuns`): its
   * records built only for the runs the read takes, and with `only`, only for those
   * whose columns can match it. The first page of a log touches a segment of every
   * stream, a few events of each: decoding each whole made that page cost about a
   * full decode per stream. Not cached (a cached decode is used when there is one):
   * a reader holds the segments it is walking.
   */
  async across(
    tx: SegmentTx,
    key: number,
    only?: EventFilter,
  ): Promise<Positioned<EventRecord>> {
    const decoded = this.decoded.get(key);
    if (decoded) return positioned(decoded);
    const [packed, stream, inflated] = await this.inflated(tx, key);
    return segmentRuns(packed, stream, inflated, only);
  }

  /**
   * Segment `key` as export lines, with their positions (a read: inflated natively).
   * Not cached: a reader holds the segments it is walking (pagesInPositionOrder),
   * and an export reads each once.
   */
  async lines(
    tx: SegmentTx,
    key: number,
    source: string,
  ): Promise<Positioned<Uint8Array>> {
    const [packed, stream, inflated] = await this.inflated(tx, key);
    const { positions, bytes, ends } = segmentLines(
      packed,
      stream,
      source,
      inflated,
    );
    return {
      positions,
      // Lines from..to-1 are one range of the segment's buffer: one view, no copy.
      run: (from, to) => [
        bytes.subarray(from === 0 ? 0 : ends[from - 1]!, ends[to - 1]!),
      ],
    };
  }

  /**
   * Segment `key` with its body inflated, from the last INFLATED_BYTES inflated if
   * there: no storage read then, since the directory (brought up to the reader's
   * transaction) names only segments that are there, and a segment never changes
   * under its key. Reads across streams open a segment of every stream for a few
   * events each, and readers such as the event explorer read the same ones again
   * with each filter: inflating them was most of a page's cost.
   */
  private async inflated(
    tx: SegmentTx,
    key: number,
  ): Promise<[PackedSegment, string, Uint8Array]> {
    const meta = this.directory.meta(key);
    const hit = this.inflatedBodies.get(key);
    if (meta && hit) {
      this.inflatedBodies.delete(key);
      this.inflatedBodies.set(key, hit);
      return [{ ids: meta.ids, body: hit.body }, meta.stream, hit.inflated];
    }
    const [packed, stream] = await this.packed(tx, key);
    const inflated = await inflateBody(packed.body);
    if (!this.inflatedBodies.has(key)) {
      this.inflatedBodies.set(key, { body: packed.body, inflated });
      this.inflatedBytes += packed.body.length + inflated.length;
      for (const [oldest, kept] of this.inflatedBodies) {
        if (this.inflatedBytes <= INFLATED_BYTES) break;
        this.inflatedBodies.delete(oldest);
        this.inflatedBytes -= kept.body.length + kept.inflated.length;
      }
    }
    return [packed, stream, inflated];
  }

  /** Bodies with their inflated bytes, most recently used last, and both sizes in all. */
  private readonly inflatedBodies = new Map<
    number,
    { body: Uint8Array; inflated: Uint8Array }
  >();
  private inflatedBytes = 0;

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
    return (
      slot &&
      (this.decoded.get(slot.key)?.[slot.index] ??
        this.builtRecord(slot.key, slot.index))
    );
  }

  /**
   * The one record built, per segment not decoded whole: the first look-up
   * in a segment builds only the record it asks for (walking the columns to it),
   * the next of another event there decodes the segment. A jump far back in a
   * document's history looks up its version's heads and then reads the events
   * between them and a checkpoint in one pass (which builds only those): decoding
   * the heads' segments whole cost that jump 45–115 ms of its ~200.
   */
  private readonly built = new Map<
    number,
    { index: number; record?: EventRecord | undefined }
  >();

  private builtRecord(key: number, index: number): EventRecord | undefined {
    const built = this.built.get(key);
    return built?.index === index ? built.record : undefined;
  }

  /** The event `id` if a segment holds it, as `tx` sees the segments (refreshed first). */
  async find(tx: SegmentTx, id: string): Promise<EventRecord | undefined> {
    await this.refresh(tx);
    return this.findKnown(tx, id);
  }

  /**
   * Event `id` if a segment holds it (directory refreshed by the caller, in `tx`):
   * built alone when it is the first asked for in a segment not decoded (see
   * `built`). A read: the body is inflated natively, and nothing more is asked of
   * `tx` once the segment is read.
   */
  async findKnown(tx: SegmentTx, id: string): Promise<EventRecord | undefined> {
    const slot = this.directory.locate(id);
    if (!slot) return undefined;
    const { key, index } = slot;
    if (this.decoded.has(key) || this.built.has(key)) {
      const record = this.builtRecord(key, index);
      if (record) return record;
      this.built.delete(key);
      return (await this.records(tx, key, false))[index];
    }
    // Marked before the read: a look-up of another of its events meanwhile (a round
    // of parallel look-ups) decodes the segment, once, rather than walk it again.
    const mine: { index: number; record?: EventRecord } = { index };
    if (this.built.size >= DECODED_LIMIT)
      this.built.delete(this.built.keys().next().value!);
    this.built.set(key, mine);
    const [packed, stream, inflated] = await this.inflated(tx, key);
    const record = segmentRuns(packed, stream, inflated).run(
      index,
      index + 1,
    )[0];
    mine.record = record;
    return record;
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
   * Writes `records` (of one stream, in position order) as new segments (one, unless
   * their body would be too large). Resolves once every part is written; the
   * directory learns of them on its next refresh.
   */
  write(tx: SegmentWriteTx, records: readonly EventRecord[]): Promise<unknown> {
    return Promise.all(this.encode(records).map((s) => this.put(tx, s)));
  }

  /**
   * `records` (of one stream, in position order) as segments ready to `put`: one, or
   * as many as keep each body under MAX_BODY_BYTES. The cut is planned from the
   * compressed bytes per event of the stream's last segment encoded (a stream's
   * events tend to look alike), and checked after encoding.
   */
  encode(records: readonly EventRecord[]): EncodedSegment[] {
    const { stream } = records[0]!.event;
    const parts = Math.ceil(
      (records.length * (this.bytesPerEvent.get(stream) ?? 0)) /
        BODY_TARGET_BYTES,
    );
    if (parts > 1 && records.length > 1) return this.split(records, parts);
    const { ids, body } = encodeSegment(records);
    this.bytesPerEvent.set(stream, body.length / records.length);
    if (body.length > MAX_BODY_BYTES && records.length > 1)
      return this.split(records, Math.ceil(body.length / BODY_TARGET_BYTES));
    return [{ meta: { ...summarize(records), ids, bytes: body.length }, body }];
  }

  private split(records: readonly EventRecord[], parts: number) {
    const size = Math.ceil(records.length / Math.min(parts, records.length));
    const encoded: EncodedSegment[] = [];
    for (let i = 0; i < records.length; i += size)
      encoded.push(...this.encode(records.slice(i, i + size)));
    return encoded;
  }

  /** Per stream, compressed body bytes per event of the last segment encoded: the next cut's guide. */
  private readonly bytesPerEvent = new Map<string, number>();

  /**
   * Unfilled segments of `stream` (directory refreshed by the caller) that fit in one
   * segment together, by events and by body bytes: what a merge rewrites as one.
   */
  mergeable(stream: string): number[] {
    const chosen: number[] = [];
    let count = 0;
    let bytes = 0;
    for (const [key, meta] of this.directory.segments(
      (m) => m.stream === stream && this.unfilled(m),
    )) {
      const size = meta.bytes ?? 0;
      if (count + meta.count > this.size || bytes + size > BODY_TARGET_BYTES)
        continue;
      chosen.push(key);
      count += meta.count;
      bytes += size;
    }
    return chosen;
  }

  /**
   * Whether segment `key` is too small to stay as it is: fewer events than a full
   * segment and under half the body bytes of one. Segments written before bodies
   * were measured count by their events alone.
   */
  unfilled(meta: SegmentMeta): boolean {
    return meta.count < this.size && (meta.bytes ?? 0) < BODY_TARGET_BYTES / 2;
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
   * known at once, and the items with a position after `after` up to it, run by
   * run, once the segments they need are read. `hot` is the first `limit` hot records after
   * `after`; `item` makes an item of a hot record, `open` gives a segment's items
   * (its requests issued before it returns, while `tx` is active). `upTo` fixes the
   * bound (a page read again). Otherwise the bound is the last hot position (when
   * the hot page is full) or, where nearer, the end of the segments that end first,
   * as many as hold about `limit` events: so each page finishes at least one
   * segment or hot page, and decodes only segments that overlap it. `scope` keeps to one stream's segments, and passes
   * over those whose summary rules out its filter (`only`).
   */
  page<T>(
    after: number,
    scope: ReadScope,
    hot: { records: EventRecord[]; limit: number },
    item: (record: EventRecord) => T,
    open: (key: number) => Promise<Positioned<T>>,
    upTo?: number,
  ): { bound: number; items: Promise<Iterable<T[]>> } {
    const { stream, only } = scope;
    const pending = this.directory.segments(
      (m) =>
        m.lastPos > after &&
        (stream === undefined || m.stream === stream) &&
        (only === undefined || mayHold(m, only)),
    );
    const { records, limit } = hot;
    let bound = upTo ?? Infinity;
    if (upTo === undefined) {
      if (records.length === limit) bound = records[records.length - 1]!.pos;
      // The segments that end first, as many as hold about `limit` events: a stretch
      // of small segments (single appends, packed as they came) is one page, where a
      // page for each made 1,785 pages and 447 transactions of 2,000 recent events.
      const ends = pending
        .map(([, meta]) => meta)
        .filter((meta) => meta.lastPos < bound)
        .sort((a, b) => a.lastPos - b.lastPos);
      let events = 0;
      for (const meta of ends) {
        events += meta.ids.length / ID_BYTES;
        if (events >= limit) {
          bound = meta.lastPos;
          break;
        }
      }
      // Fewer than that in all: the page takes them all, up to the hot page's end
      // (or to the end of the log, when that is not full).
    }
    const overlapping = pending.filter(([, meta]) => meta.firstPos <= bound);
    const opening = Promise.all(overlapping.map(([key]) => open(key)));
    // Once the segments are in, the items are made run by run as the reader takes them.
    const items = opening.then((opened) =>
      mergeRuns([positionedHot(records, item), ...opened], after, bound),
    );
    return { bound, items };
  }
}

/** Records as positioned items of themselves. */
export const positioned = (
  records: EventRecord[],
): Positioned<EventRecord> => ({
  positions: records.map((r) => r.pos),
  run: (from, to) => records.slice(from, to),
});

/** Hot records (in position order) as positioned items made by `item`. */
const positionedHot = <T>(
  records: EventRecord[],
  item: (record: EventRecord) => T,
): Positioned<T> => ({
  positions: records.map((r) => r.pos),
  run: (from, to) => records.slice(from, to).map(item),
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
