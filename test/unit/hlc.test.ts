import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatHlc,
  isHlc,
  maxHlc,
  parseHlc,
  tickHlc,
  MAX_COUNTER,
  MAX_HLC,
  MAX_WALL,
  ZERO_HLC,
} from '../../src/log/hlc.ts';
import { ClockExhaustedError } from '../../src/log/errors.ts';
import { assertProperty } from '../support/property.ts';

describe('hybrid logical clock', () => {
  it('is fixed width and sorts as a string', () => {
    const a = formatHlc({ wall: 1, counter: 0xffff });
    const b = formatHlc({ wall: 2, counter: 0 });
    expect(a).toHaveLength(17);
    expect(a < b).toBe(true);
    expect(parseHlc(a)).toEqual({ wall: 1, counter: 0xffff });
    expect(isHlc('0193a1b2c3d4.0000')).toBe(true);
    expect(isHlc('0193A1B2C3D4.0000')).toBe(false);
  });

  it('writes any wall and counter as 12 + 4 hex digits that parse back', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.oneof(
          fc.integer({ min: 0, max: MAX_WALL }),
          fc.constantFrom(0, 0xffffff, 0x1000000, MAX_WALL),
        ),
        fc.integer({ min: 0, max: MAX_COUNTER }),
        async (wall, counter) => {
          const text = formatHlc({ wall, counter });
          expect(text).toBe(
            `${wall.toString(16).padStart(12, '0')}.${counter.toString(16).padStart(4, '0')}`,
          );
          expect(parseHlc(text)).toEqual({ wall, counter });
        },
      ),
      1000,
    );
    expect(formatHlc({ wall: MAX_WALL, counter: MAX_COUNTER })).toBe(MAX_HLC);
    expect(formatHlc({ wall: 0, counter: 0 })).toBe(ZERO_HLC);
  });

  it('follows the wall clock when it moves forward', () => {
    expect(tickHlc(ZERO_HLC, 1000)).toBe(formatHlc({ wall: 1000, counter: 0 }));
  });

  it('keeps increasing when the wall clock jumps backwards', () => {
    let clock = tickHlc(ZERO_HLC, 5000);
    const seen = [clock];
    for (const now of [4000, 3000, 5000, 1]) {
      clock = tickHlc(clock, now);
      seen.push(clock);
    }
    expect([...seen].sort()).toEqual(seen);
    expect(new Set(seen).size).toBe(seen.length);
    expect(parseHlc(clock)).toEqual({ wall: 5000, counter: 4 });
  });

  it('borrows the next millisecond when the counter is exhausted', () => {
    const full = formatHlc({ wall: 7, counter: 0xffff });
    expect(tickHlc(full, 7)).toBe(formatHlc({ wall: 8, counter: 0 }));
  });

  it('advances to a received timestamp', () => {
    expect(maxHlc('000000000001.0000', '000000000002.0000')).toBe(
      '000000000002.0000',
    );
    expect(
      tickHlc(maxHlc(ZERO_HLC, '0000ffffffff.0003'), 1) > '0000ffffffff.0003',
    ).toBe(true);
  });

  it('rejects malformed text', () => {
    expect(() => parseHlc('yesterday')).toThrow(TypeError);
  });

  it('refuses to write a wall or counter it cannot hold, rather than write a wrong clock', () => {
    // What a corrupted segment's columns can hold: formatHlc writes every stored
    // event's clock, and its digits are taken from the low bits.
    const walls = [-1, 1.5, NaN, Infinity, MAX_WALL + 1, 2 ** 53];
    for (const wall of walls)
      expect(() => formatHlc({ wall, counter: 0 })).toThrow(
        ClockExhaustedError,
      );
    for (const counter of [-1, 0.5, NaN, MAX_COUNTER + 1])
      expect(() => formatHlc({ wall: 1, counter })).toThrow(
        ClockExhaustedError,
      );
    // The digits of one clock do not carry into the next.
    formatHlc({ wall: MAX_WALL, counter: MAX_COUNTER });
    expect(formatHlc({ wall: 0x10, counter: 1 })).toBe('000000000010.0001');
  });
});
