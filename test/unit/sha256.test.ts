import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../src/log/sha256.ts';
import { assertProperty } from '../support/property.ts';

const reference = (data: Uint8Array) =>
  new Uint8Array(createHash('sha256').update(data).digest());

describe('sha256', () => {
  it('matches the FIPS 180-4 examples', () => {
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    expect(hex(sha256(new TextEncoder().encode('abc')))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(hex(sha256(new Uint8Array(0)))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('agrees with node:crypto at every length across the block and padding boundaries', () => {
    for (let length = 0; length <= 300; length++) {
      const data = new Uint8Array(length).map(
        (_, i) => (i * 31 + length) & 0xff,
      );
      expect(sha256(data), `length ${length}`).toEqual(reference(data));
    }
  });

  it('agrees with node:crypto on random inputs', async () => {
    await assertProperty(
      fc.asyncProperty(fc.uint8Array({ maxLength: 5000 }), async (data) => {
        expect(sha256(data)).toEqual(reference(data));
      }),
      300,
    );
  });
});
