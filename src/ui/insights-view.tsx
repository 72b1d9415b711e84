// The Insights view: loaded on first use (lazyView in ./app.tsx), with its
// charting library, so that the main bundle carries neither.
import { signal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import type { ConflictKind, InsightsData } from '../contract/index.ts';
import { Chart, type Plot } from './chart.tsx';
import { shownText, toCsv, type Cell } from './csv.ts';
import { documents, followEveryEvent, logService } from './app-state.ts';
import { dateTimeText } from './time-text.ts';

/** Which document (by id) the insights are of; '' for the whole log. */
const scope = signal('');
const data = signal<InsightsData | undefined>(undefined);
const problem = signal<string | undefined>(undefined);

/** A document by its title; a deleted one says so (its history still counts). */
const titleOf = (docId: string) => {
  const doc = documents.value.find((d) => d.docId === docId);
  if (!doc) return docId;
  const title = doc.title.join(' / ') || 'Untitled';
  // As the documents list says it: one deleted while another device edited it is
  // still listed there, and asks which to keep.
  return doc.deletionContested
    ? `${title} (deleted while being edited)`
    : doc.deleted
      ? `${title} (deleted)`
      : title;
};
/**
 * How long a conflict took to resolve: in words on screen, in seconds in the CSV
 * (which had "7 min" and "unresolved" in one column). Text that Yjs merged needed
 * no resolving: a writer who happened to write again having seen both sides, minutes
 * later, said nothing of it.
 */
function resolutionCell(c: InsightsData['conflicts'][number]): Cell {
  if (c.state === 'auto-merged') return { shown: '—', csv: '' };
  if (c.resolvedAfter === undefined) return { shown: 'unresolved', csv: '' };
  return {
    shown: duration(c.resolvedAfter),
    csv: String(Math.round(c.resolvedAfter / 1000)),
  };
}

const duration = (ms: number) =>
  ms < 60_000
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

/**
 * A kind of conflict in the page's words: "register" is the engine's (QA pass 15
 * read it in the legend beside a renamed title).
 */
const KIND_NAMES: Record<ConflictKind, string> = {
  register: 'title or field',
  'overlapping text': 'overlapping text',
  'auto-merged': 'auto-merged text',
  deletion: 'deletion',
};

function Figures({ data: d }: { data: InsightsData }) {
  const authors = [...new Set(d.edits.map((e) => e.author))].sort();
  const hours = [...new Set(d.edits.map((e) => e.hour))].sort((a, b) => a - b);
  const count = new Map(
    d.edits.map((e) => [`${e.hour}\n${e.author}`, e.count]),
  );
  const kinds: ConflictKind[] = [
    'register',
    'overlapping text',
    'auto-merged',
    'deletion',
  ];
  const conflictHours = [
    ...new Set(d.conflicts.map((c) => floorHour(Date.parse(c.time)))),
  ].sort((a, b) => a - b);
  return (
    <div class="figures">
      <Figure
        name="Edits over time per author"
        file="edits-over-time"
        columns={['Hour', 'Author', 'Edits']}
        rows={d.edits.map((e) => [timeCell(e.hour), e.author, e.count])}
        plot={{
          x: hours,
          series: authors.map((a) => ({
            label: a,
            values: hours.map((h) => count.get(`${h}\n${a}`) ?? 0),
          })),
          time: true,
          // Stacked: as points, two writers with as many edits in an hour were one.
          bars: true,
        }}
      />
      <Figure
        name="Conflicts over time by kind"
        file="conflicts"
        columns={[
          'Time',
          'Document',
          'Kind',
          'State',
          { shown: 'Time to resolution', csv: 'Time to resolution (s)' },
        ]}
        rows={d.conflicts.map((c) => [
          timeCell(c.time),
          titleOf(c.docId),
          KIND_NAMES[c.kind],
          c.state,
          resolutionCell(c),
        ])}
        plot={{
          x: conflictHours,
          series: kinds.map((kind) => ({
            label: KIND_NAMES[kind],
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
        rows={d.sizes.map((s) => [timeCell(s.hour), s.characters])}
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

/**
 * A time cell: in the reader's locale on screen, RFC 3339 in the CSV. An event's
 * time that does not parse (another replica wrote it) is written as it came.
 */
function timeCell(at: string | number): Cell {
  const date = new Date(at);
  return {
    shown: dateTimeText(at),
    csv: Number.isNaN(date.getTime()) ? String(at) : date.toISOString(),
  };
}

const floorHour = (ms: number) => Math.floor(ms / 3_600_000) * 3_600_000;

/** Columns whose cells hold what replicas wrote (titles, labels): broken anywhere. */
const FROM_REPLICAS = new Set(['Author', 'Document']);

/** A chart, the same numbers as a table (what a screen reader reads), and their CSV. */
function Figure(props: {
  name: string;
  file: string;
  columns: Cell[];
  rows: Cell[][];
  plot: Plot;
}) {
  const { name, file, columns, rows, plot } = props;
  const id = `figure-${file}`;
  const caption = (
    <figcaption id={id}>
      <h3>{name}</h3>
    </figcaption>
  );
  // No numbers: no empty table to tab to, and no CSV of nothing to download.
  if (rows.length === 0)
    return (
      <figure class="figure" aria-labelledby={id}>
        {caption}
        <p>Nothing yet.</p>
      </figure>
    );
  return (
    <figure class="figure" aria-labelledby={id}>
      {caption}
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
                <th key={shownText(c)} scope="col">
                  {shownText(c)}
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
                      FROM_REPLICAS.has(String(shownText(columns[k]!)))
                        ? 'from-replica'
                        : undefined
                    }
                  >
                    {shownText(cell)}
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
