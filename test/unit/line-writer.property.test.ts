import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countNewlines } from '../../src/log/line-writer.ts';
import { assertProperty } from '../support/property.ts';

describe('counting the lines of an export chunk', () => {
  it('counts every newline, at any offset and length', async () => {
    await assertProperty(
      fc.asyncProperty(
        // Mostly newlines and bytes that differ from one in a bit or two.
        fc
          .uint8Array({ maxLength: 80 })
          .map((bytes) =>
            bytes.map((b) => [10, 11, 8, 0x8a, 0x0a ^ 0x80, b][b % 6]!),
          ),
        fc.nat(7),
        fc.nat(7),
        async (bytes, from, cut) => {
          const view = bytes.subarray(
            Math.min(from, bytes.length),
            Math.max(Math.min(from, bytes.length), bytes.length - cut),
          );
          expect(countNewlines(view)).toBe(view.filter((b) => b === 10).length);
        },
      ),
      1000,
    );
  });
});
