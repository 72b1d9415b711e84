// The insights' charts as uPlot draws them: what a person reads off the canvas.
import { h } from 'preact';
import { describe, expect, it } from 'vitest';
import { Chart, type Plot } from '../../src/ui/chart.tsx';
import { mountedComponents } from '../support/mounted.ts';
import { pixelsOf } from '../support/pixels.ts';

const HOUR = 3_600_000;

const { mount } = mountedComponents();

/** Draws `plot` 600 px wide; resolves to its canvas once uPlot has painted it. */
async function drawn(plot: Plot): Promise<HTMLCanvasElement> {
  const container = mount(
    h('div', { style: { width: '600px' } }, h(Chart, { plot })),
  );
  // The chart is made in an effect, after a paint; uPlot draws it in a frame.
  for (let frames = 0; frames < 100; frames++) {
    await new Promise((resolve) => requestAnimationFrame(resolve));
    const canvas = container.querySelector('canvas');
    if (canvas && frames > 0 && blueRuns(canvas).length > 0) return canvas;
  }
  throw new Error('no chart was drawn');
}

/**
 * The runs of canvas columns [first, last] holding any pixel of the first series'
 * blue (its outline, or its fill over white): its bars, left to right.
 */
function blueRuns(canvas: HTMLCanvasElement): [number, number][] {
  const { width, height } = canvas;
  const { data } = canvas.getContext('2d')!.getImageData(0, 0, width, height);
  const runs: [number, number][] = [];
  for (let x = 0; x < width; x++) {
    let blue = false;
    for (let y = 0; y < height && !blue; y++) {
      const i = 4 * (y * width + x);
      blue = data[i + 2]! - data[i]! > 60 && data[i + 3]! > 0;
    }
    const last = runs.at(-1);
    if (!blue) continue;
    if (last && last[1] === x - 1) last[1] = x;
    else runs.push([x, x]);
  }
  return runs;
}

describe('an insights chart', () => {
  it('draws an hour’s bar across most of its own hour, however far the next bar is', async () => {
    // Two hours with conflicts, fourteen hours apart: each bar is the hour it
    // counts, not most of the empty stretch after it.
    const from = Date.UTC(2026, 11, 5, 1);
    const canvas = await drawn({
      x: [from, from + 14 * HOUR],
      series: [{ label: 'register', values: [1, 1] }],
      time: true,
      bars: true,
    });
    const runs = blueRuns(canvas);
    expect(runs).toHaveLength(2);
    const [[a, aEnd], [b, bEnd]] = runs as [[number, number], [number, number]];
    const hour = (b - a) / 14;
    for (const width of [aEnd - a + 1, bEnd - b + 1]) {
      expect(width / hour).toBeGreaterThan(0.75);
      expect(width / hour).toBeLessThan(1.05);
    }
  });

  it('stacks the bars of writers with as many edits in one hour: each one shows', async () => {
    const from = Date.UTC(2026, 11, 5, 1);
    const canvas = await drawn({
      x: [from, from + HOUR],
      series: [
        { label: 'Tab 1', values: [4, 2] },
        { label: 'Tab 2', values: [4, 2] },
      ],
      time: true,
      bars: true,
    });
    // Each series' outline in its own colour (COLOURS' first two).
    expect(pixelsOf(canvas, [0x1f, 0x5f, 0xbf])).toBeGreaterThan(20);
    expect(pixelsOf(canvas, [0xb3, 0x47, 0x00])).toBeGreaterThan(20);
  });

  it('makes its y axis as wide as its longest label: 250,000 is not cut at the edge', async () => {
    const canvas = await drawn({
      x: [1, 2, 3],
      series: [{ label: 'Events', values: [120_000, 250_000, 90_000] }],
      bars: true,
    });
    // The labels' dark pixels, by column: none in the canvas's first columns,
    // where a label too wide for its axis was cut ("0,000" for "10,000").
    const { width, height } = canvas;
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, width, height);
    const inked = (x: number) => {
      for (let y = 0; y < height; y++) {
        const i = 4 * (y * width + x);
        if (data[i + 3]! > 100 && data[i]! + data[i + 1]! + data[i + 2]! < 300)
          return true;
      }
      return false;
    };
    const first = Array.from({ length: width }, (_, x) => x).find(inked);
    expect(first).toBeGreaterThan(2);
  });

  it('marks nothing for a category of none: no point on the axis', async () => {
    const canvas = await drawn({
      x: [1, 2, 3, 4, 5],
      series: [{ label: 'Events', values: [0, 5, 0, 0, 2] }],
      bars: true,
    });
    // Two bars; the categories of none draw nothing, where a point each stood.
    expect(blueRuns(canvas)).toHaveLength(2);
    // Pointed at, a category of none says 0 in the legend, not "--".
    const over = document.querySelector<HTMLElement>('.u-over')!;
    const box = over.getBoundingClientRect();
    over.dispatchEvent(
      new MouseEvent('mousemove', {
        clientX: box.left + box.width * 0.1,
        clientY: box.top + box.height / 2,
        bubbles: true,
      }),
    );
    await new Promise((resolve) => requestAnimationFrame(resolve));
    const values = [...document.querySelectorAll('.u-legend .u-value')].map(
      (v) => v.textContent,
    );
    expect(values).toEqual(['1', '0']);
  });

  // Fourteen documents' names under 600 px: under the bars, ticks wide enough for a
  // name stood apart, and uPlot named two of them (QA pass 14). One document drew a
  // line 1 px thick and no name, three named one of them (QA pass 18).
  it.each([14, 3, 1])(
    'names each of %i categories on a row of its own, the first at the top, its bar as thick as the others',
    async (count) => {
      const labels = Array.from(
        { length: count },
        (_, i) => `Quarterly budget ${i + 1}`,
      );
      const canvas = await drawn({
        x: labels.map((_, i) => i + 1),
        labels,
        series: [{ label: 'Events', values: labels.map((_, i) => 28 - i) }],
        bars: true,
      });
      const { width, height } = canvas;
      const scale = width / canvas.getBoundingClientRect().width;
      const { data } = canvas
        .getContext('2d')!
        .getImageData(0, 0, width, height);
      const at = (x: number, y: number) => data.subarray(4 * (y * width + x));
      const blue = (x: number, y: number) =>
        at(x, y)[2]! - at(x, y)[0]! > 60 && at(x, y)[3]! > 0;
      const dark = (x: number, y: number) =>
        at(x, y)[3]! > 100 && at(x, y)[0]! + at(x, y)[1]! + at(x, y)[2]! < 300;
      /** Runs of canvas rows [first, last] where `inked` holds for some column of `columns`. */
      const rowRuns = (columns: number[], inked: typeof blue) => {
        const runs: [number, number][] = [];
        for (let y = 0; y < height; y++) {
          if (!columns.some((x) => inked(x, y))) continue;
          const last = runs.at(-1);
          if (last && last[1] === y - 1) last[1] = y;
          else runs.push([y, y]);
        }
        return runs;
      };
      const plot = document.querySelector('.u-over')!.getBoundingClientRect();
      const left = Math.floor(
        (plot.left - canvas.getBoundingClientRect().left) * scale,
      );
      const all = (from: number, to: number) =>
        Array.from({ length: to - from }, (_, i) => from + i);
      // A bar a row, each as long as its count: the first, the busiest, at the top.
      const bars = rowRuns(all(left, width), blue);
      expect(bars).toHaveLength(count);
      // 70% of its row, as every bar of the chart.
      for (const [y0, y1] of bars)
        expect(y1 - y0 + 1).toBeGreaterThanOrEqual(Math.floor(12 * scale));
      const lengths = bars.map(([y0, y1]) => {
        const y = Math.round((y0 + y1) / 2);
        return all(left, width).filter((x) => blue(x, y)).length;
      });
      for (let i = 1; i < lengths.length; i++)
        expect(lengths[i]!).toBeLessThan(lengths[i - 1]!);
      // Left of the plot, a name beside each bar, on its row: 14 lines of writing
      // (the ticks' own marks are grey and thin, and are left out by their colour).
      const names = rowRuns(all(0, left - Math.ceil(12 * scale)), dark);
      expect(names).toHaveLength(count);
      for (const [i, [y0, y1]] of names.entries()) {
        const bar = bars[i]!;
        expect((y0 + y1) / 2).toBeGreaterThan(bar[0] - 4 * scale);
        expect((y0 + y1) / 2).toBeLessThan(bar[1] + 4 * scale);
      }
    },
  );

  it('draws the bars of hours next to each other apart, each in its own hour', async () => {
    const from = Date.UTC(2026, 11, 5, 1);
    const canvas = await drawn({
      x: [from, from + HOUR, from + 2 * HOUR],
      series: [{ label: 'register', values: [2, 1, 3] }],
      time: true,
      bars: true,
    });
    const runs = blueRuns(canvas);
    expect(runs).toHaveLength(3);
    const hour = (runs[2]![0] - runs[0]![0]) / 2;
    for (const [first, last] of runs) {
      expect((last - first + 1) / hour).toBeGreaterThan(0.75);
      expect((last - first + 1) / hour).toBeLessThan(1);
    }
  });
});
