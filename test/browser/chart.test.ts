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

  it('writes the names of categories apart, however many: none runs into the next', async () => {
    // Twelve documents' names under 600 px: each is cut to 14 characters, about
    // 80 px, and uPlot's ticks stood 50 px apart, so every name ran into the next
    // ("Quarterly bud…Quarterly bud…").
    const labels = Array.from(
      { length: 12 },
      (_, i) => `Quarterly budget ${i + 1}`,
    );
    const canvas = await drawn({
      x: labels.map((_, i) => i + 1),
      labels,
      series: [{ label: 'Events', values: labels.map((_, i) => 20 - i) }],
      bars: true,
    });
    // The names are drawn below the plot, past its ticks: the columns inked there,
    // in runs broken by a gap wider than a space between words.
    const { width, height } = canvas;
    const scale = width / canvas.getBoundingClientRect().width;
    const plot = document.querySelector('.u-over')!.getBoundingClientRect();
    const top = Math.ceil(
      (plot.bottom - canvas.getBoundingClientRect().top + 12) * scale,
    );
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, width, height);
    const inked = (x: number) => {
      for (let y = top; y < height; y++) {
        const i = 4 * (y * width + x);
        if (data[i + 3]! > 100 && data[i]! + data[i + 1]! + data[i + 2]! < 300)
          return true;
      }
      return false;
    };
    const runs: [number, number][] = [];
    const gap = 8 * scale;
    for (let x = 0; x < width; x++) {
      if (!inked(x)) continue;
      const last = runs.at(-1);
      if (last && x - last[1] <= gap) last[1] = x;
      else runs.push([x, x]);
    }
    const ctx = canvas.getContext('2d')!;
    const widest = ctx.measureText('Quarterly bud…').width;
    // Some names are written (the table and the legend give every one), and each
    // alone: no run of ink is wider than the widest name.
    expect(runs.length).toBeGreaterThan(1);
    for (const [first, last] of runs)
      expect(last - first + 1).toBeLessThan(widest * 1.3);
  });

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
