// The axes of an insights chart, as plain functions of its numbers: what uPlot is
// given for its scales' ranges and its axes' ticks.
import { cutsApart } from './clipped.ts';

/** A time bucket of the insights (an hour), in uPlot's unit: seconds. */
export const HOUR_SECONDS = 3600;

export interface XKind {
  /** x is a time in seconds. */
  time?: boolean;
  /** Drawn as bars, one per x: hourly buckets when `time`, else whole numbers. */
  bars?: boolean;
}

/**
 * The x range to draw for data from `min` to `max`. A bar of whole numbers (a
 * category) stands on its tick, half a step either side; a bar of hours stands on
 * its hour, from its tick to the next (`barAlign`), as the hour it counts: centred
 * on 1:00, a bar of 1:00–2:00 covered 0:39–1:21. The first and last bars are
 * whole. A single time is an hour either side (left alone, uPlot spans it with
 * years); a single number, one either side.
 */
export function xRange(
  kind: XKind,
  min: number,
  max: number,
): [number, number] {
  const step = kind.time ? HOUR_SECONDS : 1;
  if (kind.bars && kind.time) return [min, max + step];
  if (kind.bars) return [min - step / 2, max + step / 2];
  if (min === max) return [min - step, max + step];
  return [min, max];
}

/**
 * An hour's bar, in uPlot's x unit (seconds): most of its hour, drawn from its tick
 * toward the next (uPlot's bars given their x and size). Sized by its column, as
 * uPlot sizes bars by default (the least gap between two bars), a conflict at 1:00
 * and the next at 15:00 each drew a bar 12.6 hours wide.
 */
export const HOUR_BAR_SECONDS = 0.9 * HOUR_SECONDS;

/**
 * A category's bar: centred on its tick (uPlot's align 0), 70% of its column and at
 * most 40 px wide ([share of the column, widest px]).
 */
export const CATEGORY_BAR = {
  size: [0.7, 40] as [number, number],
  align: 0 as const,
};

/**
 * Tick steps for whole numbers (hours of the day, ranks, counts): never a fraction,
 * and large enough for a count of millions to take a few ticks.
 */
export const WHOLE_STEPS = Array.from({ length: 10 }, (_, e) =>
  [1, 2, 5].map((m) => m * 10 ** e),
).flat();

/**
 * Most steps a y axis is cut into: a chart's plot is about 150 px high, and uPlot
 * wants 30 px between labels.
 */
const Y_STEPS = 5;

/** The least whole step (WHOLE_STEPS) that cuts `span` into at most Y_STEPS. */
function yStep(span: number): number {
  return (
    WHOLE_STEPS.find((step) => span / step <= Y_STEPS) ??
    WHOLE_STEPS.at(-1)! * Math.ceil(span / Y_STEPS / WHOLE_STEPS.at(-1)!)
  );
}

/**
 * The y range to draw for counts from `min` to `max`: from 0, so a bar or a line
 * stands at its true height (left to uPlot, bars of 3 and 5 rose from 2.8, the 3
 * a sliver beside the 5), and up to the first tick (`yTicks`) a tenth or more
 * above the largest, so the highest point has a labelled line above it (a tenth
 * above 87 ended the axis at 95.7, between its labels 50 and 100).
 */
export function yRange(min: number, max: number): [number, number] {
  const low = Math.min(0, min);
  const high = Math.max(0, max);
  const head = high === low ? low + 1 : high + (high - low) / 10;
  const step = yStep(head - low);
  return [Math.floor(low / step) * step, Math.ceil(head / step) * step];
}

/**
 * The y axis's ticks over `yRange`'s range: every whole step from its bottom to
 * its top, both ends included.
 */
export function yTicks(low: number, top: number): number[] {
  const step = yStep(top - low);
  const ticks: number[] = [];
  for (let tick = low; tick <= top; tick += step) ticks.push(tick);
  return ticks;
}

/**
 * The tops of bars of several series stacked at each x: per series, the sum of it
 * and every series before it. Series i is drawn from tops[i - 1] (0 for the first)
 * to tops[i]; the last series' tops are the totals the y axis must reach. Drawn
 * at the same x unstacked, a bar hid the bar of another series as tall as it
 * (a register conflict behind an overlapping-text one of the same hour).
 */
export function stackTops(series: readonly (readonly number[])[]): number[][] {
  const tops: number[][] = [];
  let below: readonly number[] | undefined;
  for (const values of series) {
    const top = values.map((v, x) => v + (below?.[x] ?? 0));
    tops.push(top);
    below = top;
  }
  return tops;
}

/**
 * Longest name a category's row shows, about a third of a 600 px chart; the table
 * below the chart has it whole.
 */
const NAME_CHARACTERS = 24;
/** Of a name cut in the middle, the characters kept before the "…". */
const HEAD_CHARACTERS = 8;

/**
 * The name of category `x` (1 for the first of `labels`), cut to fit beside its
 * row; empty between categories. Names that would read alike cut at their end
 * are cut in the middle instead (`cutsApart`): "Quarterl… notes, Q1 2026".
 */
export function categoryName(labels: readonly string[], x: number): string {
  const label = Number.isInteger(x) ? labels[x - 1] : undefined;
  if (label === undefined) return '';
  const chars = [...label];
  return (
    cutsApart(labels, NAME_CHARACTERS, HEAD_CHARACTERS)[x - 1] ??
    (chars.length > NAME_CHARACTERS
      ? `${chars.slice(0, NAME_CHARACTERS - 1).join('')}…`
      : label)
  );
}
