import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';
import type { EventId } from '../index.ts';
import {
  current,
  holdSaving,
  NEW_TITLE,
  opening,
  setField,
  titleWanted,
  view,
} from './app-state.ts';
import { MAX_DELAY_MS, QUIET_MS } from './live-document.ts';
import { BUTTON_SHOWN, CHOICE_SHOWN, clipped } from './clipped.ts';
import { focusText } from './text-focus.ts';
import { takesNoEdits } from './deleted-notice.tsx';
import { titlesOf } from '../doc/doc-events.ts';

/**
 * A title is a line. The field takes no more than this (a chapter pasted into it is
 * cut here): far less than an event holds, so a title is always saved.
 */
export const MAX_TITLE_LENGTH = 1000;

/** One stretch of renaming, from focus to blur. */
interface Renaming {
  /** The document renamed: another may be open by the time a save runs. */
  docId: string;
  /** What was typed last: saved even once the field is gone. */
  typed: string;
  /**
   * The heads it builds on: those the user saw when they began, then its own last
   * save. So each save replaces the one before it, but never a rename another tab
   * made meanwhile (a multi-value register keeps both until one is picked).
   */
  at: EventId[] | undefined;
  /** Until the first save: the tab's typing on its way when renaming began (LiveDocument.unsent). */
  after?: (heads: EventId[]) => Promise<EventId[]>;
  /** Saves, one after the other. */
  saving: Promise<void>;
  /** The last value saved, or shown when it began: nothing to save if unchanged. */
  saved: string;
  timer?: ReturnType<typeof setTimeout>;
  firstPendingAt?: number;
  /** Held from a keystroke until what was typed is saved: the status says "Saving…". */
  release?: () => void;
}

/**
 * The title: a multi-value register, saved as it is typed (after QUIET_MS of quiet,
 * never held longer than MAX_DELAY_MS, as text is) and at once on Enter or blur.
 */
export function TitleField() {
  const input = useRef<HTMLInputElement>(null);
  const renaming = useRef<Renaming | undefined>(undefined);
  // A document being made here ("New document"): not open yet, its title known.
  const made = opening.value?.made ? opening.value.docId : undefined;
  const values = made ? [NEW_TITLE] : titlesOf(view.value?.fields.title);
  // Another replica may write any JSON as a title: kept as a value, named by none.
  const others = made
    ? 0
    : (view.value?.fields.title?.length ?? 0) - values.length;
  /** Typed while the document was being made, held as saving: saved once open. */
  const early = useRef<
    { docId: string; typed: string; release: () => void } | undefined
  >(undefined);

  // The document made is open: renaming begins, as focus would have begun it, from
  // the title it was made with, and what was typed meanwhile is saved. In the same
  // task as the render: a key read before an effect's frame began renaming from
  // the field, as if what was typed had been saved.
  const docId = current.value?.docId;
  useLayoutEffect(() => {
    const typed = early.current?.docId === docId;
    const focused = document.activeElement === input.current;
    if (!typed && !focused) return;
    const r = begin();
    if (!r || !typed) return;
    if (focused) pending(r);
    else end();
  }, [docId]);

  // Before the paint, and before the field takes focus below (then it is not set).
  useLayoutEffect(() => {
    const el = input.current;
    // Never overwrite what the user is typing, or has typed and not yet saved.
    if (!el || document.activeElement === el) return;
    el.value = renaming.current?.typed ?? values[0] ?? '';
  }, [values.join('\u0000')]);

  // A new document's title takes focus with "Untitled" selected, from the press on:
  // what is typed names it (typed on the button instead, a space made another
  // document). Not if focus went elsewhere meanwhile, or typing into it began. As
  // soon as it is drawn, before the next key is read: an effect waited for a frame.
  const wanted = titleWanted.value;
  useLayoutEffect(() => {
    const el = input.current;
    if (!wanted || !el) return;
    if (made !== wanted.docId && current.value?.docId !== wanted.docId) return;
    if (values.length === 0) return;
    titleWanted.value = undefined;
    const active = document.activeElement;
    if (active !== wanted.from && active !== document.body) return;
    el.focus();
    el.select();
  }, [wanted, made, current.value?.docId, values.length]);

  /**
   * Begins renaming the open document: from the title it was made with, if typed
   * into while it was being made, else from the field's.
   */
  const begin = () => {
    const doc = current.value;
    // The document being made is not open yet: the one before it is not renamed.
    if (!doc || (made !== undefined && made !== doc.docId)) return undefined;
    if (renaming.current) return renaming.current;
    const typed =
      early.current?.docId === doc.docId ? early.current : undefined;
    early.current = undefined;
    const shown = input.current!.value;
    return (renaming.current = {
      docId: doc.docId,
      typed: typed?.typed ?? shown,
      at: doc.live.heads,
      after: doc.live.unsent(),
      saving: Promise.resolve(),
      saved: typed ? NEW_TITLE : shown,
      ...(typed && { release: typed.release }),
    });
  };

  const save = () => {
    const r = renaming.current;
    if (!r) return Promise.resolve();
    clearTimeout(r.timer);
    r.firstPendingAt = undefined;
    const value = r.typed;
    r.saving = r.saving.then(async () => {
      if (value === r.saved) return;
      const at = r.after && r.at && (await r.after(r.at));
      r.after = undefined;
      const id = await setField('title', value, at ?? r.at, r.docId);
      if (id) [r.at, r.saved] = [[id], value];
    });
    // Saved, or failed (setField shows why): either way nothing is on its way unless
    // the user typed on meanwhile, which a save of its own will release.
    const done = () => {
      if (r.typed !== value) return;
      r.release?.();
      r.release = undefined;
    };
    void r.saving.then(done, done);
    return r.saving;
  };

  // Leaving the document (the field goes) saves what was typed, to that document;
  // so does the page going out of sight, as the text does (app-state's start), and
  // the page asking whether to leave with it unsaved: the save is on its way while
  // the question is up. (Its timer cannot fire then, and a title typed just before
  // a reload was lost when the user said leave.)
  useEffect(() => {
    const hidden = () => {
      if (document.visibilityState === 'hidden') void save();
    };
    const leaving = () => void save();
    document.addEventListener('visibilitychange', hidden);
    addEventListener('beforeunload', leaving);
    addEventListener('pagehide', leaving);
    return () => {
      document.removeEventListener('visibilitychange', hidden);
      removeEventListener('beforeunload', leaving);
      removeEventListener('pagehide', leaving);
      void save();
      // Typed into a document that was never made, or left before it opened.
      early.current?.release();
    };
  }, []);

  const onInput = () => {
    const typed = input.current!.value;
    if (made !== undefined && current.value?.docId !== made) {
      const release = early.current?.release ?? holdSaving();
      early.current = { docId: made, typed, release };
      return;
    }
    const r = begin();
    if (!r) return;
    r.typed = typed;
    pending(r);
  };

  /** What was typed is saved after QUIET_MS of quiet, and within MAX_DELAY_MS. */
  const pending = (r: Renaming) => {
    r.release ??= holdSaving();
    const now = Date.now();
    r.firstPendingAt ??= now;
    clearTimeout(r.timer);
    const wait = Math.max(
      0,
      Math.min(QUIET_MS, r.firstPendingAt + MAX_DELAY_MS - now),
    );
    r.timer = setTimeout(() => void save(), wait);
  };

  const end = () => {
    const r = renaming.current;
    void save().then(() => {
      if (renaming.current === r && document.activeElement !== input.current)
        renaming.current = undefined;
    });
  };

  // One value, not text (several are said by the concurrent titles below).
  const untext = values.length === 0 && others === 1;
  return (
    <div class="title">
      <label>
        <span class="label">Title</span>
        <input
          ref={input}
          type="text"
          // No title (a restored version from before it had one): the list's word.
          placeholder="Untitled"
          maxLength={MAX_TITLE_LENGTH}
          // A deleted document takes no renaming, as its text takes no typing.
          readOnly={!made && takesNoEdits(view.value)}
          onFocus={begin}
          onInput={onInput}
          onBlur={end}
          // Enter ends the title, as in a notes app: on to the text (saving it).
          // The key is the title's: with focus moved in its keydown, the editor
          // would otherwise take it as a line break.
          onKeyDown={(e) => {
            if (e.key !== 'Enter') return;
            e.preventDefault();
            if (!focusText()) input.current!.blur();
          }}
          aria-describedby={untext ? 'title-not-text' : undefined}
        />
      </label>
      {untext && (
        // Another replica's title that is no text (a number): the field and the
        // list said "Untitled", the history that it was renamed (QA pass 13).
        <p class="hint" id="title-not-text">
          Its title is a value that is not text, so it is not shown: a title
          typed here replaces it.
        </p>
      )}
      {values.length + others > 1 && (
        <div class="values" role="group" aria-label="Concurrent titles">
          <p>
            {others === 0
              ? `Renamed at the same time: ${values.length} titles are kept until you pick one.`
              : `Renamed at the same time: ${values.length + others} values are kept until you pick one (${others === 1 ? 'one is' : `${others} are`} not text, and not shown).`}
          </p>
          <ul>
            {values.map((value, i) => (
              <li key={i}>
                <q>{clipped(value, CHOICE_SHOWN)}</q>{' '}
                <button
                  type="button"
                  onClick={() =>
                    // The choices go once one is picked, and focus with them: to
                    // the title, showing the one picked (a focused field is not
                    // written over, so it is set here, not left to the update).
                    void setField('title', value).then((stored) => {
                      const el = input.current;
                      if (!stored || !el) return;
                      el.value = value;
                      el.focus();
                    })
                  }
                >
                  Use “{clipped(value, BUTTON_SHOWN)}”
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
