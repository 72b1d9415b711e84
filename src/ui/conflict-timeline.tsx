import { signal } from '@preact/signals';
import { Component, Fragment } from 'preact';
import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';
import type { DocConflict, DocumentView, Json } from '../index.ts';
import { diffText, type DiffPart } from '../doc/text-diff.ts';
import { titlesOf } from '../doc/doc-events.ts';
import type { ConflictChanges, SideEdits } from '../doc/conflict-changes.ts';
import {
  changesSince,
  current,
  history,
  historyVersion,
  setField,
  takeBackSide,
  view,
  viewAt,
} from './app-state.ts';
import type { HistoryEntry } from '../doc/history-index.ts';
import { BUTTON_SHOWN, CHOICE_SHOWN, clipped } from './clipped.ts';
import { fieldName } from './conflict-words.ts';
import { layOutLanes } from './dag-lanes.ts';
import { looking } from './history-view.tsx';
import { spanText } from './time-text.ts';
import { writerNames } from '../doc/writers.ts';

/** The history graph's rows on screen: only these are drawn. */
const ROWS_SHOWN = 24;
/** Rows laid out (not drawn) on each side of those, for the lanes' places and edges. */
const LAID_AROUND = 64;
const ROW = 16;
const LANE = 16;

/**
 * Conflicts listed at first, and added by each "Show more": another replica may
 * write tens of thousands, and an item each made every delivery's render cost them
 * all. The count says how many there are; "Previous conflict" and "Next conflict"
 * in the history reach every one.
 */
const LISTED = 100;
const listedUpTo = signal(LISTED);

/** Unchanged text kept around a change in a comparison; the rest is elided. */
const CONTEXT = 60;

interface Comparison {
  conflict: DocConflict;
  /** The document at the fork point, at each side's heads, and merged: once read. */
  fork?: DocumentView;
  sides: (DocumentView | undefined)[];
  merged?: DocumentView;
  /** For text: what each writer changed, by Yjs item, and all of it merged. */
  changes?: ConflictChanges;
  /** Why the comparison could not be made. */
  error?: string;
  /**
   * What the last "Take back" did, said in the comparison (a polite live region, not
   * a second `status`: the page's one status line is the status element).
   */
  taken?: string;
}

/** Takes side `i` of the comparison's text conflict back out of the document. */
function takeBack(chosen: Comparison, i: number, edits: SideEdits): void {
  const side = `Side ${i + 1}’s changes`;
  let taken: string;
  try {
    taken = takeBackSide(edits)
      ? `Took back ${side}. Undo in the text (Ctrl+Z) brings them back.`
      : `${side} are no longer in the text: nothing to take back.`;
  } catch (error) {
    taken = `Could not take back ${side}: ${(error as Error).message}`;
  }
  const shown = selected.value;
  // Said in the comparison of that conflict, made again meanwhile or not.
  if (shown && keyOf(shown.conflict) === keyOf(chosen.conflict))
    selected.value = { ...shown, taken };
}

/** Whether a side's change holds anything to take back. */
const hasEdits = (edits: SideEdits | undefined) =>
  !!edits && (edits.inserted.length > 0 || edits.deleted.length > 0);

const selected = signal<Comparison | undefined>(undefined);
/** The "Compare" button that opened the comparison: focus goes back to it on close. */
let opener: HTMLElement | undefined;
/**
 * A comparison the user just asked for: its heading takes focus (and so comes into
 * view: it opens below the list, often below the fold). One made again because its
 * conflict was resolved meanwhile leaves focus where it is.
 */
let focusWanted = false;
/** The last "Show … more" was pressed: the index of the first conflict it showed. */
let firstShown: number | undefined;

function closeComparison(): void {
  selected.value = undefined;
  if (opener?.isConnected) opener.focus();
  opener = undefined;
}

/**
 * What a conflict is and who wrote it, the writers in the order of its sides as the
 * comparison heads them: a field's, or `sides` (a text comparison's writers, in
 * order of first edit) when they are its writers.
 */
function describe(c: DocConflict, sides?: string[]): string {
  const order = sides && sameMembers(sides, c.authors) ? sides : c.sideAuthors;
  const who = (order ? [...new Set(order)] : c.authors).join(' and ');
  if (c.restoredBy)
    return `Deleted by ${c.deletedBy?.join(' and ')} while ${c.restoredBy.join(' and ')} restored it`;
  if (c.kind === 'field')
    // One writer's values at once come of a restore of a version that held the
    // field in conflict (a writer's own writes follow one another): "concurrent
    // values by Ada" read as if Ada had raced herself.
    return c.authors.length === 1
      ? `${fieldName(c.field!)}: ${c.events.length} values restored together by ${who}`
      : `${fieldName(c.field!)}: ${c.events.length} concurrent values by ${who}`;
  if (c.kind === 'deleted')
    return `Deleted by ${c.deletedBy?.join(' and ')} while ${c.editedBy?.join(' and ')} edited it`;
  return `Text: ${c.events.length} concurrent edits by ${who}${c.overlapping ? ', in the same place' : ''}`;
}

const sameMembers = (a: string[], b: string[]) =>
  new Set(a).size === new Set(b).size && a.every((x) => b.includes(x));

/** A conflict, whatever became of it: its kind, field and events. */
const keyOf = (c: DocConflict) =>
  `${c.kind}-${c.field ?? ''}-${c.events.join()}`;

function stateOf(c: DocConflict): string {
  if (c.state === 'unresolved') return 'unresolved';
  if (c.state === 'auto-merged')
    return c.overlapping
      ? 'auto-merged (overlapping: check the result)'
      : 'auto-merged';
  if (!c.resolver) return 'resolved';
  // Writers who each picked a value at once resolved it, and made the next
  // conflict: "resolved by Ada" of it read as if the field were settled.
  return c.alsoResolvedBy?.length
    ? `${c.resolver} each picked a value at the same time: see the newer conflict`
    : `resolved by ${c.resolver}`;
}

/**
 * What the comparison of `conflict` said of a take-back, when it is shown now: kept
 * as it is made again (a take-back may resolve the conflict, which makes it again).
 */
const takenOf = (conflict: DocConflict) => {
  const shown = selected.value;
  return shown?.taken !== undefined && keyOf(shown.conflict) === keyOf(conflict)
    ? { taken: shown.taken }
    : {};
};

async function compare(conflict: DocConflict) {
  selected.value = {
    conflict,
    sides: conflict.sides.map(() => undefined),
    ...takenOf(conflict),
  };
  // A deletion made while others edited is compared as text is: what each writer
  // did since the fork point, the deleters among them.
  const text = conflict.kind !== 'field';
  // Merged: text as both sides left it, together (an event that joined them made
  // an edit of its own, no side's; before one does, the sides are the heads); a
  // field as the writes that resolved it left it (several at once: their values
  // together); an open field or deletion as it is now.
  const mergedAt =
    text && conflict.kind !== 'deleted'
      ? [...new Set(conflict.sides.flat())].sort()
      : conflict.resolvedBy
        ? [conflict.resolvedBy, ...(conflict.alsoResolvedBy ?? [])]
        : undefined;
  let found;
  try {
    found = await Promise.all([
      viewAt(conflict.forkPoint),
      viewAt(mergedAt ?? current.value?.live.heads ?? []),
      text
        ? changesSince(conflict.forkPoint, mergedAt)
        : Promise.resolve(undefined),
      // A text conflict's sides are its writers'; a field conflict's, its values'.
      ...(text ? [] : conflict.sides.map((heads) => viewAt(heads))),
    ]);
  } catch (error) {
    if (selected.value?.conflict === conflict)
      selected.value = {
        conflict,
        sides: [],
        error: (error as Error).message,
      };
    return;
  }
  const [fork, merged, changes, ...sides] = found;
  if (selected.value?.conflict === conflict)
    selected.value = {
      conflict,
      sides,
      ...(fork ? { fork } : {}),
      ...(merged ? { merged } : {}),
      ...(changes ? { changes } : {}),
      ...takenOf(conflict),
    };
}

const titleOf = (v: DocumentView | undefined) =>
  titlesOf(v?.fields.title).join(' / ') || 'Untitled';

/** A long unchanged run shows only its ends. */
function kept(text: string, first: boolean, last: boolean): string {
  const head = first ? 0 : CONTEXT;
  const tail = last ? 0 : CONTEXT;
  if (text.length <= head + tail + 3) return text;
  const cut = (i: number) =>
    // Not inside a surrogate pair.
    i > 0 && /[\udc00-\udfff]/.test(text[i] ?? '') ? i + 1 : i;
  return `${text.slice(0, cut(head))} … ${text.slice(cut(text.length - tail))}`;
}

/** What was added and removed marked, the rest elided. */
function Changes(props: { parts: DiffPart[] }) {
  const { parts } = props;
  if (!parts.some((p) => p.kind !== 'same'))
    return <p class="unchanged">No change to the text.</p>;
  return (
    <pre class="side-text">
      {parts.map((p, i) =>
        p.kind === 'added' ? (
          <ins key={i}>{p.text}</ins>
        ) : p.kind === 'removed' ? (
          <del key={i}>{p.text}</del>
        ) : (
          kept(p.text, i === 0, i === parts.length - 1)
        ),
      )}
    </pre>
  );
}

function Title(props: { before?: DocumentView; after?: DocumentView }) {
  const [before, after] = [titleOf(props.before), titleOf(props.after)];
  const kept = titlesOf(props.after?.fields.title);
  return (
    <p class="side-title">
      Title:{' '}
      {before === after ? (
        clipped(after, CHOICE_SHOWN)
      ) : kept.length > 1 ? (
        // Titles kept side by side until one is picked: each its own, not one
        // inserted run that read as a title "A / B" (QA pass 15).
        <>
          <del>{clipped(before, CHOICE_SHOWN)}</del>{' '}
          {kept.map((title, i) => (
            <Fragment key={i}>
              {i > 0 && (i === kept.length - 1 ? ' and ' : ', ')}
              <ins>“{clipped(title, CHOICE_SHOWN)}”</ins>
            </Fragment>
          ))}
          , kept until one is picked
        </>
      ) : (
        <>
          <del>{clipped(before, CHOICE_SHOWN)}</del>{' '}
          <ins>{clipped(after, CHOICE_SHOWN)}</ins>
        </>
      )}
    </p>
  );
}

/**
 * When the merged result was taken, and whether the document has moved on from it
 * since: a side taken back, a title picked, more typing. The merged result stays
 * what the conflict's sides made (QA pass 15 read it, after "Take back", as what
 * the document held).
 */
function MergedWhen({ chosen }: { chosen: Comparison }) {
  void historyVersion.value; // every delivery, this tab's own edits included
  const merged = chosen.merged;
  const live = current.value?.live;
  const facts = view.value;
  if (!merged || !live || !facts) return null;
  const changed =
    live.text.toString() !== merged.text ||
    titlesOf(facts.fields.title).join('\n') !==
      titlesOf(merged.fields.title).join('\n');
  const { kind, resolvedBy } = chosen.conflict;
  // The same words for the same result: a take-back joins a text conflict's
  // sides, and its merged result stays theirs (QA pass 16 read it said anew).
  const when =
    kind === 'text'
      ? 'The sides as they merged.'
      : resolvedBy
        ? 'As the sides were joined.'
        : 'As the document stood when compared.';
  return (
    <p class="merged-when">
      {when}
      {changed &&
        ' The document has changed since: the editor shows it as it is now.'}
    </p>
  );
}

/**
 * One node or edge of the history graph: drawn again only when its own attributes
 * change. A delivery moves the graph's window by an event; without this every one
 * of its rows was compared again (15-30 ms a delivery at 100k events when it drew
 * 300 rows, in which a keystroke from another tab had to wait).
 */
class Shape extends Component<{
  tag: 'circle' | 'path';
  attributes: Record<string, string | number>;
  title?: string;
}> {
  override shouldComponentUpdate(next: Shape['props']): boolean {
    if (next.title !== this.props.title || next.tag !== this.props.tag)
      return true;
    const [now, then] = [next.attributes, this.props.attributes];
    for (const key in now) if (now[key] !== then[key]) return true;
    return false;
  }
  override render() {
    const { tag: Tag, attributes, title } = this.props;
    return (
      <Tag {...attributes}>{title !== undefined && <title>{title}</title>}</Tag>
    );
  }
}

/**
 * Each entry's tooltip, made once for the name its writer is shown by (writerNames):
 * formatting a time costs ~0.05 ms, 300 a render.
 */
const titles = new WeakMap<HistoryEntry, [name: string, title: string]>();
const tooltipOf = (entry: HistoryEntry, name: string): string => {
  let made = titles.get(entry);
  if (made?.[0] !== name)
    titles.set(
      entry,
      (made = [name, `${name}, ${spanText(entry.time, '')}: ${entry.id}`]),
    );
  return made[1];
};

/**
 * The DAG around the version being looked at (the latest by default): the rows on
 * screen, and no more. It drew 300 rows in a box that showed 24, the oldest of them:
 * neither the latest event nor the one looked at was in sight.
 */
function Lanes() {
  void historyVersion.value; // kept current in place
  const page = history.value;
  if (!page) return null;
  const at = looking.value?.count ?? page.total;
  const held = page.start + page.entries.length;
  // The rows drawn: the version looked at in the middle, or the last ones at the end.
  const first = Math.max(
    page.start,
    Math.min(at - Math.ceil(ROWS_SHOWN / 2), held - ROWS_SHOWN),
  );
  const last = Math.min(held, first + ROWS_SHOWN);
  // Laid out with rows around them, so that a lane opened above keeps its place and
  // an edge from a parent out of sight still comes in from the edge. The layout
  // starts at a multiple of LAID_AROUND: a row's lane depends only on the rows laid
  // before it, so while the window follows new events down, every shape already
  // drawn keeps its place and is not drawn again.
  const from = Math.max(
    page.start,
    (Math.floor(first / LAID_AROUND) - 1) * LAID_AROUND,
  );
  const laid = layOutLanes(
    page.entries.slice(
      from - page.start,
      Math.min(held, last + LAID_AROUND) - page.start,
    ),
  ).placed;
  const [top, bottom] = [first - from, last - from];
  const nodes = laid.slice(top, bottom);
  const entry = (row: number) => page.entries[from - page.start + row]!;
  const names = writerNames(page.authors);
  const nameOf = (writer: string) => names.get(writer) ?? writer;
  const edges = laid.flatMap((p) =>
    p.from
      .map((f, i) => ({ f, p, i }))
      .filter(
        ({ f }) =>
          Math.min(f.row, p.row) < bottom && Math.max(f.row, p.row) >= top,
      ),
  );
  const lanes =
    1 +
    Math.max(0, ...nodes.map((p) => p.lane), ...edges.map(({ f }) => f.lane));
  const x = (lane: number) => 8 + lane * LANE;
  // Each event at its place in the whole history, and the group moved up to the rows
  // shown: as the window moves by an event, only the group's offset changes, not every
  // node's and edge's coordinates.
  const y = (row: number) => 8 + (from + row) * ROW;
  return (
    <svg
      class="lanes"
      width={lanes * LANE + 8}
      height={nodes.length * ROW + 8}
      role="img"
      aria-label={`History graph: events ${first + 1} to ${last} of ${page.total}, in ${lanes} ${lanes === 1 ? 'lane' : 'lanes'}`}
    >
      <g transform={`translate(0 ${-first * ROW})`}>
        {/* One flat keyed list: nested per node, preact would match the inner lists by
            position, and every edge would be made again as the window moves. */}
        {edges.map(({ f, p, i }) => (
          <Shape
            key={`${p.id}-${i}`}
            tag="path"
            attributes={{
              d: `M${x(f.lane)},${y(f.row)} C${x(f.lane)},${y(p.row) - ROW / 2} ${x(p.lane)},${y(f.row) + ROW / 2} ${x(p.lane)},${y(p.row)}`,
              class: 'edge',
            }}
          />
        ))}
        {nodes.map((p) => {
          const here = from + p.row === at - 1;
          return (
            <Shape
              key={p.id}
              tag="circle"
              attributes={{
                cx: x(p.lane),
                cy: y(p.row),
                r: here ? 6 : 4,
                class: `node lane-${p.lane % 6}${here ? ' here' : ''}`,
              }}
              title={tooltipOf(entry(p.row), nameOf(entry(p.row).author))}
            />
          );
        })}
      </g>
    </svg>
  );
}

/** A field's value as a button names it: a string as it is, else as JSON. */
const shownValue = (value: Json) =>
  typeof value === 'string' ? value : JSON.stringify(value);

/** Escape inside the comparison closes it, focus back on its "Compare". */
function closeOnEscape(e: KeyboardEvent): void {
  if (e.key !== 'Escape') return;
  e.preventDefault();
  closeComparison();
}

/** A conflict's sides and merged result, or why they could not be made. */
function ComparisonBody({ chosen }: { chosen: Comparison }) {
  const { conflict, fork, changes, error } = chosen;
  if (error) return <p role="alert">Could not compare: {error}</p>;
  const loading = <p>Loading…</p>;
  // Text: a side per writer, from who made each Yjs item. Fields: a side per value.
  const deleters = conflict.deletedBy ?? [];
  const sides = changes
    ? [
        ...changes.sides.map((side) => ({
          key: side.writer,
          who: side.writer,
          parts: side.parts,
          title: undefined,
          pick: undefined,
          edits: side.edits as SideEdits | undefined,
          deleted: deleters.includes(side.writer),
          restored: false,
        })),
        // Who deleted the document without a change to the text.
        ...deleters
          .filter((who) => !changes.sides.some((s) => s.writer === who))
          .map((who) => ({
            key: `deleted ${who}`,
            who,
            parts: [],
            title: undefined,
            pick: undefined,
            edits: undefined,
            deleted: true,
            restored: false,
          })),
      ]
    : conflict.sides.map((heads, i) => {
        const side = chosen.sides[i];
        // The value this side wrote: picked, it resolves the conflict and
        // changes nothing else (restoring the side's whole version also took back
        // every edit made since, to the text and to other fields).
        const values = conflict.field
          ? side?.fields[conflict.field]
          : undefined;
        // Deletion's own field: each side deleted or restored the document,
        // decided by the notice above the text, not by a value picked here.
        const deletion = !!conflict.restoredBy;
        return {
          key: heads.join(),
          who: conflict.sideAuthors?.[i],
          parts: side && fork ? diffText(fork.text, side.text) : undefined,
          title: side && fork ? <Title before={fork} after={side} /> : null,
          pick:
            conflict.field && values?.length === 1 && !deletion
              ? { field: conflict.field, value: values[0]! }
              : undefined,
          edits: undefined,
          deleted: deletion && !!side?.deleted,
          restored: deletion && side?.deleted === false,
        };
      });
  const merged = changes
    ? changes.merged
    : chosen.merged && fork && diffText(fork.text, chosen.merged.text);
  return (
    <>
      <p class="legend">
        Each side shows what it changed since the fork point: <ins>added</ins>,{' '}
        <del>removed</del>.
      </p>
      <p class="take-back-result" aria-live="polite">
        {chosen.taken}
      </p>
      <div class="sides">
        {sides.map((side, i) => (
          <div role="group" key={side.key} aria-label={`Side ${i + 1}`}>
            <h4>
              Side {i + 1}
              {side.who ? `: ${side.who}` : ''}
            </h4>
            {side.parts ? (
              <>
                {side.deleted && (
                  <p class="side-deleted">Deleted the document.</p>
                )}
                {side.restored && <p>Restored the document.</p>}
                {side.title}
                <Changes parts={side.parts} />
                {side.pick && (
                  <button
                    type="button"
                    onClick={() =>
                      void setField(side.pick!.field, side.pick!.value)
                    }
                  >
                    Use “{clipped(shownValue(side.pick.value), BUTTON_SHOWN)}”
                  </button>
                )}
                {hasEdits(side.edits) && (
                  <button
                    type="button"
                    onClick={() => takeBack(chosen, i, side.edits!)}
                  >
                    Take back Side {i + 1}’s changes
                  </button>
                )}
              </>
            ) : (
              loading
            )}
          </div>
        ))}
        <div role="group" aria-label="Merged result">
          <h4>Merged result</h4>
          {merged && fork ? (
            <>
              <MergedWhen chosen={chosen} />
              {chosen.merged?.deleted && (
                <p class="side-deleted">The document is deleted.</p>
              )}
              <Title before={fork} after={chosen.merged} />
              <Changes parts={merged} />
            </>
          ) : (
            loading
          )}
        </div>
      </div>
    </>
  );
}

function Comparison() {
  const chosen = selected.value;
  const section = useRef<HTMLElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  // Focus inside the comparison stays inside as it is drawn again: a side's "Restore
  // this version" that resolves the conflict has the sides read again, and the
  // button pressed goes with them (focus fell to the page's top).
  const hadFocus = section.current?.contains(document.activeElement) ?? false;
  useLayoutEffect(() => {
    if (hadFocus && !section.current?.contains(document.activeElement))
      heading.current?.focus({ preventScroll: true });
  });
  useLayoutEffect(() => {
    if (!chosen || !focusWanted) return;
    focusWanted = false;
    // The comparison from its top, not only its heading: focus alone scrolled the
    // heading just into view, at the window's bottom edge, the comparison below it.
    heading.current?.focus({ preventScroll: true });
    section.current?.scrollIntoView({ block: 'start' });
  }, [chosen?.conflict]);
  if (!chosen) return null;
  return (
    <section
      ref={section}
      class="comparison"
      aria-label="Compare versions"
      onKeyDown={closeOnEscape}
    >
      <h3 ref={heading} tabIndex={-1}>
        {describe(
          chosen.conflict,
          chosen.changes?.sides.map((side) => side.writer),
        )}
      </h3>
      <ComparisonBody chosen={chosen} />
      <button type="button" class="quiet" onClick={closeComparison}>
        Close comparison
      </button>
    </section>
  );
}

/** The stream's DAG as lanes, and each conflict or editing episode beside it. */
export function ConflictTimeline() {
  const conflicts = view.value?.conflicts ?? [];
  useEffect(() => {
    // A comparison open while its conflict is resolved (here or in another tab)
    // is made again: its merged result is now what the resolution chose.
    const shown = selected.value?.conflict;
    if (!shown) return;
    const now = conflicts.find((c) => keyOf(c) === keyOf(shown));
    if (
      now &&
      (now.state !== shown.state || now.resolvedBy !== shown.resolvedBy)
    )
      void compare(now);
  }, [conflicts]);
  // Every conflict, however old: the unresolved first, each part newest first.
  const newest = [...conflicts].reverse();
  const unresolved = newest.filter((c) => c.state === 'unresolved');
  const listed = [
    ...unresolved,
    ...newest.filter((c) => c.state !== 'unresolved'),
  ];
  const open = unresolved.length;
  const hidden = listed.length - listedUpTo.value;
  // Another document starts with the first LISTED again.
  const docId = current.value?.docId;
  useEffect(() => void (listedUpTo.value = LISTED), [docId]);
  const list = useRef<HTMLOListElement>(null);
  // The last "Show … more" takes its button away: focus goes to the first conflict
  // it showed, not to the page.
  useLayoutEffect(() => {
    if (firstShown === undefined) return;
    const button = list.current?.children[firstShown]?.querySelector('button');
    firstShown = undefined;
    button?.focus();
  });
  return (
    <section class="timeline" aria-label="Conflict timeline">
      <h2>Conflict timeline</h2>
      <div class="timeline-body">
        <Lanes />
        <div class="timeline-list">
          {conflicts.length === 0 ? (
            <p>No conflicts yet.</p>
          ) : (
            <p class="count">
              {conflicts.length === 1
                ? '1 conflict'
                : `${conflicts.length} conflicts`}
              {open > 0 ? `, ${open} unresolved` : ''}
            </p>
          )}
          <ol
            class="conflicts"
            ref={list}
            // Room for the numbers: the box scrolls, which clips what lies left of
            // it ("0." for 10, QA pass 18).
            style={{
              paddingLeft: `${String(Math.min(listed.length, listedUpTo.value)).length + 2}ch`,
            }}
          >
            {listed.slice(0, listedUpTo.value).map((c, i) => (
              <li key={keyOf(c)} class={`conflict ${c.state}`}>
                <span class="what" id={`conflict-${i}-what`}>
                  {describe(c)}
                </span>{' '}
                <span class="when">{spanText(c.from, c.to)}</span>{' '}
                <span class="state" id={`conflict-${i}-state`}>
                  {stateOf(c)}
                </span>{' '}
                {/* Named "Compare" (DESIGN §12), described by its row: a list of
                    "Compare", "Compare", "Compare" told a screen reader nothing. */}
                <button
                  type="button"
                  aria-describedby={`conflict-${i}-what conflict-${i}-state`}
                  onClick={(e) => {
                    opener = e.currentTarget;
                    focusWanted = true;
                    void compare(c);
                  }}
                >
                  Compare
                </button>
              </li>
            ))}
          </ol>
          {hidden > 0 && (
            <button
              type="button"
              class="quiet"
              onClick={() => {
                if (hidden <= LISTED) firstShown = listedUpTo.value;
                listedUpTo.value += LISTED;
              }}
            >
              {hidden <= LISTED
                ? `Show ${hidden} more`
                : `Show ${LISTED} more (${hidden} not shown)`}
            </button>
          )}
        </div>
      </div>
      <Comparison />
    </section>
  );
}
