/**
 * What a Yjs update (format v1, as `Y.encodeStateAsUpdate` writes it) holds, read
 * without building it: per item its id, length, neighbours and whether it is text,
 * and the deleted ranges. `Y.decodeUpdate` makes an Item, an ID per neighbour and a
 * string per run of text for the same answer; the insights projection reads every
 * text edit of the log this way (a third of its fold was that decoding, and much of
 * its garbage).
 *
 * Updates come from other replicas: the scan reads strictly within the bytes and
 * throws on anything out of place, where lib0's decoder reads past the end as
 * undefined. So on a malformed update the two may disagree; on any update Yjs
 * writes they agree exactly (test/unit/update-scan.property.test.ts).
 */

import { ByteReader } from '../log/byte-reader.ts';
import { holdsSurrogate } from './text-splice.ts';

/** One item's numbers in `ScannedUpdate.items`. */
export const ITEM_STRIDE = 8;
/**
 * Per item, ITEM_STRIDE numbers: client, clock, length, 1 if its content is text
 * (a Y.ContentString) else 0, the origin's client and clock, the right origin's
 * client and clock (-1, -1 when it has none).
 */
export type ItemColumns = number[];

export interface ScannedUpdate {
  items: ItemColumns;
  /** Per deleted range, three numbers: client, clock, length. */
  deletes: number[];
  /**
   * Whether a text item holds a character outside the BMP, a surrogate pair in
   * UTF-16 (an emoji, say). A text known to hold none holds none after an update
   * without one: DocState need not read the whole text again to know.
   */
  astral: boolean;
  /**
   * The clock ranges the update writes under, per client: three numbers each, the
   * client, the first clock and the clock after the last of its structs (items, and
   * garbage-collected runs, which take up their clocks as well; not skips).
   */
  claims: number[];
}

/** A ScannedUpdate to read into, again and again. */
export const emptyScan = (): ScannedUpdate => ({
  items: [],
  deletes: [],
  astral: false,
  claims: [],
});

/** An update's bytes, read: anything out of place is a RangeError. */
class Reader extends ByteReader {
  /** Set once a string read by `stringLength` holds a character outside the BMP. */
  astral = false;

  constructor(bytes: Uint8Array) {
    super(bytes, (problem) => new RangeError(`the update: ${problem}`));
  }

  /** A var string's length in UTF-16 code units, as Yjs's decoded string has. */
  stringLength(): number {
    const n = this.varint();
    const start = this.skip(n);
    const units = utf16Length(this.bytes, start, start + n);
    if (units < 0) {
      // Not valid UTF-8: as TextDecoder makes it (replacements, and what was valid).
      const text = decoder.decode(this.bytes.subarray(start, start + n));
      if (holdsSurrogate(text)) this.astral = true;
      return text.length;
    }
    // Valid UTF-8 takes a unit per character, and two for one outside the BMP:
    // characters are the bytes that do not continue one (10xxxxxx). As many units
    // as bytes: ASCII, nothing to count.
    if (units < n && units > n - continuations(this.bytes, start, start + n))
      this.astral = true;
    return units;
  }

  string(): string {
    return decoder.decode(this.raw(this.varint()));
  }

  /** Skips one value of lib0's `any` encoding. */
  any(depth = 0): void {
    if (depth > 64) throw this.fail('values nested too deep');
    const tag = this.byte();
    switch (tag) {
      case 127: // undefined
      case 126: // null
      case 121: // false
      case 120: // true
        return;
      case 125: // var int: continuation bit as a var uint's
        while (this.byte() >= 0x80);
        return;
      case 124:
        this.skip(4);
        return;
      case 123:
      case 122:
        this.skip(8);
        return;
      case 119:
      case 116:
        this.skip(this.varint());
        return;
      case 118: {
        for (let i = this.varint(); i > 0; i--) {
          this.skip(this.varint());
          this.any(depth + 1);
        }
        return;
      }
      case 117: {
        for (let i = this.varint(); i > 0; i--) this.any(depth + 1);
        return;
      }
      default:
        throw this.fail(`unknown value tag ${tag}`);
    }
  }
}

const decoder = new TextDecoder();

/** How many of `bytes` start..end continue a UTF-8 sequence (10xxxxxx). */
function continuations(bytes: Uint8Array, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) if ((bytes[i]! & 0xc0) === 0x80) n++;
  return n;
}

/**
 * The UTF-16 length of `bytes` start..end, counted from the lead bytes, when they
 * are valid UTF-8; else -1 (TextDecoder must make of them what it makes).
 */
function utf16Length(bytes: Uint8Array, start: number, end: number): number {
  let units = 0;
  for (let i = start; i < end;) {
    const b = bytes[i]!;
    if (b < 0x80) {
      units++;
      i++;
      continue;
    }
    const extra = b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : b >= 0xc2 ? 1 : -1;
    if (extra < 0 || b > 0xf4 || i + extra >= end) return -1;
    for (let k = 1; k <= extra; k++)
      if ((bytes[i + k]! & 0xc0) !== 0x80) return -1;
    const second = bytes[i + 1]!;
    // Overlong forms, surrogates and past U+10FFFF are not valid UTF-8.
    if (
      (b === 0xe0 && second < 0xa0) ||
      (b === 0xed && second > 0x9f) ||
      (b === 0xf0 && second < 0x90) ||
      (b === 0xf4 && second > 0x8f)
    )
      return -1;
    units += extra === 3 ? 2 : 1;
    i += extra + 1;
  }
  return units;
}

/**
 * Reads `update` into `into` (its arrays emptied first; pass the same object again
 * to read without allocating).
 * @throws RangeError, SyntaxError (a JSON content that does not parse) or TypeError
 *   on a malformed update.
 */
export function scanUpdate(
  update: Uint8Array,
  into: ScannedUpdate = emptyScan(),
): ScannedUpdate {
  const { items, deletes, claims } = into;
  into.astral = false;
  items.length = 0;
  deletes.length = 0;
  claims.length = 0;
  const r = new Reader(update);
  for (let clients = r.varint(); clients > 0; clients--) {
    let structs = r.varint();
    const client = r.varint();
    let clock = r.varint();
    let first = -1;
    let end = -1;
    for (; structs > 0; structs--) {
      const info = r.byte();
      if (info === 10 || (info & 0x1f) === 0) {
        // A skip, or a garbage-collected range: no item. A range still takes
        // up its clocks.
        const length = r.varint();
        if (info !== 10) {
          if (first < 0) first = clock;
          end = clock + length;
        }
        clock += length;
        continue;
      }
      if (first < 0) first = clock;
      const originClient = info & 0x80 ? r.varint() : -1;
      const originClock = originClient >= 0 ? r.varint() : -1;
      const rightClient = info & 0x40 ? r.varint() : -1;
      const rightClock = rightClient >= 0 ? r.varint() : -1;
      if ((info & 0xc0) === 0) {
        // Its parent, named: a root type's name, or an item's id.
        if (r.varint() === 1) r.string();
        else {
          r.varint();
          r.varint();
        }
        if (info & 0x20) r.string(); // a map key
      }
      const [length, text] = content(r, info & 0x1f);
      items.push(
        client,
        clock,
        length,
        text,
        originClient,
        originClock,
        rightClient,
        rightClock,
      );
      clock += length;
      end = clock;
    }
    if (first >= 0) claims.push(client, first, end);
  }
  for (let clients = r.varint(); clients > 0; clients--) {
    const client = r.varint();
    for (let ranges = r.varint(); ranges > 0; ranges--)
      deletes.push(client, r.varint(), r.varint());
  }
  into.astral = r.astral;
  return into;
}

/** An item's content (`kind`: its info's low bits) read past: [length, 1 if text]. */
function content(r: Reader, kind: number): [number, number] {
  switch (kind) {
    case 1: // deleted
      return [r.varint(), 0];
    case 2: {
      // JSON values, each a string that parses (or 'undefined')
      const n = r.varint();
      for (let i = 0; i < n; i++) {
        const value = r.string();
        if (value !== 'undefined') JSON.parse(value);
      }
      return [n, 0];
    }
    case 3: // binary
      r.skip(r.varint());
      return [1, 0];
    case 4:
      return [r.stringLength(), 1];
    case 5: // embed
      JSON.parse(r.string());
      return [1, 0];
    case 6: // format: key, JSON value
      r.string();
      JSON.parse(r.string());
      return [1, 0];
    case 7: {
      // a nested type; XML elements and hooks carry a name
      const ref = r.varint();
      if (ref > 6) throw new RangeError(`unknown type ${ref}`);
      if (ref === 3 || ref === 5) r.string();
      return [1, 0];
    }
    case 8: {
      const n = r.varint();
      for (let i = 0; i < n; i++) r.any();
      return [n, 0];
    }
    case 9: // a subdocument: guid, options
      r.string();
      r.any();
      return [1, 0];
    default:
      throw new RangeError(`unknown content ${kind}`);
  }
}
