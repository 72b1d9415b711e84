import { describe, expect, it } from 'vitest';
import {
  categoryName,
  HOUR_SECONDS,
  stackTops,
  WHOLE_STEPS,
  xRange,
  yRange,
  yTicks,
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

  it('keeps the first and last bars whole: a category on its tick, an hour from its tick to the next', () => {
    expect(xRange({ bars: true }, 0, 23)).toEqual([-0.5, 23.5]);
    expect(xRange({ bars: true }, 1, 1)).toEqual([0.5, 1.5]);
    expect(xRange({ time: true, bars: true }, t, t)).toEqual([
      t,
      t + HOUR_SECONDS,
    ]);
    expect(xRange({ time: true, bars: true }, t, t + 2 * HOUR_SECONDS)).toEqual(
      [t, t + 3 * HOUR_SECONDS],
    );
  });

  it('ticks whole numbers only', () => {
    expect(WHOLE_STEPS.every(Number.isInteger)).toBe(true);
  });

  it("names a category's tick, cut to fit, and nothing between categories", () => {
    const labels = ['Notes', 'A document with a rather long title', ''];
    expect(categoryName(labels, 1)).toBe('Notes');
    expect(categoryName(labels, 2)).toBe('A document with a rathe…');
    expect(categoryName(labels, 2).length).toBe(24);
    expect(categoryName(labels, 3)).toBe('');
    expect(categoryName(labels, 1.5)).toBe('');
    expect(categoryName(labels, 0)).toBe('');
    expect(categoryName(labels, 4)).toBe('');
  });

  it('cuts names that would read alike in the middle, keeping the ends that tell them apart (QA pass 14)', () => {
    const labels = [
      'Quarterly planning meeting notes, Q1 2026',
      'Quarterly planning meeting notes, Q2 2026',
      'A document with a rather long title',
      'Notes',
      `${'😀'.repeat(25)} one`,
    ];
    const names = labels.map((_, i) => categoryName(labels, i + 1));
    expect(names.slice(0, 4)).toEqual([
      'Quarterl… notes, Q1 2026',
      'Quarterl… notes, Q2 2026',
      'A document with a rathe…',
      'Notes',
    ]);
    // Characters, not UTF-16 units: no emoji is cut in half.
    expect([...names[4]!]).toHaveLength(24);
    expect(names[4]).toBe(`${'😀'.repeat(23)}…`);
  });
});

describe("an insights chart's y axis", () => {
  it('stands on 0, and ends on a labelled tick at least a tenth above the largest count', () => {
    expect(yRange(3, 5)).toEqual([0, 6]);
    expect(yRange(0, 4)).toEqual([0, 5]);
    // A document of 87 characters: its axis was labelled 0 and 50, the point
    // drawn above the last label with nothing to read it against.
    expect(yRange(0, 87)).toEqual([0, 100]);
    expect(yRange(0, 100)).toEqual([0, 150]);
    // Nothing but zeros, or one value: still a range to draw in.
    expect(yRange(0, 0)).toEqual([0, 1]);
    expect(yRange(7, 7)).toEqual([0, 8]);
  });

  it('ticks the range in at most five whole steps, from 0 to its top', () => {
    expect(yTicks(0, 100)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(yTicks(0, 6)).toEqual([0, 2, 4, 6]);
    expect(yTicks(0, 1)).toEqual([0, 1]);
    for (let max = 0; max <= 5_000; max += 7) {
      const [low, top] = yRange(0, max);
      const ticks = yTicks(low, top);
      expect(ticks[0]).toBe(0);
      expect(ticks.at(-1)).toBe(top);
      expect(top).toBeGreaterThanOrEqual(max * 1.1);
      expect(ticks.length - 1).toBeLessThanOrEqual(5);
      expect(ticks.every(Number.isInteger)).toBe(true);
    }
    expect(yTicks(...yRange(0, 3_000_000_000)).length - 1).toBeLessThanOrEqual(
      5,
    );
  });

  it('ticks a count of millions in few steps', () => {
    expect(WHOLE_STEPS.at(-1)).toBeGreaterThanOrEqual(1_000_000_000);
  });
});

describe('bars of several series', () => {
  it('stand on each other: each top is the sum of its series and those before', () => {
    expect(
      stackTops([
        [1, 0, 2],
        [1, 3, 0],
        [0, 1, 1],
      ]),
    ).toEqual([
      [1, 0, 2],
      [2, 3, 2],
      [2, 4, 3],
    ]);
    expect(stackTops([[4, 5]])).toEqual([[4, 5]]);
    expect(stackTops([])).toEqual([]);
  });
});
