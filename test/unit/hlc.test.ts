import { describe, expect, it } from 'vitest';
import {
  formatHlc,
  isHlc,
  maxHlc,
  parseHlc,
  tickHlc,
  ZERO_HLC,
} from '../../src/log/hlc.ts';

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
});
