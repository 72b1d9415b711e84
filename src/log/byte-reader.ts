/**
 * Reads bytes in order, strictly within them: a read past the end, or a number
 * longer than a safe integer, throws the error `fail` makes, never reads undefined.
 * The segment codec and the Yjs update scan read with it.
 */
export class ByteReader {
  private at = 0;
  constructor(
    readonly bytes: Uint8Array,
    protected readonly fail: (problem: string) => Error,
  ) {}

  /** Where the next read starts. */
  get offset(): number {
    return this.at;
  }

  get atEnd(): boolean {
    return this.at >= this.bytes.length;
  }

  byte(): number {
    if (this.at >= this.bytes.length) throw this.fail('it ends early');
    return this.bytes[this.at++]!;
  }

  /** An unsigned LEB128 number (lib0's var uint): 7 bits a byte, lowest first. */
  varint(): number {
    // Read through locals, the position written back once: a segment's columns
    // and a Yjs update are mostly varints, and reading each byte through byte()
    // made this a tenth of a fold's time in Chromium.
    const { bytes } = this;
    const end = bytes.length;
    let at = this.at;
    // Most numbers of a segment or an update take one byte.
    if (at < end && bytes[at]! < 0x80) {
      this.at = at + 1;
      return bytes[at]!;
    }
    let value = 0;
    let scale = 1;
    for (;;) {
      if (at >= end) throw this.fail('it ends early');
      const b = bytes[at++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 0x80;
      if (scale > Number.MAX_SAFE_INTEGER)
        throw this.fail('a number is too long');
    }
    this.at = at;
    return value;
  }

  raw(length: number): Uint8Array {
    const at = this.skip(length);
    return this.bytes.subarray(at, at + length);
  }

  /** Passes over `length` bytes without a view of them: where they start. */
  skip(length: number): number {
    if (this.at + length > this.bytes.length) throw this.fail('it ends early');
    const at = this.at;
    this.at += length;
    return at;
  }
}
