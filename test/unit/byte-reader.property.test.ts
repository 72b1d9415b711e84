import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../src/log/byte-reader.ts';
import { assertProperty } from '../support/property.ts';

const reader = (bytes: Uint8Array) =>
  new ByteReader(bytes, (problem) => new RangeError(problem));

/**
 * `values` as var uints: LEB128, 7 bits a byte, lowest first, as lib0 writes them
 * for Yjs's updates and the segment codec for its columns.
 */
function written(values: number[]): Uint8Array {
  const out: number[] = [];
  for (let value of values) {
    while (value >= 0x80) {
      out.push((value % 0x80) | 0x80);
      value = Math.floor(value / 0x80);
    }
    out.push(value);
  }
  return new Uint8Array(out);
}

describe('a var uint read from bytes another replica sent', () => {
  it('reads back what was written, one after another, up to the largest safe integer', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.nat({ max: 127 }),
            fc.nat({ max: 2 ** 32 }),
            fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
          ),
          { maxLength: 30 },
        ),
        async (values) => {
          const bytes = written(values);
          const r = reader(bytes);
          expect(values.map(() => r.varint())).toEqual(values);
          expect(r.offset).toBe(bytes.length);
          expect(() => r.varint()).toThrow('it ends early');
        },
      ),
      500,
    );
  });

  it('refuses a number cut short, and one longer than a safe integer, without reading past the bytes', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.integer({ min: 128, max: Number.MAX_SAFE_INTEGER }),
        fc.nat(),
        async (value, cut) => {
          const bytes = written([value]);
          // Every proper prefix ends inside the number.
          const prefix = bytes.subarray(0, 1 + (cut % (bytes.length - 1)));
          expect(() => reader(prefix).varint()).toThrow('it ends early');
          // A view of a larger buffer: its end is the view's, not the buffer's.
          const wider = new Uint8Array([...bytes, 0]).subarray(
            0,
            prefix.length,
          );
          expect(() => reader(wider).varint()).toThrow('it ends early');
        },
      ),
      300,
    );
    expect(() =>
      reader(new Uint8Array([...Array(8).fill(0xff), 0x7f])).varint(),
    ).toThrow('a number is too long');
    expect(() => reader(new Uint8Array(0)).varint()).toThrow('it ends early');
  });
});
