import { describe, expect, it } from 'vitest';
import {
  categoryName,
  HOUR_SECONDS,
  WHOLE_STEPS,
  xRange,
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
