// An insights chart: uPlot drawing a Plot's series as lines or bars, following its
// box's width. The numbers' table beside it (insights-view.tsx) is what a screen
// reader reads.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import {
  CATEGORY_BAR,
  categoryName,
  HOUR_BAR_SECONDS,
  stackTops,
  WHOLE_STEPS,
  xRange,
  yRange,
  yTicks,
} from './chart-scales.ts';

/** One colour per series, in order; dark enough on white for lines and bars. */
const COLOURS = [
  '#1f5fbf',
  '#b34700',
  '#1b7a3a',
  '#a3217a',
  '#5b3fb5',
  '#6b6b00',
];

export interface Plot {
  x: number[];
  series: { label: string; values: number[] }[];
  /** x is a time in ms. */
  time?: boolean;
  bars?: boolean;
  /**
   * Names of categories x = 1, 2, …, in rank order: drawn as a bar per row, the
   * first at the top, each named on its left; the legend shows them too.
   */
  labels?: string[];
  /** What x is, in the legend (a time's is "Time"). */
  xName?: string;
}

/**
 * A vertical axis's width in CSS px: its longest label, measured in the axis's font, with
 * its ticks and gap (uPlot calls this again as the labels change; the second call
 * of a layout pass keeps the first's answer, or the two would never settle).
 */
function labelledAxisSize(
  u: uPlot,
  values: string[] | null,
  axisIdx: number,
  cycleNum: number,
): number {
  const axis = u.axes[axisIdx]! as uPlot.Axis & { _size?: number };
  if (cycleNum > 1 && axis._size !== undefined) return axis._size;
  const ticks = (axis.ticks as { size?: number } | undefined)?.size ?? 10;
  let size = ticks + (axis.gap ?? 5) + 4;
  const longest = (values ?? []).reduce(
    (a, v) => (String(v).length > a.length ? String(v) : a),
    '',
  );
  if (longest) {
    u.ctx.font = (axis.font as unknown as [string])[0];
    size += u.ctx.measureText(longest).width / devicePixelRatio;
  }
  return Math.max(50, Math.ceil(size));
}

/**
 * A row of a chart of named categories, in CSS px: each name has its own, so every
 * one is written (under the bars, 14 names at 1280 px left room for two).
 */
const ROW_HEIGHT = 22;
/** Below the rows, the count axis: its ticks and labels. */
const COUNT_AXIS_HEIGHT = 40;
/**
 * Above the rows, room for the top row's name. Set, not left to uPlot, with the
 * count axis's size: the rows are then the height given them, ROW_HEIGHT each. Left
 * to uPlot they were less, and three rows were named one (QA pass 18).
 */
const ROWS_TOP_PADDING = 8;

/**
 * Ticks of the axis of named categories one row apart, as close as uPlot lets a
 * row's name stand to the next: every category is named.
 */
const rowTickSpace: uPlot.Axis.Space = () => ROW_HEIGHT - 4;

/** A chart's least width: narrower, its axes' labels would collide. */
const MIN_CHART_WIDTH = 200;
const CHART_HEIGHT = 200;

export function Chart({ plot }: { plot: Plot }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current!;
    const width = () => Math.max(MIN_CHART_WIDTH, el.clientWidth);
    const { labels } = plot;
    // Named categories lie on their side: the x scale runs down the left, the first
    // at the top, and the counts along the bottom.
    const height = labels
      ? labels.length * ROW_HEIGHT + COUNT_AXIS_HEIGHT + ROWS_TOP_PADDING
      : CHART_HEIGHT;
    // uPlot's x values: a time in seconds.
    const xs = plot.time ? plot.x.map((ms) => ms / 1000) : plot.x;
    // A lone x reaches the range function already widened by uPlot (a time by
    // 86,400,000 s: its day in ms, read as seconds), so it starts from the data.
    const lone = xs.every((x) => x === xs[0]) ? xs[0]! : undefined;
    // Bars of several series stand on each other (stackTops): the data stays each
    // series' own count, which the legend shows; the bars are drawn from the tops.
    const tops =
      plot.bars && plot.series.length > 1
        ? stackTops(plot.series.map((s) => s.values))
        : undefined;
    const highest = tops?.at(-1)!.reduce((a, b) => Math.max(a, b), 0);
    const zeros = xs.map(() => 0);
    const hourBars = xs.map(() => HOUR_BAR_SECONDS);
    const chart = new uPlot(
      {
        width: width(),
        height,
        ...(labels
          ? { padding: [ROWS_TOP_PADDING, null, 0, null] as uPlot.Padding }
          : {}),
        // A bar is its own mark: a point on it said nothing more (a stack's, mid-bar,
        // something wrong), and a bar of none drew a point on the axis.
        ...(plot.bars ? { cursor: { points: { show: false } } } : {}),
        scales: {
          x: {
            time: plot.time ?? false,
            ...(labels ? { ori: 1 as const, dir: -1 as const } : {}),
            range: (_u, min, max) =>
              lone === undefined
                ? xRange(plot, min, max)
                : xRange(plot, lone, lone),
          },
          y: {
            ...(labels ? { ori: 0 as const } : {}),
            range: (_u, min, max) =>
              yRange(min, highest === undefined ? max : Math.max(max, highest)),
          },
        },
        axes: [
          plot.time
            ? {}
            : {
                incrs: WHOLE_STEPS,
                ...(labels
                  ? {
                      side: 3 as const,
                      values: (_u: uPlot, ticks: number[]) =>
                        ticks.map((x) => categoryName(labels, x)),
                      space: rowTickSpace,
                      size: labelledAxisSize,
                    }
                  : {}),
              },
          // The ticks yRange's top was chosen by: the top one is labelled. As wide
          // as its longest label: uPlot's 50 px cut "10,000" to "0,000".
          {
            splits: (_u, _axis, min, max) => yTicks(min, max),
            ...(labels
              ? { side: 2 as const, size: COUNT_AXIS_HEIGHT }
              : { size: labelledAxisSize }),
          },
        ],
        series: [
          {
            ...(plot.xName ? { label: plot.xName } : {}),
            ...(labels
              ? {
                  value: (_u: uPlot, x: number | null) =>
                    x === null ? '--' : (labels[x - 1] ?? ''),
                }
              : {}),
          },
          ...plot.series.map((s, i) => ({
            label: s.label,
            stroke: COLOURS[i % COLOURS.length]!,
            width: 2,
            ...(plot.bars
              ? {
                  fill: `${COLOURS[i % COLOURS.length]!}99`,
                  paths: uPlot.paths.bars!({
                    ...(plot.time ? {} : CATEGORY_BAR),
                    disp: {
                      ...(plot.time
                        ? {
                            x0: { unit: 1, values: () => xs },
                            size: { unit: 1, values: () => hourBars },
                          }
                        : {}),
                      ...(tops
                        ? {
                            y0: {
                              unit: 1,
                              values: () => (i === 0 ? zeros : tops[i - 1]!),
                            },
                            y1: { unit: 1, values: () => tops[i]! },
                          }
                        : {}),
                    },
                  }),
                  points: { show: false },
                  // The legend says 0 where no bar is drawn.
                  value: (
                    _u: uPlot,
                    v: number | null,
                    _s: number,
                    at: number | null,
                  ) => (at === null ? '--' : (v ?? 0).toLocaleString()),
                }
              : {}),
          })),
        ],
      },
      [
        xs,
        // A bar of none is not drawn: as a bar of no height it drew its outline
        // along the axis, or across the top of the bar it stood on.
        ...plot.series.map((s) =>
          plot.bars ? s.values.map((v) => (v === 0 ? null : v)) : s.values,
        ),
      ],
      el,
    );
    // The chart follows its box: a window resized, a phone turned.
    const resized = new ResizeObserver(() => {
      if (width() !== chart.width) chart.setSize({ width: width(), height });
    });
    resized.observe(el);
    return () => {
      resized.disconnect();
      chart.destroy();
    };
  }, [plot]);
  // The table below says the same to a screen reader.
  return <div class="chart" ref={box} aria-hidden="true" />;
}
