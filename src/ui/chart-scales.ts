// The x axis of an insights chart, as plain functions of its numbers: what uPlot is
// given for its scale's range and its axis's ticks.

/** A time bucket of the insights (an hour), in uPlot's unit: seconds. */
export const HOUR_SECONDS = 3600;

export interface XKind {
  /** x is a time in seconds. */
  time?: boolean;
  /** Drawn as bars, one per x: hourly buckets when `time`, else whole numbers. */
  bars?: boolean;
}

/**
 * The x range to draw for data from `min` to `max`. Bars get half a bucket either
 * side, so the first and last are whole; a single time is an hour either side
 * (left alone, uPlot spans it with years); a single number, one either side.
 */
export function xRange(
  kind: XKind,
  min: number,
  max: number,
): [number, number] {
  const step = kind.time ? HOUR_SECONDS : 1;
  if (kind.bars) return [min - step / 2, max + step / 2];
  if (min === max) return [min - step, max + step];
  return [min, max];
}

/** Tick steps for an x of whole numbers (hours of the day, ranks): never a fraction. */
export const WHOLE_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

/** Longest name an axis tick shows; the table below the chart has it whole. */
const TICK_CHARACTERS = 14;

/**
 * The name of category `x` (1 for the first of `labels`), cut to fit under a tick;
 * empty between categories.
 */
export function categoryName(labels: readonly string[], x: number): string {
  const label = Number.isInteger(x) ? labels[x - 1] : undefined;
  if (label === undefined) return '';
  return label.length > TICK_CHARACTERS
    ? `${label.slice(0, TICK_CHARACTERS - 1)}…`
    : label;
}
