import { signal } from '@preact/signals';
import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';
import {
  DOC_PREFIX,
  FIELD_SET,
  TEXT_EDITED,
  VERSION_RESTORED,
  docIdOf,
} from '../index.ts';
import type { EventFilter } from '../log/event-filter.ts';
import { documents } from './app-state.ts';
import { conflictWords } from './conflict-words.ts';
import {
  filter,
  follow,
  freshCount,
  loading,
  loadMore,
  more,
  newestFirst,
  problem,
  query,
  rowCount,
  rowsShown,
  rowsVersion,
  select,
  selected,
} from './explorer-state.ts';
import { openDocAtEvent } from './screens.ts';
import { dateTimeText, instantOf, localOf } from './time-text.ts';

/** Every row has this height (CSS `.events tr`), so the rows on screen follow from the scroll. */
const ROW_HEIGHT = 28;
/**
 * Rows drawn beyond the visible ones, above and below: a few, since the page lays
 * out and paints every row drawn whenever a filter gives new rows.
 */
const OVERSCAN = 8;
const TYPES: [string, string][] = [
  ['', 'Any type'],
  [TEXT_EDITED, 'Text edits'],
  [FIELD_SET, 'Field changes'],
  [VERSION_RESTORED, 'Restores'],
];

const scrollTop = signal(0);
/** The row's button that opened the event panel: focus goes back to it. */
let panelOpener: HTMLElement | undefined;
/** An author being typed: the query waits for a pause. */
let typing: ReturnType<typeof setTimeout> | undefined;
const viewport = signal(600);

const titleOf = (title: string[]) =>
  title.length === 0 ? 'Untitled' : title.join(' / ');

/**
 * Every event of the log in a table, filtered by stream, type, author and time,
 * read a page at a time as it scrolls and drawn only where it is on screen.
 */
export function EventExplorer() {
  useEffect(() => {
    const stop = follow();
    void query(filter.value);
    return stop;
  }, []);
  return (
    <section class="explorer" aria-label="Event explorer">
      <h2>Event explorer</h2>
      <Filters />
      {problem.value && (
        <p class="problem" role="alert">
          {problem.value}
        </p>
      )}
      <div class="explorer-body">
        <EventsTable />
        {selected.value && <EventPanel />}
      </div>
    </section>
  );
}

function Filters() {
  const f = filter.value;
  // On the filter as it is when the change is made, not as it was drawn: an
  // author's query waits for a pause in typing, and made on the filter of its
  // keystroke it dropped a time range or type chosen meanwhile.
  const change = (patch: Partial<EventFilter>) => {
    const next: EventFilter = { ...filter.value, ...patch };
    for (const key of Object.keys(next) as (keyof EventFilter)[])
      if (next[key] === undefined || next[key] === '') delete next[key];
    void query(next);
  };
  const value = (e: Event) => (e.target as HTMLInputElement).value;
  // The typed fields (author, from, to) start from the filter, which outlives them
  // (back from another view, the table was filtered by a range the fields no longer
  // showed), and are the user's from then on: set from the filter at every drawing,
  // they lost what was being typed whenever another filter changed meanwhile.
  return (
    <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
      <label>
        <span class="label">Order</span>
        <select
          value={newestFirst.value ? 'newest' : 'arrival'}
          onChange={(e) => void query(filter.value, value(e) === 'newest')}
        >
          <option value="newest">Newest first</option>
          <option value="arrival">Oldest first</option>
        </select>
      </label>
      <label>
        <span class="label">Stream</span>
        <select
          value={f.streams ?? ''}
          onChange={(e) => change({ streams: value(e) || undefined })}
        >
          <option value="">All streams</option>
          <option value={DOC_PREFIX}>All documents</option>
          {documents.value.map((d) => (
            <option key={d.docId} value={`${DOC_PREFIX}${d.docId}`}>
              {/* As the insights' scope says it (QA pass 16). */}
              {d.deleted ? `${titleOf(d.title)} (deleted)` : titleOf(d.title)}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span class="label">Type</span>
        <select
          value={f.types?.[0] ?? ''}
          onChange={(e) => change({ types: value(e) ? [value(e)] : undefined })}
        >
          {TYPES.map(([type, name]) => (
            <option key={type} value={type}>
              {name}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span class="label">Author</span>
        <input
          type="text"
          defaultValue={f.author ?? ''}
          placeholder="Anyone"
          onInput={(e) => {
            const author = value(e).trim() || undefined;
            clearTimeout(typing);
            typing = setTimeout(() => change({ author }), 250);
          }}
        />
      </label>
      <label>
        <span class="label">From</span>
        <input
          type="datetime-local"
          defaultValue={localOf(f.from)}
          onChange={(e) => change({ from: instantOf(value(e), false) })}
        />
      </label>
      <label>
        <span class="label">To</span>
        <input
          type="datetime-local"
          defaultValue={localOf(f.to)}
          onChange={(e) => change({ to: instantOf(value(e), true) })}
        />
      </label>
    </form>
  );
}

/**
 * Why a filter finds nothing, where the filter itself says: a time range that ends
 * before it begins; or, with nothing else narrowing it, an author that may be
 * written otherwise than the Author column writes it (it is matched whole). Beside
 * a stream, a type or a range, the author may be right and simply wrote none of
 * those (QA pass 7: "Bob", spelled right, had no restores).
 */
function whyNone(f: EventFilter): string {
  if (f.from !== undefined && f.to !== undefined && f.from > f.to)
    return ': “From” is after “To”.';
  const alone =
    f.from === undefined &&
    f.to === undefined &&
    f.streams === undefined &&
    !f.types?.length;
  if (f.author !== undefined && alone)
    return ` by “${f.author}”: an author is matched whole, as the Author column writes it.`;
  return '';
}

function EventsTable() {
  void rowsVersion.value;
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current!;
    const measure = () => (viewport.value = el.clientHeight || 600);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  // The box reaches the window's bottom from wherever it starts: the filters take
  // two lines at 1280 px (more on a narrower screen), and a height guessed from
  // one ran the box past the window (QA pass 14). Measured again as what is above
  // it changes.
  useLayoutEffect(() => {
    const el = box.current!;
    const place = () => {
      const top = Math.round(el.getBoundingClientRect().top + scrollY);
      el.style.setProperty('--above', `${top}px`);
    };
    place();
    const observer = new ResizeObserver(place);
    observer.observe(document.body);
    return () => observer.disconnect();
  }, []);
  // Another filter's rows start at the top: scrolled to the 90,000th row of the
  // last one, the table drew the rows there, and a filter of 2 events showed none.
  const current = filter.value;
  const newest = newestFirst.value;
  // Newest first, new events come above the rows: scrolled down to read, the rows
  // stay where they were (at the top, the new ones show).
  const above = useRef(0);
  useEffect(() => {
    box.current!.scrollTop = 0;
    scrollTop.value = 0;
    above.current = 0;
  }, [current, newest]);
  const fresh = freshCount();
  useLayoutEffect(() => {
    const el = box.current!;
    const added = fresh - above.current;
    above.current = fresh;
    if (added > 0 && el.scrollTop > 0) {
      el.scrollTop += added * ROW_HEIGHT;
      scrollTop.value = el.scrollTop;
    }
  }, [fresh]);
  const total = rowCount();
  const first = Math.max(
    0,
    Math.floor(scrollTop.value / ROW_HEIGHT) - OVERSCAN,
  );
  const last = Math.min(
    total,
    Math.ceil((scrollTop.value + viewport.value) / ROW_HEIGHT) + OVERSCAN,
  );
  // Near the end of what is read: the next page, before it is needed.
  if (more.value !== undefined && !loading.value && last + OVERSCAN >= total)
    queueMicrotask(() => void loadMore());
  const shownId = selected.value?.row.id;
  // Beside the event's panel, which names its actor, the table drops that column:
  // at 1600 px the summary, what each event did, was cut to 8 characters (QA pass 8).
  const withPanel = !!selected.value;
  // The columns drawn: a spacer row spanning more made the table a phantom column
  // as wide as the summary's, beside the panel (QA pass 16).
  const columns = withPanel ? 4 : 6;
  return (
    <div
      class="events-box"
      ref={box}
      // Focus goes here when the event's row it came from is no longer drawn.
      tabIndex={-1}
      onScroll={(e) => (scrollTop.value = (e.target as HTMLElement).scrollTop)}
    >
      <table
        class={withPanel ? 'events with-panel' : 'events'}
        aria-label="Events"
        aria-busy={loading.value}
        aria-rowcount={more.value === undefined ? total + 1 : -1}
      >
        <colgroup>
          <col class="time" />
          <col class="author" />
          {!withPanel && <col class="actor" />}
          {!withPanel && <col class="stream" />}
          <col class="type" />
          <col />
        </colgroup>
        <thead>
          <tr aria-rowindex={1}>
            <th scope="col">Time</th>
            <th scope="col">Author</th>
            {!withPanel && <th scope="col">Actor</th>}
            {!withPanel && <th scope="col">Stream</th>}
            <th scope="col">Type</th>
            <th scope="col">Summary</th>
          </tr>
        </thead>
        <tbody>
          {first > 0 && <Spacer rows={first} columns={columns} />}
          {rowsShown(first, last).map((row, i) => (
            <tr
              key={row.id}
              aria-rowindex={first + i + 2}
              aria-selected={row.id === shownId}
            >
              <td>
                <button
                  type="button"
                  class="link"
                  aria-label={`Open event ${row.id} of ${dateTimeText(row.time)}`}
                  onClick={(e) => {
                    panelOpener = e.currentTarget;
                    void select(row.id);
                  }}
                >
                  {dateTimeText(row.time)}
                </button>
              </td>
              {/* A cell cut to "…" says the whole of it on hover. */}
              <td title={row.author}>{row.author}</td>
              {!withPanel && <td class="mono">{row.actor}</td>}
              {!withPanel && (
                <td title={streamName(row.stream)}>{streamName(row.stream)}</td>
              )}
              <td>{row.type}</td>
              <td title={row.summary}>{row.summary}</td>
            </tr>
          ))}
          {last < total && <Spacer rows={total - last} columns={columns} />}
        </tbody>
      </table>
      <p class="hint" aria-live="polite">
        {loading.value
          ? 'Reading events…'
          : more.value === undefined
            ? `${total} ${total === 1 ? 'event' : 'events'}${total === 0 ? whyNone(filter.value) : ''}`
            : `${total} events so far; more as you scroll`}
      </p>
    </div>
  );
}

/**
 * The height of `rows` rows not drawn, so that the table scrolls as if they were.
 * Given as a number, the height was dropped (Preact 11 adds no unit), and the table
 * could not be scrolled past the rows drawn, nor the next pages read.
 */
function Spacer(props: { rows: number; columns: number }) {
  return (
    <tr aria-hidden="true" class="spacer">
      {/* In px: Preact 11 no longer adds the unit to a number (which was ignored). */}
      <td
        colSpan={props.columns}
        style={{ height: `${props.rows * ROW_HEIGHT}px` }}
      />
    </tr>
  );
}

/** A stream as people know it: a document by its title. */
function streamName(stream: string): string {
  if (!stream.startsWith(DOC_PREFIX)) return stream;
  const doc = documents.value.find((d) => d.docId === docIdOf(stream));
  return doc ? titleOf(doc.title) : stream;
}

/** A parent or child was followed: its heading takes focus once it is shown. */
let followed = false;

function EventPanel() {
  const detail = selected.value!;
  const { row } = detail;
  const heading = useRef<HTMLHeadingElement>(null);
  // The pressed link goes with the event it was in: focus went to the page, and
  // Escape then closed nothing (QA pass 18).
  useLayoutEffect(() => {
    if (!followed) return;
    followed = false;
    heading.current?.focus();
  });
  // An event opened: its panel in sight, below the table on a phone (QA pass 18
  // saw nothing happen, the panel past the screen's bottom); beside it, where it
  // is in sight already, nothing moves.
  useLayoutEffect(() => {
    heading.current?.scrollIntoView({ block: 'nearest' });
  }, [row.id]);
  const isDocument = row.stream.startsWith(DOC_PREFIX);
  const links = (ids: string[], empty: string) =>
    ids.length === 0 ? (
      <p>{empty}</p>
    ) : (
      <ul>
        {ids.map((id) => (
          <li key={id}>
            <button
              type="button"
              class="link mono"
              onClick={() => {
                followed = true;
                void select(id);
              }}
            >
              {id}
            </button>
          </li>
        ))}
      </ul>
    );
  // The pressed button goes with the panel: focus goes back to the row, or, once
  // its row has scrolled out of the table's rows drawn, to the table's box.
  const close = () => {
    const box = heading.current
      ?.closest('.explorer')
      ?.querySelector<HTMLElement>('.events-box');
    selected.value = undefined;
    if (panelOpener?.isConnected) panelOpener.focus();
    else box?.focus();
  };
  return (
    <section
      class="event-panel"
      aria-label="Event"
      // Escape inside it closes it, as it closes a comparison.
      onKeyDown={(e) => {
        if (e.key !== 'Escape') return;
        e.preventDefault();
        close();
      }}
    >
      <h3 ref={heading} tabIndex={-1}>
        {row.type} by {row.author}
      </h3>
      <p>
        {dateTimeText(row.time)} in {streamName(row.stream)}
      </p>
      <h4>Parents</h4>
      {links(detail.parents, 'None: the first event of its stream.')}
      <h4>Children</h4>
      {links(detail.children, 'None yet: a head of its stream.')}
      <h4>Conflicts</h4>
      {detail.conflicts.length === 0 ? (
        <p>Not part of a conflict.</p>
      ) : (
        <ul>
          {detail.conflicts.map((c) => (
            <li key={c.events.join()}>
              {conflictWords(
                c.events.length - 1,
                c.state,
                c.kind,
                row.type === TEXT_EDITED,
              )}
            </li>
          ))}
        </ul>
      )}
      {isDocument && (
        <button
          type="button"
          onClick={() => void openDocAtEvent(docIdOf(row.stream), row.id)}
        >
          Open the document at this event
        </button>
      )}
      <h4>As a CloudEvent</h4>
      <pre class="cloud-event" tabIndex={0} aria-label="CloudEvent">
        {detail.cloudEvent}
      </pre>
      <button type="button" class="quiet" onClick={close}>
        Close the event
      </button>
    </section>
  );
}
