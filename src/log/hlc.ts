/**
 * Hybrid logical clock (Kulkarni et al.): wall-clock milliseconds plus a
 * counter, written as 12 + 4 lowercase hex digits around a dot, e.g.
 * "0193a1b2c3d4.0000". Fixed width, so string order is clock order.
 */
export interface Hlc {
  wall: number;
  counter: number;
}

const MAX_COUNTER = 0xffff;
const HLC_PATTERN = /^[0-9a-f]{12}\.[0-9a-f]{4}$/;

export const ZERO_HLC = '000000000000.0000';

export function isHlc(text: string): boolean {
  return HLC_PATTERN.test(text);
}

export function formatHlc({ wall, counter }: Hlc): string {
  return (
    wall.toString(16).padStart(12, '0') +
    '.' +
    counter.toString(16).padStart(4, '0')
  );
}

export function parseHlc(text: string): Hlc {
  if (!HLC_PATTERN.test(text))
    throw new TypeError(`"${text}" is not an HLC timestamp`);
  return {
    wall: parseInt(text.slice(0, 12), 16),
    counter: parseInt(text.slice(13), 16),
  };
}

/**
 * The timestamp of a new local event: greater than `last` (the replica's clock,
 * already at least every stored event's HLC) and close to `now`. A wall clock
 * that jumps backwards only makes the counter grow.
 */
export function tickHlc(last: string, now: number): string {
  const prev = parseHlc(last);
  const wall = Math.max(prev.wall, Math.floor(now));
  if (wall > prev.wall) return formatHlc({ wall, counter: 0 });
  // The counter is exhausted only after 65,536 events in one millisecond: borrow
  // the next millisecond rather than break monotonicity.
  if (prev.counter >= MAX_COUNTER)
    return formatHlc({ wall: wall + 1, counter: 0 });
  return formatHlc({ wall, counter: prev.counter + 1 });
}

/** The later of two HLC strings: receiving an event advances the clock to it. */
export function maxHlc(a: string, b: string): string {
  return a >= b ? a : b;
}
