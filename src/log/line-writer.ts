/**
 * Export lines written as UTF-8 straight into one growing buffer: no string per line
 * and no encoding pass after. A segment's events become their lines this way
 * (`segmentLineBytes`): the ids, parents, HLCs and times are formatted from numbers
 * and raw bytes, the JSON data is copied as stored, and every other piece is a
 * constant or a dictionary entry encoded once per segment.
 */

const BASE64URL =
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const BASE64 =
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const codes = (alphabet: string) =>
  Uint8Array.from(alphabet, (c) => c.charCodeAt(0));
const URL_CODES = codes(BASE64URL);
const STD_CODES = codes(BASE64);
const HEX_CODES = codes('0123456789abcdef');
const EQUALS = 0x3d;

const utf8 = new TextEncoder();

/** `text` as UTF-8 bytes (for the constant and per-segment pieces of a line). */
export const utf8Bytes = (text: string): Uint8Array => utf8.encode(text);

export class LineWriter {
  private buffer: Uint8Array;
  private at = 0;

  constructor(capacity = 1 << 16) {
    this.buffer = new Uint8Array(capacity);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.at;
  }

  private room(n: number): void {
    if (this.at + n <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.at + n));
    grown.set(this.buffer.subarray(0, this.at));
    this.buffer = grown;
  }

  bytes(bytes: Uint8Array): void {
    this.range(bytes, 0, bytes.length);
  }

  /** `n` bytes of `source` from `from`. */
  range(source: Uint8Array, from: number, n: number): void {
    this.room(n);
    // TypedArray.set costs more per call than a short loop (a line has a dozen
    // short pieces); past 32 bytes it wins (measured in V8: 32 is 18% faster than
    // 1024 over whole segments' lines, 8 and 16 slower).
    if (n > 32) this.buffer.set(source.subarray(from, from + n), this.at);
    else {
      const { buffer, at } = this;
      for (let i = 0; i < n; i++) buffer[at + i] = source[from + i]!;
    }
    this.at += n;
  }

  byte(value: number): void {
    this.room(1);
    this.buffer[this.at++] = value;
  }

  /** Text known to be ASCII (digits, ISO times): one byte per character. */
  ascii(text: string): void {
    this.room(text.length);
    const { buffer } = this;
    for (let i = 0; i < text.length; i++)
      buffer[this.at++] = text.charCodeAt(i);
  }

  /** A non-negative integer in decimal. */
  decimal(value: number): void {
    this.ascii(String(value));
  }

  /**
   * `value` in lowercase hexadecimal, zero-padded to `width` digits (it must fit, and
   * be below 2^48): as two 24-bit integers, shifted, not divided as doubles.
   */
  hex(value: number, width: number): void {
    this.room(width);
    const { buffer, at } = this;
    let low = value % 0x1000000;
    let high = (value - low) / 0x1000000;
    for (let i = width - 1; i >= 0; i--) {
      if (i >= width - 6) {
        buffer[at + i] = HEX_CODES[low & 15]!;
        low >>>= 4;
      } else {
        buffer[at + i] = HEX_CODES[high & 15]!;
        high >>>= 4;
      }
    }
    this.at += width;
  }

  /** `n` bytes of `source` from `from` as base64url without padding (RFC 4648 §5). */
  base64url(source: Uint8Array, from: number, n: number): void {
    this.base64Of(source, from, n, URL_CODES, false);
  }

  /** `n` bytes of `source` from `from` as standard base64 with padding, as CloudEvents `data_base64` carries bytes. */
  base64(source: Uint8Array, from: number, n: number): void {
    this.base64Of(source, from, n, STD_CODES, true);
  }

  private base64Of(
    source: Uint8Array,
    from: number,
    n: number,
    alphabet: Uint8Array,
    pad: boolean,
  ): void {
    this.room(Math.ceil(n / 3) * 4);
    const { buffer } = this;
    const end = from + n;
    let i = from;
    for (; i + 2 < end; i += 3) {
      const v = (source[i]! << 16) | (source[i + 1]! << 8) | source[i + 2]!;
      buffer[this.at++] = alphabet[v >> 18]!;
      buffer[this.at++] = alphabet[(v >> 12) & 63]!;
      buffer[this.at++] = alphabet[(v >> 6) & 63]!;
      buffer[this.at++] = alphabet[v & 63]!;
    }
    const rest = end - i;
    if (rest === 0) return;
    const v = (source[i]! << 16) | (rest === 2 ? source[i + 1]! << 8 : 0);
    buffer[this.at++] = alphabet[v >> 18]!;
    buffer[this.at++] = alphabet[(v >> 12) & 63]!;
    if (rest === 2) buffer[this.at++] = alphabet[(v >> 6) & 63]!;
    else if (pad) buffer[this.at++] = EQUALS;
    if (pad) buffer[this.at++] = EQUALS;
  }

  /** Everything written, as a view of the buffer (valid until the next write). */
  written(): Uint8Array {
    return this.buffer.subarray(0, this.at);
  }
}

/**
 * The ISO form of a wall clock (`Date.prototype.toISOString`), written from a cached
 * prefix per second: consecutive events mostly share their second.
 */
export class IsoTimes {
  private second = NaN;
  private prefix = '';

  /** Writes `wall`'s ISO time; false (nothing written) outside years 0–9999. */
  write(out: LineWriter, wall: number): boolean {
    if (!(wall >= 0 && wall <= 253402300799999) || !Number.isInteger(wall))
      return false;
    const second = Math.floor(wall / 1000);
    if (second !== this.second) {
      this.second = second;
      // "YYYY-MM-DDTHH:MM:SS."
      this.prefix = new Date(second * 1000).toISOString().slice(0, 20);
    }
    out.ascii(this.prefix);
    const ms = wall - second * 1000;
    out.byte(0x30 + Math.floor(ms / 100));
    out.byte(0x30 + (Math.floor(ms / 10) % 10));
    out.byte(0x30 + (ms % 10));
    out.byte(0x5a); // Z
    return true;
  }
}

/**
 * How many newlines `bytes` holds: four bytes at a time (a byte of `v ^ 0x0a0a0a0a`
 * is zero where a newline is, and `((x & 0x7f…) + 0x7f…) | x` has the top bit of
 * each nonzero byte set). Five times faster than an indexOf per line, which an
 * export's progress paid for every line.
 */
export function countNewlines(bytes: Uint8Array): number {
  const n = bytes.length;
  // Bytes before the first 4-byte boundary, then whole words, then the rest.
  const head = Math.min(n, (4 - (bytes.byteOffset % 4)) % 4);
  const words = (n - head) >>> 2;
  let count = 0;
  for (let i = 0; i < head; i++) if (bytes[i] === 10) count++;
  if (words > 0) {
    const view = new Uint32Array(bytes.buffer, bytes.byteOffset + head, words);
    for (let k = 0; k < words; k++) {
      const v = view[k]! ^ 0x0a0a0a0a;
      const nonzero =
        ((((v & 0x7f7f7f7f) + 0x7f7f7f7f) | v) & 0x80808080) >>> 0;
      if (nonzero !== 0x80808080)
        count += 4 - (Math.imul(nonzero >>> 7, 0x01010101) >>> 24);
    }
  }
  for (let i = head + words * 4; i < n; i++) if (bytes[i] === 10) count++;
  return count;
}

/**
 * `parts` as one array. Parts that follow each other in one buffer (a segment's
 * lines, which a page mostly takes in a row) are one range; a single range is
 * returned as a view of its buffer, not copied (copying 400 KB took 1.6 ms in
 * Chromium, as long as making the lines).
 */
export function concatBytes(parts: Uint8Array[]): Uint8Array {
  // Runs as [first part, end offset]: no view is made until a run is copied.
  const runs: [Uint8Array, number][] = [];
  let length = 0;
  for (const part of parts) {
    length += part.length;
    const run = runs[runs.length - 1];
    if (run && run[0].buffer === part.buffer && run[1] === part.byteOffset)
      run[1] += part.length;
    else runs.push([part, part.byteOffset + part.length]);
  }
  const view = ([first, end]: [Uint8Array, number]) =>
    new Uint8Array(first.buffer, first.byteOffset, end - first.byteOffset);
  // A page within one segment: its lines as they are, no copy.
  if (runs.length === 1) return view(runs[0]!);
  const out = new Uint8Array(length);
  let at = 0;
  for (const run of runs) {
    out.set(view(run), at);
    at += run[1] - run[0].byteOffset;
  }
  return out;
}
