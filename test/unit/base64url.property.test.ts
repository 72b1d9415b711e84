import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeBase64UrlInto,
  fromBase64Url,
  sixteenToBase64Url,
  toBase64Url,
} from '../../src/log/base64url.ts';
import { assertProperty } from '../support/property.ts';

/** What fromBase64Url makes of `text`, or undefined when it refuses it. */
const decoded = (text: string) => {
  try {
    return fromBase64Url(text);
  } catch {
    return undefined;
  }
};

describe('base64url decoded into a buffer', () => {
  it('gives exactly the bytes fromBase64Url gives for unpadded base64url of that length, and refuses anything else', async () => {
    const alphabet = [
      ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=!',
    ];
    await assertProperty(
      fc.asyncProperty(
        fc.oneof(
          // Canonical spellings, and each with one character changed.
          fc
            .tuple(fc.uint8Array({ maxLength: 20 }), fc.nat(), fc.nat())
            .map(([bytes, at, c]) => {
              const text = toBase64Url(bytes);
              if (text.length === 0 || c % 2 === 0) return text;
              const i = at % text.length;
              return (
                text.slice(0, i) +
                alphabet[c % alphabet.length] +
                text.slice(i + 1)
              );
            }),
          fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 28 }),
        ),
        // Mostly the length the text spells, sometimes another.
        fc.oneof(fc.constant(0), fc.integer({ min: -2, max: 2 })),
        async (text, off) => {
          const length = Math.max(0, Math.floor((text.length * 3) / 4) + off);
          const out = new Uint8Array(length);
          const expected = decoded(text);
          const ok = decodeBase64UrlInto(text, out);
          // Unpadded base64url only: standard base64's characters are refused.
          if (expected?.length === length && !/[=+/]/.test(text)) {
            expect(ok).toBe(true);
            expect(out).toEqual(expected);
          } else expect(ok).toBe(false);
        },
      ),
      500,
    );
  });
});

describe('base64url encoded', () => {
  it('spells any bytes as RFC 4648 §5 does, unpadded, across the pieces it is made in', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 40 }),
          // Past one piece of 6,144 bytes, ending anywhere in a group of three.
          fc
            .tuple(fc.integer({ min: 6140, max: 12300 }), fc.nat(255))
            .map(([n, seed]) =>
              Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255),
            ),
        ),
        async (bytes) => {
          const text = toBase64Url(bytes);
          expect(text).toBe(Buffer.from(bytes).toString('base64url'));
          expect(fromBase64Url(text)).toEqual(bytes);
        },
      ),
      300,
    );
  });
});

describe('an event id (16 bytes) in base64url', () => {
  it('is what toBase64Url writes for those bytes, wherever they sit in the buffer', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 16, maxLength: 64 }),
        fc.nat(),
        async (bytes, at) => {
          const from = at % (bytes.length - 15);
          expect(sixteenToBase64Url(bytes, from)).toBe(
            toBase64Url(bytes.subarray(from, from + 16)),
          );
        },
      ),
      300,
    );
  });
});
