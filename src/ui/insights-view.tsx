// The Insights view: loaded on first use (lazyView in ./app.tsx), with its
// charting library, so that the main bundle carries neither.
import { signal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ConflictKind, InsightsData } from '../contract/index.ts';
import {
  barAlign,
  barSize,
  categoryName,
  stackTops,
  WHOLE_STEPS,
  xRange,
  yRange,
  yTicks,
} from './chart-scales.ts';
import { toCsv, type Cell } from './csv.ts';
import { documents, followEveryEvent, logService } from './app-state.ts';
import { dateTimeText } from './time-text.ts';

/** Which document (by id) the insights are of; '' for the whole log. */
const scope = signal('');
const data = signal<InsightsData | undefined>(undefined);
const problem = signal<string | undefined>(undefined);

/** One colour per series, in order; dark enough on white for lines and bars. */
const COLOURS = [
  '#1f5fbf',
  '#b34700',
  '#1b7a3a',
  '#a3217a',
  '#5b3fb5',
  '#6b6b00',
];

/** A document by its title; a deleted one says so (its history still counts). */
const titleOf = (docId: string) => {
  const doc = documents.value.find((d) => d.docId === docId);
  if (!doc) return docId;
  const title = doc.title.join(' / ') || 'Untitled';
  return doc.deleted ? `${title} (deleted)` : title;
};
const duration = (ms: number | undefined) =>
  ms === undefined
    ? 'unresolved'
    : ms < 60_000
      ? `${Math.round(ms / 1000)} s`
      : ms < 3_600_000
        ? `${Math.round(ms / 60_000)} min`
        : `${(ms / 3_600_000).toFixed(1)} h`;

async function load(): Promise<void> {
  const asked = scope.value;
  try {
    const next = await (await logService()).insights(asked || undefined);
    if (scope.value === asked) {
      data.value = next;
      problem.value = undefined;
    }
  } catch (error) {
    problem.value = (error as Error).message;
  }
}

export function InsightsView() {
  useEffect(() => {
    // Live: what other tabs and devices write shows once they pause. Followed
    // before the first load, so that nothing stored meanwhile is missed.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stop = followEveryEvent(() => {
      clearTimeout(timer);
      timer = setTimeout(() => void load(), 400);
    });
    void load();
    return () => {
      clearTimeout(timer);
      stop();
    };
  }, []);
  const d = data.value;
  return (
    <section class="insights" aria-label="Insights">
      <h2>Insights</h2>
      <label>
        <span class="label">Scope</span>
        <select
          value={scope.value}
          onChange={(e) => {
            scope.value = (e.target as HTMLSelectElement).value;
            data.value = undefined;
            void load();
          }}
        >
          <option value="">The whole log</option>
          {documents.value.map((doc) => (
            <option key={doc.docId} value={doc.docId}>
              {titleOf(doc.docId)}
            </option>
          ))}
        </select>
      </label>
      {problem.value && <p class="problem">{problem.value}</p>}
      {!d ? <p>Reading the log…</p> : <Figures data={d} />}
    </section>
  );
}

function Figures({ data: d }: { data: InsightsData }) {
  const authors = [...new Set(d.edits.map((e) => e.author))].sort();
  const hours = [...new Set(d.edits.map((e) => e.hour))].sort((a, b) => a - b);
  const count = new Map(
    d.edits.map((e) => [`${e.hour}\n${e.author}`, e.count]),
  );
  const kinds: ConflictKind[] = ['register', 'overlapping text', 'auto-merged'];
  const conflictHours = [
    ...new Set(d.conflicts.map((c) => floorHour(Date.parse(c.time)))),
  ].sort((a, b) => a - b);
  return (
    <div class="figures">
      <Figure
        name="Edits over time per author"
        file="edits-over-time"
        columns={['Hour', 'Author', 'Edits']}
        rows={d.edits.map((e) => [dateTimeText(e.hour), e.author, e.count])}
        plot={{
          x: hours,
          series: authors.map((a) => ({
            label: a,
            values: hours.map((h) => count.get(`${h}\n${a}`) ?? 0),
          })),
          time: true,
        }}
      />
      <Figure
        name="Conflicts over time by kind"
        file="conflicts"
        columns={['Time', 'Document', 'Kind', 'State', 'Time to resolution']}
        rows={d.conflicts.map((c) => [
          dateTimeText(c.time),
          titleOf(c.docId),
          c.kind,
          c.state,
          duration(c.resolvedAfter),
        ])}
        plot={{
          x: conflictHours,
          series: kinds.map((kind) => ({
            label: kind,
            values: conflictHours.map(
              (h) =>
                d.conflicts.filter(
                  (c) => c.kind === kind && floorHour(Date.parse(c.time)) === h,
                ).length,
            ),
          })),
          time: true,
          bars: true,
        }}
      />
      <Figure
        name="Document size over time"
        file="size-over-time"
        columns={['Hour', 'Characters']}
        rows={d.sizes.map((s) => [dateTimeText(s.hour), s.characters])}
        plot={{
          x: d.sizes.map((s) => s.hour),
          series: [
            { label: 'Characters', values: d.sizes.map((s) => s.characters) },
          ],
          time: true,
        }}
      />
      <Figure
        name="Busiest documents"
        file="busiest-documents"
        columns={['Document', 'Events']}
        rows={d.busiestDocuments.map((b) => [titleOf(b.docId), b.events])}
        plot={{
          x: d.busiestDocuments.map((_, i) => i + 1),
          labels: d.busiestDocuments.map((b) => titleOf(b.docId)),
          xName: 'Document',
          series: [
            {
              label: 'Events',
              values: d.busiestDocuments.map((b) => b.events),
            },
          ],
          bars: true,
        }}
      />
      <Figure
        name="Busiest hours of the day (UTC)"
        file="busiest-hours"
        columns={['Hour of the day (UTC)', 'Events']}
        rows={d.busiestHours.map((b) => [b.hour, b.events])}
        plot={{
          x: d.busiestHours.map((b) => b.hour),
          xName: 'Hour (UTC)',
          series: [
            { label: 'Events', values: d.busiestHours.map((b) => b.events) },
          ],
          bars: true,
        }}
      />
    </div>
  );
}

const floorHour = (ms: number) => Math.floor(ms / 3_600_000) * 3_600_000;

interface Plot {
  x: number[];
  series: { label: string; values: number[] }[];
  /** x is a time in ms. */
  time?: boolean;
  bars?: boolean;
  /** Names of categories x = 1, 2, …: the axis and the legend show them. */
  labels?: string[];
  /** What x is, in the legend (a time's is "Time"). */
  xName?: string;
}

/** Columns whose cells hold what replicas wrote (titles, labels): broken anywhere. */
const FROM_REPLICAS = new Set(['Author', 'Document']);

/** A chart, the same numbers as a table (what a screen reader reads), and their CSV. */
function Figure(props: {
  name: string;
  file: string;
  columns: string[];
  rows: Cell[][];
  plot: Plot;
}) {
  const { name, file, columns, rows, plot } = props;
  const id = `figure-${file}`;
  return (
    <figure class="figure" aria-labelledby={id}>
      <figcaption id={id}>
        <h3>{name}</h3>
      </figcaption>
      {plot.x.length === 0 ? <p>Nothing yet.</p> : <Chart plot={plot} />}
      <div
        class="figure-table"
        tabIndex={0}
        role="group"
        aria-label={`${name}: the numbers`}
      >
        <table aria-label={name}>
          <thead>
            <tr>
              {columns.map((c) => (
                <th key={c} scope="col">
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row, i) => (
              <tr key={i}>
                {row.map((cell, k) => (
                  <td
                    key={k}
                    class={
                      FROM_REPLICAS.has(columns[k]!)
                        ? 'from-replica'
                        : undefined
                    }
                  >
                    {cell}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <button
        type="button"
        aria-label={`Download CSV: ${name}`}
        onClick={() => download(`${file}.csv`, toCsv(columns, rows))}
      >
        Download CSV
      </button>
    </figure>
  );
}

function download(name: string, csv: string): void {
  const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A chart's least width: narrower, its axes' labels would collide. */
const MIN_CHART_WIDTH = 200;
const CHART_HEIGHT = 200;

function Chart({ plot }: { plot: Plot }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current!;
    const width = () => Math.max(MIN_CHART_WIDTH, el.clientWidth);
    const { labels } = plot;
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
    const chart = new uPlot(
      {
        width: width(),
        height: CHART_HEIGHT,
        // The cursor's points, like the series', would mark counts mid-stack.
        ...(tops ? { cursor: { points: { show: false } } } : {}),
        scales: {
          x: {
            time: plot.time ?? false,
            range: (_u, min, max) =>
              lone === undefined
                ? xRange(plot, min, max)
                : xRange(plot, lone, lone),
          },
          y: {
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
                      values: (_u: uPlot, ticks: number[]) =>
                        ticks.map((x) => categoryName(labels, x)),
                    }
                  : {}),
              },
          // The ticks yRange's top was chosen by: the top one is labelled.
          { splits: (_u, _axis, min, max) => yTicks(min, max) },
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
                    size: barSize(plot),
                    align: barAlign(plot),
                    ...(tops
                      ? {
                          disp: {
                            y0: {
                              unit: 1,
                              values: () => (i === 0 ? zeros : tops[i - 1]!),
                            },
                            y1: { unit: 1, values: () => tops[i]! },
                          },
                        }
                      : {}),
                  }),
                  // A point marks a series' own count: on a stack, mid-bar.
                  ...(tops ? { points: { show: false } } : {}),
                }
              : {}),
          })),
        ],
      },
      [xs, ...plot.series.map((s) => s.values)],
      el,
    );
    // The chart follows its box: a window resized, a phone turned.
    const resized = new ResizeObserver(() => {
      if (width() !== chart.width)
        chart.setSize({ width: width(), height: CHART_HEIGHT });
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
