import { signal } from '@preact/signals';
import type { DocConflict, DocumentView } from '../index.ts';
import { history, restoreVersion, view, viewAt } from './app-state.ts';
import { layOutLanes } from './dag-lanes.ts';

const ROWS_SHOWN = 300;
const ROW = 16;
const LANE = 16;

const selected = signal<
  { conflict: DocConflict; sides: (DocumentView | undefined)[] } | undefined
>(undefined);

const time = (iso: string) => (iso ? new Date(iso).toLocaleTimeString() : '');

function describe(c: DocConflict): string {
  const who = c.authors.join(' and ');
  if (c.kind === 'field') {
    return `${c.field}: ${c.events.length} concurrent values by ${who}`;
  }
  return `Text: ${c.events.length} concurrent edits by ${who}${c.overlapping ? ', in the same place' : ''}`;
}

function stateOf(c: DocConflict): string {
  if (c.state === 'unresolved') return 'unresolved';
  if (c.state === 'auto-merged')
    return c.overlapping
      ? 'auto-merged (overlapping: check the result)'
      : 'auto-merged';
  return `resolved by ${c.resolvedBy?.slice(0, 8)}`;
}

async function compare(conflict: DocConflict) {
  selected.value = { conflict, sides: conflict.sides.map(() => undefined) };
  const sides = await Promise.all(conflict.sides.map((heads) => viewAt(heads)));
  if (selected.value?.conflict === conflict)
    selected.value = { conflict, sides };
}

function Lanes() {
  const events = history.value.slice(-ROWS_SHOWN);
  const { placed, lanes } = layOutLanes(events);
  const width = lanes * LANE + 8;
  const height = placed.length * ROW + 8;
  const x = (lane: number) => 8 + lane * LANE;
  const y = (row: number) => 8 + row * ROW;
  return (
    <svg
      class="lanes"
      width={width}
      height={height}
      role="img"
      aria-label={`History graph: ${events.length} events in ${lanes} lanes`}
    >
      {placed.map((p) =>
        p.from.map((f, i) => (
          <path
            key={`${p.id}-${i}`}
            d={`M${x(f.lane)},${y(f.row)} C${x(f.lane)},${y(p.row) - ROW / 2} ${x(p.lane)},${y(f.row) + ROW / 2} ${x(p.lane)},${y(p.row)}`}
            class="edge"
          />
        )),
      )}
      {placed.map((p) => (
        <circle
          key={p.id}
          cx={x(p.lane)}
          cy={y(p.row)}
          r={4}
          class={`node lane-${p.lane % 6}`}
        >
          <title>{p.id}</title>
        </circle>
      ))}
    </svg>
  );
}

function Comparison() {
  const chosen = selected.value;
  if (!chosen) return null;
  return (
    <section class="comparison" aria-label="Compare versions">
      <h3>{describe(chosen.conflict)}</h3>
      <div class="sides">
        {chosen.conflict.sides.map((heads, i) => {
          const side = chosen.sides[i];
          return (
            <article key={heads.join()} aria-label={`Side ${i + 1}`}>
              <h4>As side {i + 1} saw it</h4>
              {side ? (
                <>
                  <p class="side-title">
                    Title:{' '}
                    {(side.fields.title ?? []).map(String).join(' / ') ||
                      'Untitled'}
                  </p>
                  <pre class="side-text">{side.text}</pre>
                  <button
                    type="button"
                    onClick={() => void restoreVersion(heads)}
                  >
                    Restore this version
                  </button>
                </>
              ) : (
                <p>Loading…</p>
              )}
            </article>
          );
        })}
        <article aria-label="Merged result">
          <h4>Merged result</h4>
          <p class="side-title">
            Title:{' '}
            {(view.value?.fields.title ?? []).map(String).join(' / ') ||
              'Untitled'}
          </p>
          <pre class="side-text">{view.value?.text}</pre>
        </article>
      </div>
      <button
        type="button"
        class="quiet"
        onClick={() => (selected.value = undefined)}
      >
        Close comparison
      </button>
    </section>
  );
}

/** The stream's DAG as lanes, and each conflict or editing episode beside it. */
export function ConflictTimeline() {
  const conflicts = view.value?.conflicts ?? [];
  return (
    <section class="timeline" aria-label="Conflict timeline">
      <h2>Conflict timeline</h2>
      <div class="timeline-body">
        <Lanes />
        <div>
          {conflicts.length === 0 && <p>No concurrent edits yet.</p>}
          <ol class="conflicts">
            {[...conflicts].reverse().map((c) => (
              <li
                key={`${c.kind}-${c.events.join()}`}
                class={`conflict ${c.state}`}
              >
                <span class="what">{describe(c)}</span>{' '}
                <span class="when">
                  {time(c.from)}
                  {c.to !== c.from ? `–${time(c.to)}` : ''}
                </span>{' '}
                <span class="state">{stateOf(c)}</span>{' '}
                <button type="button" onClick={() => void compare(c)}>
                  Compare
                </button>
              </li>
            ))}
          </ol>
        </div>
      </div>
      <Comparison />
    </section>
  );
}
