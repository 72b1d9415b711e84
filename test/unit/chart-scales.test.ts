import { describe, expect, it } from 'vitest';
import {
  categoryName,
  HOUR_SECONDS,
  WHOLE_STEPS,
  xRange,
  yRange,
} from '../../src/ui/chart-scales.ts';

const t = Date.UTC(2026, 11, 4, 5) / 1000;

describe("an insights chart's x axis", () => {
  it('spans a lone time by an hour either side, not by years', () => {
    expect(xRange({ time: true }, t, t)).toEqual([
      t - HOUR_SECONDS,
      t + HOUR_SECONDS,
    ]);
    expect(xRange({}, 3, 3)).toEqual([2, 4]);
  });

  it('spans several times or numbers exactly', () => {
    expect(xRange({ time: true }, t, t + 5 * HOUR_SECONDS)).toEqual([
      t,
      t + 5 * HOUR_SECONDS,
    ]);
    expect(xRange({}, 0, 23)).toEqual([0, 23]);
  });

  it('keeps the first and last bars whole: half a bucket either side', () => {
    expect(xRange({ bars: true }, 0, 23)).toEqual([-0.5, 23.5]);
    expect(xRange({ bars: true }, 1, 1)).toEqual([0.5, 1.5]);
    expect(xRange({ time: true, bars: true }, t, t)).toEqual([
      t - HOUR_SECONDS / 2,
      t + HOUR_SECONDS / 2,
    ]);
  });

  it('ticks whole numbers only', () => {
    expect(WHOLE_STEPS.every(Number.isInteger)).toBe(true);
  });

  it("names a category's tick, cut to fit, and nothing between categories", () => {
    const labels = ['Notes', 'A document with a long title', ''];
    expect(categoryName(labels, 1)).toBe('Notes');
    expect(categoryName(labels, 2)).toBe('A document wi…');
    expect(categoryName(labels, 2).length).toBe(14);
    expect(categoryName(labels, 3)).toBe('');
    expect(categoryName(labels, 1.5)).toBe('');
    expect(categoryName(labels, 0)).toBe('');
    expect(categoryName(labels, 4)).toBe('');
  });
});

describe("an insights chart's y axis", () => {
  it('stands on 0, with a tenth above the largest count', () => {
    expect(yRange(3, 5)).toEqual([0, 5.5]);
    expect(yRange(0, 100)).toEqual([0, 110]);
    // Nothing but zeros, or one value: still a range to draw in.
    expect(yRange(0, 0)).toEqual([0, 1]);
    expect(yRange(7, 7)).toEqual([0, 7.7]);
  });

  it('ticks a count of millions in few steps', () => {
    expect(WHOLE_STEPS.at(-1)).toBeGreaterThanOrEqual(1_000_000_000);
  });
});
