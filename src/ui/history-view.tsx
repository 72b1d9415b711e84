import { signal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import type { DocumentView, EventId } from '../index.ts';
import type { HistoryJump } from '../contract/index.ts';
import {
  history,
  historyVersionAt,
  historyJump,
  historyVersion,
  restoreVersion,
  restoredVersionOf,
  showHistoryAround,
  view,
} from './app-state.ts';
import { restoreChanges } from './restore-preview.ts';
import { dateTimeText } from './time-text.ts';
import { DELETED, UNDELETED, type HistoryEntry } from '../doc/history-index.ts';
import { writerNames } from '../doc/writers.ts';
import { FIELD_SET, TEXT_EDITED, VERSION_RESTORED } from '../index.ts';

/**
 * The version being looked at: how many events of the canonical order, and what they
 * show (the heads once the worker named them). The conflict timeline draws its lanes
 * around it.
 */
export const looking = signal<
  | {
      count: number;
      heads?: EventId[];
      view?: Omit<DocumentView, 'conflicts'>;
    }
  | undefined
>(undefined);

/** Why the last jump went nowhere: a button that does nothing says why. */
/** Why a jump went nowhere. */
const jumpNote = signal('');
/**
 * A jump landed: the note says the version line, as the slider says it, which is
 * not live (a screen reader heard nothing of a jump that worked, QA pass 17).
 */
const landed = signal(false);

/** Shows the version made of the first `count` events (all of them: the current one). */
export async function lookAt(count: number): Promise<void> {
  const total = history.value?.total ?? 0;
  jumpNote.value = '';
  landed.value = false;
  if (count >= total || count < 1) {
    looking.value = undefined;
    return;
  }
  looking.value = { count };
  void showHistoryAround(count);
  const version = await historyVersionAt(count);
  if (looking.value?.count === count && version)
    looking.value = { count, ...version };
}

/**
 * Jumps to where `jump` goes, if anywhere: the worker searches the whole history.
 * `none` says that it goes nowhere.
 */
async function go(jump: HistoryJump, none: string): Promise<void> {
  const mine = ++jumps;
  jumpNote.value = '';
  landed.value = false;
  const to = await historyJump(jump);
  // A jump asked for since speaks for itself (a CI run read where an earlier one
  // landed below a jump to a time before the first event).
  if (mine !== jumps) return;
  if (to === undefined) jumpNote.value = none;
  else {
    await lookAt(to);
    // Unless the slider moved meanwhile (lookAt clears the note).
    if (
      mine === jumps &&
      (looking.value?.count === to || to === history.value?.total)
    )
      landed.value = true;
  }
}

/** Jumps asked for: only the latest says where it went. */
let jumps = 0;

const authorChoice = signal('');

/** What a version's event did, in words; another kind of event by its type. */
const DONE: Record<string, string> = {
  [TEXT_EDITED]: 'edited the text',
  [VERSION_RESTORED]: 'restored a version',
};

/**
 * What a field's write did (`HistoryEntry.field`), in words; `first`: the document's
 * first event, which names it as it is made.
 */
function fieldDone(field: string | undefined, first: boolean): string {
  if (field === 'title')
    return first ? 'created the document' : 'renamed the document';
  if (field === DELETED) return 'deleted the document';
  if (field === UNDELETED) return 'brought the document back';
  if (field === undefined || field === '@') return 'set a field';
  return `set the field “${field}”`;
}

/**
 * The versions restores made current again, by `${restore id} ${history length}`:
 * asked again as the history grows, since another device's event synced late may
 * sort into a version, which then is no version of the history any more. null: not
 * known (yet), or the restore names no version of this history.
 */
const restoredVersions = signal(new Map<string, number | null>());

/** The version the restore `entry` brought back, asked of the worker once per count. */
function restoredVersion(entry: HistoryEntry, total: number): number | null {
  const key = `${entry.id} ${total}`;
  const known = restoredVersions.value.get(key);
  if (known !== undefined) return known;
  restoredVersions.value.set(key, null);
  void restoredVersionOf(entry.id).then(
    (version) => {
      if (version === undefined) return;
      const next = new Map(restoredVersions.value).set(key, version);
      // Kept for the history lengths met lately only.
      for (const old of [...next.keys()].slice(0, -64)) next.delete(old);
      restoredVersions.value = next;
    },
    () => undefined,
  );
  return null;
}

const done = (entry: HistoryEntry, version: number, total: number): string => {
  if (entry.type === FIELD_SET) return fieldDone(entry.field, version === 1);
  if (entry.type === VERSION_RESTORED) {
    const restored = restoredVersion(entry, total);
    if (restored !== null) return `restored version ${restored}`;
  }
  return DONE[entry.type] ?? `wrote ${entry.type}`;
};

/**
 * Set to move focus to the history's slider, the version looked at, once drawn: a
 * person who opened the document at an event from elsewhere (the explorer) goes on
 * from the version shown, not from the top of the page.
 */
export const focusVersion = signal(false);

export function HistoryView() {
  void historyVersion.value; // kept current in place
  const slider = useRef<HTMLInputElement>(null);
  const wantsFocus = focusVersion.value;
  useEffect(() => {
    if (!wantsFocus || !slider.current) return;
    focusVersion.value = false;
    slider.current.focus();
  });
  const page = history.value;
  const state = looking.value;
  const count = state?.count ?? page?.total ?? 0;
  const entry = page?.entries[count - 1 - page.start];
  // Back at the latest from a version far back (a restore made there): the rows
  // held are still those around it, and the version line had no words for the
  // latest until the slider moved.
  const missing = !!page && count > 0 && !entry;
  useEffect(() => {
    if (missing) void showHistoryAround(count);
  }, [missing, count]);
  if (!page || page.total === 0) return null;
  const author = authorChoice.value || entry?.author || page.authors[0] || '';
  // Authors are writers (a replica and its label), shown by name.
  const names = writerNames(page.authors);
  const nameOf = (writer: string) => names.get(writer) ?? writer;
  const conflicts = () => (view.value?.conflicts ?? []).map((c) => c.events);
  const noConflicts = !view.value?.conflicts.length;
  // What a restore of the version looked at changes besides the text.
  const changes =
    state?.view && view.value
      ? restoreChanges(state.view.fields, view.value.fields)
      : [];
  const versionText = `Version ${count} of ${page.total}${
    entry
      ? `: ${nameOf(entry.author)} ${done(entry, count, page.total)}, ${dateTimeText(entry.time)}`
      : ''
  }`;
  // Nothing is before the first version or after the latest to jump to. Said, not
  // disabled: a jump that lands there keeps focus on its button, which says why
  // when pressed again.
  const first = count <= 1;
  const last = count >= page.total;
  // The past version's buttons go with it, and focus to the slider, at the latest.
  const backToCurrent = () => {
    looking.value = undefined;
    slider.current?.focus();
  };
  return (
    <section class="history" aria-label="Version history">
      <label>
        <span class="label">History</span>
        <input
          ref={slider}
          type="range"
          min={1}
          max={page.total}
          value={count}
          // Read out as the slider moves: the version, who did what and when, not
          // the bare number (QA pass 8).
          aria-valuetext={versionText}
          onInput={(e) =>
            void lookAt(Number((e.target as HTMLInputElement).value))
          }
        />
      </label>
      <p>{versionText}</p>
      <div class="jumps" role="group" aria-label="Jump in history">
        <button
          type="button"
          disabled={noConflicts}
          aria-disabled={first || undefined}
          onClick={() =>
            void go(
              { to: 'group', groups: conflicts(), from: count, step: -1 },
              'No conflict before this version.',
            )
          }
        >
          Previous conflict
        </button>
        <button
          type="button"
          disabled={noConflicts}
          aria-disabled={last || undefined}
          onClick={() =>
            void go(
              { to: 'group', groups: conflicts(), from: count, step: 1 },
              'No conflict after this version.',
            )
          }
        >
          Next conflict
        </button>
        <label>
          <span class="label">Jump to time</span>
          <input
            type="datetime-local"
            onChange={(e) => {
              const value = (e.target as HTMLInputElement).value;
              if (value)
                void go(
                  { to: 'time', time: new Date(value).getTime() },
                  'Nothing had been written by then.',
                );
            }}
          />
        </label>
        <label>
          <span class="label">Author</span>
          <select
            value={author}
            onChange={(e) =>
              (authorChoice.value = (e.target as HTMLSelectElement).value)
            }
          >
            {page.authors.map((a) => (
              <option key={a} value={a}>
                {nameOf(a)}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          aria-disabled={first || undefined}
          onClick={() =>
            void go(
              { to: 'author', author, from: count, step: -1 },
              `No edit by ${nameOf(author)} before this version.`,
            )
          }
        >
          Previous edit by them
        </button>
        <button
          type="button"
          aria-disabled={last || undefined}
          onClick={() =>
            void go(
              { to: 'author', author, from: count, step: 1 },
              `No edit by ${nameOf(author)} after this version.`,
            )
          }
        >
          Next edit by them
        </button>
      </div>
      <p class="jump-note" aria-live="polite">
        {landed.value
          ? // Once the version's row is read: said once, whole.
            entry && versionText
          : jumpNote.value}
      </p>
      {state && (
        <div class="past">
          <textarea
            readOnly
            aria-label="Text at this version"
            value={state.view?.text ?? 'Loading…'}
          />
          {state.heads && state.heads.length > 1 && (
            // Versions step through the events in one order; within a stretch of
            // concurrent edits that order mixes sides no one had together (QA
            // pass 8: "[A offline edit] [B " read as B's own text).
            <p class="hint">
              This version is inside a stretch of concurrent edits: it joins the{' '}
              {state.heads.length} sides as they stood, which no writer saw
              together.
            </p>
          )}
          {changes.length > 0 && (
            <ul id="restore-changes" class="restore-changes">
              {changes.map((line) => (
                <li key={line}>{line}</li>
              ))}
            </ul>
          )}
          <button
            type="button"
            disabled={!state.heads}
            aria-describedby={
              changes.length > 0 ? 'restore-changes' : undefined
            }
            onClick={() => {
              if (state.heads) void restoreVersion(state.heads);
              backToCurrent();
            }}
          >
            Restore this version
          </button>{' '}
          <button type="button" class="quiet" onClick={backToCurrent}>
            Back to the current version
          </button>
        </div>
      )}
    </section>
  );
}
