import { ByteReader } from './byte-reader.ts';
import { deflateSync, inflateSync } from 'fflate';
import { fromBase64Url, sixteenToBase64Url, toBase64Url } from './base64url.ts';
import { canonicalJson } from './canonical-json.ts';
import { isoOf } from './event-time.ts';
import { formatHlc, MAX_COUNTER, MAX_WALL, parseHlc } from './hlc.ts';
import { IsoTimes, LineWriter, utf8Bytes } from './line-writer.ts';
import type { EventFilter } from './event-filter.ts';
import type { Positioned } from './merge-runs.ts';
import type { EventRecord } from './store.ts';
import type { EventId, Json, LogEvent } from './types.ts';

// A segment packs a run of one stream's events into columns (issue 14): one column per
// field, so that like sits beside like and a general-purpose compressor finds the
// repetition (the same actor, seq + 1, a few milliseconds of HLC, Yjs updates that
// share their client id). What an event is (DESIGN §1) does not change: decoding gives
// back every field exactly, so ids recompute from the content as before.
//
// A segment holds stored records (an event plus its local position, arrival time and
// generation), so a store can keep any run of them in one place.
//
// Two parts. `ids`: the events' ids, 16 raw bytes each, in order, uncompressed (hashes
// do not compress, and a store keeps them apart to find events without decoding).
// `body`: deflate-raw of magic, version, event count, then length-prefixed sections:
//   dictionaries (actors, types, authors), flags, actor indexes, seq deltas, type
//   indexes, author indexes, HLC wall deltas, HLC counters, explicit times, explicit
//   parents, data lengths, data bytes, position deltas, arrival-time deltas,
//   generation deltas.
// Integers are LEB128 varints; signed deltas are zigzag-encoded. Compression is
// synchronous (fflate) on purpose: a store reads segments inside IndexedDB
// transactions, which commit if the code awaits anything but their own requests.

const MAGIC = 0x46; // 'F'
const VERSION = 2;
export const ID_BYTES = 16;

/** Flags, one byte per event. */
const PARENT_IS_PREVIOUS = 1; // parents == [the event before it in the segment]
const EXPLICIT_TIME = 2; // time is not the ISO form of its HLC's wall clock
const BYTES_DATA = 4; // data is a Uint8Array, not JSON
const HAS_AUTHOR = 8;

/** The columns after the dictionaries, in the order they are written. */
const COLUMNS = [
  'flags',
  'actorIndexes',
  'seqDeltas',
  'typeIndexes',
  'authorIndexes',
  'walls',
  'counters',
  'times',
  'parents',
  'dataLengths',
  'data',
  'positions',
  'arrivals',
  'gens',
] as const;
type Column = (typeof COLUMNS)[number];

/** One `T` per column, made in column order (reading depends on it). */
function columnsOf<T>(make: () => T): Record<Column, T> {
  const out = {} as Record<Column, T>;
  for (const column of COLUMNS) out[column] = make();
  return out;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A segment that does not decode: corrupted storage, or not a segment at all. */
export class SegmentFormatError extends Error {
  constructor(reason: string) {
    super(`Not a readable segment: ${reason}.`);
    this.name = 'SegmentFormatError';
  }
}

class ByteWriter {
  private bytes = new Uint8Array(256);
  length = 0;

  private reserve(more: number): void {
    if (this.length + more <= this.bytes.length) return;
    const grown = new Uint8Array(
      Math.max(this.length + more, this.bytes.length * 2),
    );
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  byte(value: number): void {
    this.reserve(1);
    this.bytes[this.length++] = value;
  }

  /** Unsigned LEB128, exact for any safe integer. */
  varint(value: number): void {
    this.reserve(8);
    while (value >= 0x80) {
      this.bytes[this.length++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.bytes[this.length++] = value;
  }

  /** Zigzag: small negative and positive deltas both stay small. */
  signed(value: number): void {
    this.varint(value < 0 ? -value * 2 - 1 : value * 2);
  }

  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
  }

  text(value: string): void {
    const encoded = utf8.encode(value);
    this.varint(encoded.length);
    this.raw(encoded);
  }

  done(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

/** A segment's bytes, read: anything out of place is a SegmentFormatError. */
class SegmentReader extends ByteReader {
  constructor(bytes: Uint8Array) {
    super(bytes, (problem) => new SegmentFormatError(problem));
  }

  signed(): number {
    const z = this.varint();
    // Bit operations while they can (a double's `%` was a tenth of a decode).
    if (z <= 0x7fffffff) return z & 1 ? -(z >>> 1) - 1 : z >>> 1;
    return z % 2 === 1 ? -(z + 1) / 2 : z / 2;
  }

  text(): string {
    return fromUtf8.decode(this.raw(this.varint()));
  }

  /** The next length-prefixed section, read by its own reader. */
  section(): SegmentReader {
    return new SegmentReader(this.raw(this.varint()));
  }
}

/** Strings numbered in order of first use. */
class Dictionary {
  readonly entries: string[] = [];
  private readonly index = new Map<string, number>();
  indexOf(value: string): number {
    let i = this.index.get(value);
    if (i === undefined) {
      i = this.entries.length;
      this.entries.push(value);
      this.index.set(value, i);
    }
    return i;
  }
}

function idBytes(id: EventId): Uint8Array {
  const bytes = fromBase64Url(id);
  if (bytes.length !== ID_BYTES)
    throw new SegmentFormatError(`event id ${id} is not ${ID_BYTES} bytes`);
  return bytes;
}

/** A run of one stream's records, packed. */
export interface PackedSegment {
  /** The events' ids, ID_BYTES raw bytes each, in the segment's order. */
  ids: Uint8Array;
  /** Every other column, compressed. */
  body: Uint8Array;
}

/**
 * Packs records of one stream, in the order given, into a segment. The stream's name
 * is not stored: whoever keeps the segment knows it. Nothing else is checked here:
 * the events were verified when they were stored.
 * @throws SegmentFormatError when the records are not all of one stream.
 */
export function encodeSegment(records: readonly EventRecord[]): PackedSegment {
  const stream = records[0]?.event.stream;
  if (records.some((r) => r.event.stream !== stream))
    throw new SegmentFormatError('a segment holds events of one stream');
  const actors = new Dictionary();
  const types = new Dictionary();
  const authors = new Dictionary();
  const ids = new Uint8Array(records.length * ID_BYTES);
  const columns = columnsOf(() => new ByteWriter());
  const {
    flags,
    actorIndexes,
    seqDeltas,
    typeIndexes,
    authorIndexes,
    walls,
    counters,
    times,
    parents,
    dataLengths,
    data,
    positions,
    arrivals,
    gens,
  } = columns;
  const positionOf = new Map<EventId, number>();
  const lastSeq = new Map<string, number>();
  let lastWall = 0;
  let last = { pos: 0, recordedAt: 0, gen: 0 };
  records.forEach((record, i) => {
    const { event } = record;
    let flag = 0;
    const previous = i > 0 ? records[i - 1]!.event.id : undefined;
    if (event.parents.length === 1 && event.parents[0] === previous)
      flag |= PARENT_IS_PREVIOUS;
    const { wall, counter } = parseHlc(event.hlc);
    if (event.time !== isoOf(wall)) flag |= EXPLICIT_TIME;
    const bytes = event.data instanceof Uint8Array ? event.data : undefined;
    if (bytes) flag |= BYTES_DATA;
    if (event.author !== undefined) flag |= HAS_AUTHOR;
    flags.byte(flag);

    ids.set(idBytes(event.id), i * ID_BYTES);
    positionOf.set(event.id, i);
    const actor = actors.indexOf(event.actor);
    actorIndexes.varint(actor);
    seqDeltas.signed(event.seq - (lastSeq.get(event.actor) ?? 0));
    lastSeq.set(event.actor, event.seq);
    typeIndexes.varint(types.indexOf(event.type));
    if (event.author !== undefined)
      authorIndexes.varint(authors.indexOf(event.author));
    walls.signed(wall - lastWall);
    lastWall = wall;
    counters.varint(counter);
    if (flag & EXPLICIT_TIME) times.text(event.time);
    if (!(flag & PARENT_IS_PREVIOUS)) {
      parents.varint(event.parents.length);
      for (const parent of event.parents) {
        // Within the segment: its position + 1; outside it: 0, then the raw id.
        const at = positionOf.get(parent);
        if (at === undefined) {
          parents.varint(0);
          parents.raw(idBytes(parent));
        } else parents.varint(at + 1);
      }
    }
    const payload = bytes ?? utf8.encode(canonicalJson(event.data));
    dataLengths.varint(payload.length);
    data.raw(payload);
    positions.signed(record.pos - last.pos);
    arrivals.signed(record.recordedAt - last.recordedAt);
    gens.signed(record.gen - last.gen);
    last = record;
  });

  const out = new ByteWriter();
  out.byte(MAGIC);
  out.byte(VERSION);
  out.varint(records.length);
  const dictionaries = new ByteWriter();
  for (const dictionary of [actors, types, authors]) {
    dictionaries.varint(dictionary.entries.length);
    for (const entry of dictionary.entries) dictionaries.text(entry);
  }
  for (const section of [dictionaries, ...COLUMNS.map((c) => columns[c])]) {
    const bytes = section.done();
    out.varint(bytes.length);
    out.raw(bytes);
  }
  return { ids, body: deflateSync(out.done()) };
}

/** The id of the `i`th event of a segment, from its `ids` part. */
export function segmentId(ids: Uint8Array, i: number): EventId {
  return sixteenToBase64Url(ids, i * ID_BYTES);
}

/** One event's fields as a segment stores them, before any object is built from them. */
interface Entry {
  index: number;
  flag: number;
  actor: number;
  seq: number;
  type: number;
  author: number;
  wall: number;
  counter: number;
  /** Set only for EXPLICIT_TIME. */
  time: string | undefined;
  /** Parents: an index in the segment, or the raw bytes of an id outside it. */
  parents: (number | Uint8Array)[] | undefined;
  /** Where the event's data starts in the data column, and its length in bytes. */
  dataAt: number;
  dataLength: number;
  pos: number;
  recordedAt: number;
  gen: number;
}

interface Walk {
  /** The data column: each event's data at `dataAt`, `dataLength` bytes. */
  dataColumn: Uint8Array;
  /** The whole data column as text when it is all ASCII (then byte offsets are string offsets). */
  asciiData(): string | undefined;
  count: number;
  actors: string[];
  types: string[];
  authors: string[];
  /** Calls `visit` with each event's fields in order; the entry object is reused. */
  each(visit: (entry: Entry) => void): void;
  /**
   * A walk of its own over the columns: each call gives the next event's fields
   * (the entry object is reused), `count` calls at most. A reader that wants a few
   * events builds objects for those alone.
   */
  cursor(): () => Entry;
  /** Every event's position, from that column alone. */
  positions(): number[];
}

/**
 * A segment's body inflated off the thread where the platform can (DecompressionStream:
 * native, several times faster than inflating in JavaScript), for reads that need not
 * stay inside a transaction.
 * @throws SegmentFormatError when the body does not inflate.
 */
export async function inflateBody(body: Uint8Array): Promise<Uint8Array> {
  if (typeof DecompressionStream === 'undefined') return inflateNow(body);
  try {
    // Written straight in: a Blob's stream would go through the browser's blob registry.
    const inflating = new DecompressionStream('deflate-raw');
    const writer = inflating.writable.getWriter();
    void writer.write(body as Uint8Array<ArrayBuffer>).catch(() => undefined);
    void writer.close().catch(() => undefined);
    return new Uint8Array(await new Response(inflating.readable).arrayBuffer());
  } catch (error) {
    throw new SegmentFormatError(
      `its body does not inflate (${String(error)})`,
    );
  }
}

/** A segment's body inflated synchronously, as a read inside a transaction must. */
function inflateNow(body: Uint8Array): Uint8Array {
  try {
    return inflateSync(body);
  } catch (error) {
    throw new SegmentFormatError(
      `its body does not inflate (${String(error)})`,
    );
  }
}

/**
 * Reads a segment's columns: the one place that knows their layout, for every output.
 * `inflated` is its body already inflated (inflateBody), else it is inflated here.
 */
function walk(segment: PackedSegment, inflated?: Uint8Array): Walk {
  const unpacked = inflated ?? inflateNow(segment.body);
  const input = new SegmentReader(unpacked);
  if (input.byte() !== MAGIC) throw new SegmentFormatError('wrong magic byte');
  const version = input.byte();
  if (version !== VERSION)
    throw new SegmentFormatError(`unknown version ${version}`);
  const count = input.varint();
  if (segment.ids.length !== count * ID_BYTES)
    throw new SegmentFormatError(
      `it holds ${count} events but ${segment.ids.length} bytes of ids`,
    );
  const dictionaries = input.section();
  const [actors, types, authors] = [0, 1, 2].map(() =>
    Array.from({ length: dictionaries.varint() }, () => dictionaries.text()),
  ) as [string[], string[], string[]];
  const columns = columnsOf(() => input.section());
  const check = (list: string[], i: number, what: string) => {
    if (i >= list.length)
      throw new SegmentFormatError(`${what} ${i} is not in its dictionary`);
    return i;
  };
  const self: Walk = {
    count,
    actors,
    types,
    authors,
    dataColumn: columns.data.bytes,
    asciiData() {
      // Byte data shares the column, and need not be text at all.
      const { bytes } = columns.data;
      for (let i = 0; i < bytes.length; i++)
        if (bytes[i]! >= 0x80) return undefined;
      return fromUtf8.decode(bytes);
    },
    each(visit) {
      const next = self.cursor();
      for (let i = 0; i < count; i++) visit(next());
    },
    positions() {
      const reader = new SegmentReader(columns.positions.bytes);
      const out = new Array<number>(count);
      let pos = 0;
      for (let i = 0; i < count; i++) out[i] = pos += reader.signed();
      return out;
    },
    cursor() {
      // Readers of its own over the sections: cursors do not disturb each other.
      const own = {} as Record<Column, SegmentReader>;
      for (const column of COLUMNS)
        own[column] = new SegmentReader(columns[column].bytes);
      const {
        flags,
        actorIndexes,
        seqDeltas,
        typeIndexes,
        authorIndexes,
        walls,
        counters,
        times,
        parents,
        dataLengths,
        data,
        positions,
        arrivals,
        gens,
      } = own;
      const lastSeq = new Float64Array(actors.length);
      const entry: Entry = {
        index: -1,
        flag: 0,
        actor: 0,
        seq: 0,
        type: 0,
        author: -1,
        wall: 0,
        counter: 0,
        time: undefined,
        parents: undefined,
        dataAt: 0,
        dataLength: 0,
        pos: 0,
        recordedAt: 0,
        gen: 0,
      };
      return () => {
        const i = entry.index + 1;
        if (i >= count) throw new RangeError('past the last event');
        const flag = flags.byte();
        entry.index = i;
        entry.flag = flag;
        const actor = check(actors, actorIndexes.varint(), 'actor');
        entry.actor = actor;
        entry.seq = lastSeq[actor]! + seqDeltas.signed();
        lastSeq[actor] = entry.seq;
        entry.type = check(types, typeIndexes.varint(), 'type');
        entry.author =
          flag & HAS_AUTHOR
            ? check(authors, authorIndexes.varint(), 'author')
            : -1;
        entry.wall += walls.signed();
        entry.counter = counters.varint();
        entry.time = flag & EXPLICIT_TIME ? times.text() : undefined;
        if (flag & PARENT_IS_PREVIOUS) {
          if (i === 0)
            throw new SegmentFormatError(
              'the first event names no previous one',
            );
          entry.parents = undefined;
        } else {
          // A loop, not Array.from over an array-like: that took a fifth of a
          // segment's decoding where writers interleave.
          const length = parents.varint();
          const list = new Array<number | Uint8Array>(length);
          for (let k = 0; k < length; k++) {
            const at = parents.varint();
            if (at > i)
              throw new SegmentFormatError(`event ${i} names a later parent`);
            list[k] = at === 0 ? parents.raw(ID_BYTES) : at - 1;
          }
          entry.parents = list;
        }
        entry.dataLength = dataLengths.varint();
        entry.dataAt = data.skip(entry.dataLength);
        entry.pos += positions.signed();
        entry.recordedAt += arrivals.signed();
        entry.gen += gens.signed();
        return entry;
      };
    },
  };
  return self;
}

/**
 * Builds a segment's records from its walk's entries, every field as it was stored.
 * `wholeAscii`: decode the data column once up front (a reader of every event);
 * else each event's data is decoded alone (a reader of a few).
 */
function recordMaker(
  segment: PackedSegment,
  stream: string,
  { count, actors, types, authors, dataColumn, asciiData }: Walk,
  wholeAscii: boolean,
): (e: Entry) => EventRecord {
  // One decode of the data column instead of one per event, when offsets allow.
  const ascii = wholeAscii ? asciiData() : undefined;
  const ids = new Array<EventId | undefined>(count);
  const idOf = (i: number) => (ids[i] ??= segmentId(segment.ids, i));
  return (e) => {
    const id = idOf(e.index);
    const time = e.time ?? isoOf(e.wall);
    if (time === undefined)
      throw new SegmentFormatError(`event ${id} has no time`);
    const event: LogEvent = {
      id,
      stream,
      type: types[e.type]!,
      data:
        e.flag & BYTES_DATA
          ? dataColumn.slice(e.dataAt, e.dataAt + e.dataLength)
          : (JSON.parse(
              ascii === undefined
                ? fromUtf8.decode(
                    dataColumn.subarray(e.dataAt, e.dataAt + e.dataLength),
                  )
                : ascii.slice(e.dataAt, e.dataAt + e.dataLength),
            ) as Json),
      parents: e.parents
        ? e.parents.map((p) =>
            typeof p === 'number' ? idOf(p) : toBase64Url(p),
          )
        : [idOf(e.index - 1)],
      actor: actors[e.actor]!,
      seq: e.seq,
      hlc: formatHlc({ wall: e.wall, counter: e.counter }),
      time,
    };
    if (e.author >= 0) event.author = authors[e.author]!;
    return { event, pos: e.pos, recordedAt: e.recordedAt, gen: e.gen };
  };
}

/**
 * The records a segment of `stream` holds, in its order, every field as it was stored.
 * `inflated`: its body already inflated (inflateBody).
 * @throws SegmentFormatError when the bytes are not a segment this code wrote.
 */
export function decodeSegment(
  segment: PackedSegment,
  stream: string,
  inflated?: Uint8Array,
): EventRecord[] {
  const w = walk(segment, inflated);
  const make = recordMaker(segment, stream, w, true);
  const records: EventRecord[] = [];
  w.each((e) => records.push(make(e)));
  return records;
}

/**
 * A segment of `stream` for a read in position order across streams, which wants a
 * few of its events at a time (streams written in turns interleave, so the first
 * page of a log touches a segment of every stream): its positions at once, from
 * their column alone, and records built only for the runs asked for. A run resumes
 * the walk where the last ended (a reader asks in order); one before it walks again
 * from the start. With `only`, an event its columns rule out is passed over
 * without an object (so a run may hold fewer records than it spans); a record
 * built may still not match, so the reader filters.
 * @throws SegmentFormatError when the bytes are not a segment this code wrote.
 */
export function segmentRuns(
  segment: PackedSegment,
  stream: string,
  inflated: Uint8Array,
  only?: EventFilter,
): Positioned<EventRecord> {
  const w = walk(segment, inflated);
  const make = recordMaker(segment, stream, w, false);
  const keep = only && entryMatcher(w, stream, only);
  let next = w.cursor();
  let at = 0;
  return {
    positions: w.positions(),
    run(from, to) {
      if (from < at) {
        next = w.cursor();
        at = 0;
      }
      for (; at < from; at++) next();
      const out: EventRecord[] = [];
      for (; at < to; at++) {
        const e = next();
        if (!keep || keep(e)) out.push(make(e));
      }
      return out;
    },
  };
}

/**
 * Whether an entry can pass `filter`, from its columns: dictionary indexes compared
 * as numbers, times from the HLC wall clock unless stored apart. Never false for an
 * event the filter matches (`matcherOf`).
 */
function entryMatcher(
  { actors, types, authors }: Walk,
  stream: string,
  filter: EventFilter,
): (e: Entry) => boolean {
  if (filter.streams !== undefined && !stream.startsWith(filter.streams))
    return () => false;
  const typeOk = types.map((t) => !filter.types || filter.types.includes(t));
  const actorOk = actors.map(
    (a) => filter.actor === undefined || a === filter.actor,
  );
  // An event's author is its `author`, else its actor (authorOf).
  const authorOk = authors.map(
    (a) => filter.author === undefined || a === filter.author,
  );
  const actorAuthorOk = actors.map(
    (a) => filter.author === undefined || a === filter.author,
  );
  const timed = filter.from !== undefined || filter.to !== undefined;
  const from = filter.from === undefined ? -Infinity : Date.parse(filter.from);
  const to = filter.to === undefined ? Infinity : Date.parse(filter.to);
  return (e) => {
    if (!typeOk[e.type] || !actorOk[e.actor]) return false;
    if (!(e.author >= 0 ? authorOk[e.author] : actorAuthorOk[e.actor]))
      return false;
    if (timed) {
      // An implicit time is the ISO form of the wall clock: it parses back to it.
      const time = e.time === undefined ? e.wall : Date.parse(e.time);
      if (!(time >= from && time <= to)) return false;
    }
    return true;
  };
}

/** A segment's events as export lines: their positions, and where each line ends. */
export interface SegmentLines {
  positions: number[];
  /** Every line, UTF-8, each ending in a newline. */
  bytes: Uint8Array;
  /** `ends[i]`: the offset just past line i in `bytes`. */
  ends: Uint32Array;
}

// The constant pieces of a line, in `cloudEventLine`'s order.
const PIECE = {
  openId: utf8Bytes('{"specversion":"1.0","id":"'),
  json: utf8Bytes(',"datacontenttype":"application/json","data":'),
  bytes: utf8Bytes(
    ',"datacontenttype":"application/octet-stream","data_base64":"',
  ),
  parents: utf8Bytes(',"parents":"'),
  hlc: utf8Bytes('","hlc":"'),
  author: utf8Bytes('","author":'),
  close: utf8Bytes('}\n'),
};

const QUOTE = 0x22;
const SPACE = 0x20;
const DOT = 0x2e;

/**
 * A segment's events as the JSON Lines an export writes, byte for byte what
 * `cloudEventLine` writes for each event, but straight from the columns into one
 * UTF-8 buffer: no object and no string per event. JSON data is copied as stored
 * (it is canonical JSON already), bytes are base64-encoded in place, and what lies
 * between two variable fields is composed once per segment (per type, per actor).
 * @throws SegmentFormatError when the bytes are not a segment this code wrote.
 */
export function segmentLines(
  segment: PackedSegment,
  stream: string,
  source: string,
  inflated?: Uint8Array,
): SegmentLines {
  const { count, actors, types, authors, each, dataColumn } = walk(
    segment,
    inflated,
  );
  const q = JSON.stringify;
  // `","source":…,"type":…,"subject":…,"time":` per type.
  const afterId = types.map((type) =>
    utf8Bytes(
      `","source":${q(source)},"type":${q(type)},"subject":${q(stream)},"time":`,
    ),
  );
  // `","actor":…,"seq":"` per actor (the parents' closing quote first).
  const afterParents = actors.map((actor) =>
    utf8Bytes(`","actor":${q(actor)},"seq":"`),
  );
  const authorNames = authors.map((author) => utf8Bytes(q(author)));
  const { ids } = segment;
  const out = new LineWriter(count * 400);
  const times = new IsoTimes();
  const positions: number[] = [];
  const ends = new Uint32Array(count);
  const id = (index: number) => out.base64url(ids, index * ID_BYTES, ID_BYTES);
  each((e) => {
    out.bytes(PIECE.openId);
    id(e.index);
    out.bytes(afterId[e.type]!);
    if (e.time !== undefined) out.bytes(utf8Bytes(q(e.time)));
    else {
      out.byte(QUOTE);
      if (!times.write(out, e.wall))
        throw new SegmentFormatError(
          `event ${segmentId(ids, e.index)} has no time`,
        );
      out.byte(QUOTE);
    }
    if (e.flag & BYTES_DATA) {
      out.bytes(PIECE.bytes);
      out.base64(dataColumn, e.dataAt, e.dataLength);
      out.byte(QUOTE);
    } else {
      out.bytes(PIECE.json);
      out.range(dataColumn, e.dataAt, e.dataLength);
    }
    out.bytes(PIECE.parents);
    if (!e.parents) id(e.index - 1);
    else
      e.parents.forEach((p, k) => {
        if (k > 0) out.byte(SPACE);
        if (typeof p === 'number') id(p);
        else out.base64url(p, 0, p.length);
      });
    out.bytes(afterParents[e.actor]!);
    out.decimal(e.seq);
    out.bytes(PIECE.hlc);
    if (!(e.wall >= 0 && e.wall <= MAX_WALL && e.counter <= MAX_COUNTER))
      throw new SegmentFormatError(
        `event ${segmentId(ids, e.index)} has an HLC out of range`,
      );
    out.hex(e.wall, 12);
    out.byte(DOT);
    out.hex(e.counter, 4);
    if (e.author >= 0) {
      out.bytes(PIECE.author);
      out.bytes(authorNames[e.author]!);
    } else out.byte(QUOTE);
    out.bytes(PIECE.close);
    positions.push(e.pos);
    ends[e.index] = out.length;
  });
  return { positions, bytes: out.written(), ends };
}
