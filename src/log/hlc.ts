/**
 * Hybrid logical clock (Kulkarni et al.): wall-clock milliseconds plus a
 * counter, written as 12 + 4 lowercase hex digits around a dot, e.g.
 * "0193a1b2c3d4.0000". Fixed width, so string order is clock order.
 */
import { ClockExhaustedError } from './errors.ts';

export interface Hlc {
  wall: number;
  counter: number;
}

export const MAX_COUNTER = 0xffff;
export const MAX_WALL = 0xffffffffffff;
const HLC_PATTERN = /^[0-9a-f]{12}\.[0-9a-f]{4}$/;

export const ZERO_HLC = '000000000000.0000';
/** The last timestamp the format can hold (year 10889). */
export const MAX_HLC = 'ffffffffffff.ffff';

/**
 * How far ahead of the receiver's wall clock an event's HLC may be (DESIGN §3).
 * Without a bound, one event stamped in year 9999 would drag every replica's clock
 * there, and one at MAX_HLC would leave no timestamp for the next local event.
 */
export const MAX_CLOCK_DRIFT = 60 * 60 * 1000;

export function isHlc(text: string): boolean {
  return HLC_PATTERN.test(text);
}

/** @throws ClockExhaustedError when the fields do not fit 12 + 4 hex digits. */
export function formatHlc({ wall, counter }: Hlc): string {
  if (
    !Number.isSafeInteger(wall) ||
    wall < 0 ||
    wall > MAX_WALL ||
    !Number.isInteger(counter) ||
    counter < 0 ||
    counter > MAX_COUNTER
  ) {
    throw new ClockExhaustedError(`${wall}.${counter}`);
  }
  // Digit by digit into one string: `toString(16)`, padding and `+` made a tree of
  // pieces, which every comparison flattens first (one is made per event read).
  const high = Math.floor(wall / 0x1000000);
  const low = wall - high * 0x1000000;
  for (let i = 0; i < 6; i++) {
    hlcCodes[5 - i] = HEX_CODES[(high >> (4 * i)) & 15]!;
    hlcCodes[11 - i] = HEX_CODES[(low >> (4 * i)) & 15]!;
  }
  for (let i = 0; i < 4; i++)
    hlcCodes[16 - i] = HEX_CODES[(counter >> (4 * i)) & 15]!;
  const c = hlcCodes;
  // prettier-ignore
  return String.fromCharCode(
    c[0]!, c[1]!, c[2]!, c[3]!, c[4]!, c[5]!, c[6]!, c[7]!, c[8]!,
    c[9]!, c[10]!, c[11]!, c[12]!, c[13]!, c[14]!, c[15]!, c[16]!,
  );
}

const HEX_CODES = [...'0123456789abcdef'].map((c) => c.charCodeAt(0));
/** A timestamp's character codes as formatHlc writes them: the dot stays. */
const hlcCodes: number[] = [...ZERO_HLC].map((c) => c.charCodeAt(0));

export function parseHlc(text: string): Hlc {
  if (!HLC_PATTERN.test(text))
    throw new TypeError(`"${text}" is not an HLC timestamp`);
  return {
    wall: parseInt(text.slice(0, 12), 16),
    counter: parseInt(text.slice(13), 16),
  };
}

/**
 * The timestamp of a new local event: greater than `last` (the replica's clock, or
 * a parent's HLC) and close to `now`. A wall clock that jumps backwards only makes
 * the counter grow.
 * @throws ClockExhaustedError when `last` is MAX_HLC: nothing is greater.
 */
export function tickHlc(last: string, now: number): string {
  const prev = parseHlc(last);
  const wall = Math.max(prev.wall, Math.min(Math.floor(now), MAX_WALL));
  if (wall > prev.wall) return formatHlc({ wall, counter: 0 });
  // The counter is exhausted only after 65,536 events in one millisecond: borrow
  // the next millisecond rather than break monotonicity.
  if (prev.counter >= MAX_COUNTER) {
    if (wall >= MAX_WALL) throw new ClockExhaustedError(last);
    return formatHlc({ wall: wall + 1, counter: 0 });
  }
  return formatHlc({ wall, counter: prev.counter + 1 });
}

/** The greatest HLC a replica whose wall clock reads `now` accepts or keeps. */
export function clockLimit(now: number): string {
  const wall = Math.min(
    Math.max(Math.floor(now) + MAX_CLOCK_DRIFT, 0),
    MAX_WALL,
  );
  return formatHlc({ wall, counter: MAX_COUNTER });
}

/** The later of two HLC strings. */
export function maxHlc(a: string, b: string): string {
  return a >= b ? a : b;
}

/**
 * The replica clock to build on at `now`. One beyond the limit was dragged there
 * before clocks were bounded (or the wall clock was set back by more than the
 * drift): it is disregarded, so new events follow the wall clock again. Nothing
 * but an event's own parents must sort before it (DESIGN §3).
 */
export function boundedClock(stored: string, now: number): string {
  return stored > clockLimit(now) ? ZERO_HLC : stored;
}
