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
    // Most numbers of a segment or an update take one byte.
    const { bytes } = this;
    if (this.at < bytes.length && bytes[this.at]! < 0x80)
      return bytes[this.at++]!;
    let value = 0;
    let scale = 1;
    for (;;) {
      const b = this.byte();
      value += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 0x80;
      if (scale > Number.MAX_SAFE_INTEGER)
        throw this.fail('a number is too long');
    }
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
