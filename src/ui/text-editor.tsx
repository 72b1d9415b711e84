import {
  Annotation,
  Compartment,
  EditorSelection,
  EditorState,
  type Transaction,
  type ChangeSpec,
} from '@codemirror/state';
import { EditorView, keymap, placeholder } from '@codemirror/view';
import { useLayoutEffect, useRef } from 'preact/hooks';
import { spliceBetween, type TextSplice } from '../index.ts';
import type { LiveDocument, TextDelta } from './live-document.ts';
import { showTextFocus } from './text-focus.ts';

/** Marks a change the editor did not make itself: someone else's, or the opened text. */
const notTyped = Annotation.define<true>();
/** Where Mod is Cmd, as CodeMirror's keymap decides it. */
const MAC =
  typeof navigator !== 'undefined' &&
  /Mac|iPhone|iPad|iPod/.test(navigator.platform);

/**
 * The document's text in a CodeMirror view bound to the tab's Y.Text. CodeMirror
 * draws only the lines (and the parts of long lines) on screen, so a keystroke, here
 * or in another tab, costs the same in a document of 100k characters as in one of
 * 100: a textarea lays all of its text out again on every change.
 *
 * Typing becomes Yjs edits at once; someone else's edit arrives as Yjs deltas and
 * is applied as a CodeMirror change, which maps the caret and selection through it.
 * A caret sticks to the character before it (CodeMirror maps an empty selection
 * with assoc -1), as in any collaborative editor: text someone else inserts at the
 * same place goes after the caret, so each person's run of typing stays whole
 * instead of interleaving by keystroke. A selection keeps its own characters.
 *
 * While the document opens (`live` not yet there) it shows `text`, the snapshot's,
 * and keeps what is typed into it: once `live` comes, that typing becomes its first
 * edit. Until that text is known it takes no typing: typed into an empty editor, it
 * went before the text once that came, wherever the caret had been put.
 */
export function TextEditor({
  live,
  text,
  readOnly = false,
}: {
  live: LiveDocument | undefined;
  /** The text to show until `live` comes; not known yet when undefined. */
  text?: string;
  /** Takes no typing (a deleted document): still read, selected and copied. */
  readOnly?: boolean;
}) {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<EditorView | undefined>(undefined);
  // The view's handlers outlive renders: they read the document through this.
  const bound = useRef<LiveDocument | undefined>(undefined);
  // While the document opens: the text shown, to tell typing from it.
  const shown = useRef<string | undefined>(undefined);
  // While an undo or redo of this tab's typing is made: its change moves the caret.
  const stepping = useRef(false);

  useLayoutEffect(() => {
    const step = (which: 'undo' | 'redo') => {
      stepping.current = true;
      try {
        bound.current?.[which]();
      } finally {
        stepping.current = false;
      }
      return true; // never the browser's undo of the view's own DOM
    };
    // Made holding the text it opens on: made empty, then given the text as a change,
    // it laid the document out twice (the second effect below then changes nothing).
    const opened = live ? live.text.toString() : (text ?? '');
    // Not known yet (no text): nothing shown to tell typing from.
    if (!live && text !== undefined) shown.current = opened;
    const view = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: opened,
        extensions: [
          EXTENSIONS,
          writing.of(writingOf(readOnly)),
          opening.of([]),
          // Undo takes back this tab's own typing only: the document's, not the view's.
          keymap.of([
            // Shift with Z is redo however the letter comes. With Caps Lock on it
            // comes unshifted ("z"), and the lookup, which leaves Shift out of a
            // letter's name, took it for Mod-z: undo, saved and synced as an edit.
            {
              any: (_, event) =>
                event.shiftKey &&
                !event.altKey &&
                (MAC ? event.metaKey : event.ctrlKey) &&
                event.key === 'z' &&
                step('redo'),
            },
            { key: 'Mod-z', run: () => step('undo') },
            { key: 'Mod-y', run: () => step('redo') },
            { key: 'Mod-Shift-z', run: () => step('redo') },
          ]),
          // The browser's own Undo and Redo (its menus, some keyboards).
          EditorView.domEventHandlers({
            beforeinput: (event, view) => {
              if (typeKey(view, event)) return true;
              const which =
                event.inputType === 'historyUndo'
                  ? 'undo'
                  : event.inputType === 'historyRedo'
                    ? 'redo'
                    : undefined;
              if (!which) return false;
              event.preventDefault();
              return step(which);
            },
          }),
        ],
      }),
      dispatchTransactions(transactions, view) {
        const doc = bound.current;
        if (doc) typed(doc, transactions);
        view.update(transactions);
        // A change the text and the view disagree on (never expected): the text is
        // the truth, so the view takes it.
        if (doc && view.state.doc.length !== doc.text.length)
          replaceText(view, doc.text.toString());
      },
    });
    editor.current = view;
    const forgetFocus = showTextFocus(() => view.focus());
    return () => {
      editor.current = undefined;
      forgetFocus();
      view.destroy();
    };
  }, []);

  // A layout effect: the text is on screen in the frame the editor appears in.
  useLayoutEffect(() => {
    const view = editor.current!;
    if (!live) {
      if (text === undefined) return; // nothing to show yet, and nothing typed
      // A newer text while opening replaces the shown one, unless typed into.
      const now = view.state.doc.toString();
      if (shown.current === undefined || now === shown.current) {
        const first = shown.current === undefined;
        replaceText(view, text);
        shown.current = text;
        // A caret put in the empty editor before the text came (Ctrl+End, a
        // click) goes to its end: left at 0, what was typed next went before the
        // text (QA pass 14).
        if (first) view.dispatch({ selection: { anchor: text.length } });
      }
      return;
    }
    const base = shown.current;
    shown.current = undefined;
    // Typed while the document was opening: the difference from what was shown.
    const now = view.state.doc.toString();
    if (base !== undefined && now !== base) {
      const { index, deleteCount, insert } = spliceBetween(base, now, {
        caret: view.state.selection.main.head,
      });
      live.edit([{ index, deleteCount, insert }]);
    }
    live.takeRemoteChanges(); // in the text taken next
    replaceText(view, live.text.toString());
    bound.current = live;
    // Someone else's edits, shown as they happen: only the changed runs, as Yjs
    // reports them.
    const stop = live.watch(() => {
      takeBrowserSelection(view);
      for (const delta of live.takeRemoteChanges())
        view.dispatch({
          changes: changesOf(delta),
          annotations: notTyped.of(true),
          // An undo or redo puts the caret where it changed the text, as editors
          // do; someone else's edit leaves it on its own text.
          ...(stepping.current
            ? {
                selection: { anchor: changedUpTo(delta) },
                scrollIntoView: true,
              }
            : {}),
        });
    });
    return () => {
      stop();
      bound.current = undefined;
    };
  }, [text, live]);

  const unknown = !live && text === undefined;
  useLayoutEffect(() => {
    editor.current!.dispatch({
      effects: [
        writing.reconfigure(writingOf(readOnly || unknown)),
        // Why it takes no typing yet: keys pressed now go nowhere.
        opening.reconfigure(
          unknown ? placeholder('Opening the document…') : [],
        ),
      ],
    });
  }, [readOnly, unknown]);

  return <div ref={host} class="body" onFocusOut={() => void live?.flush()} />;
}

/** Whether the editor takes typing (EditorState.readOnly), set per render. */
const writing = new Compartment();
/** What the editor says while the text it would show is not known yet. */
const opening = new Compartment();
/** A read-only editor says so to assistive technology too. */
const writingOf = (readOnly: boolean) =>
  readOnly
    ? [
        EditorState.readOnly.of(true),
        EditorView.contentAttributes.of({ 'aria-readonly': 'true' }),
      ]
    : [];

const EXTENSIONS = [
  // Positions are Y.Text's: UTF-16 code units, with "\r" a character like any other.
  // CodeMirror's default would read "\r\n" as one line break, a position fewer.
  EditorState.lineSeparator.of('\n'),
  EditorView.lineWrapping,
  EditorView.contentAttributes.of({
    'aria-label': 'Document text',
    spellcheck: 'true',
  }),
  // CodeMirror draws only the lines on screen, so the browser's own Ctrl+End would
  // stop at the last line drawn: these go to the document's ends.
  keymap.of([
    {
      key: 'Mod-End',
      run: (view) => moveTo(view, view.state.doc.length, false),
      shift: (view) => moveTo(view, view.state.doc.length, true),
    },
    {
      key: 'Mod-Home',
      run: (view) => moveTo(view, 0, false),
      shift: (view) => moveTo(view, 0, true),
    },
  ]),
];

function moveTo(view: EditorView, at: number, extend: boolean): boolean {
  view.dispatch({
    selection: extend
      ? EditorSelection.range(view.state.selection.main.anchor, at)
      : EditorSelection.cursor(at),
    scrollIntoView: true,
    userEvent: 'select',
  });
  return true;
}

/**
 * A key's character, put in by the view itself before the browser edits anything:
 * the keystroke is a Yjs update, on its way to the other tabs, before any DOM work,
 * and the browser's own editing of the content (then read back from the DOM by
 * CodeMirror) is skipped: about half of a keystroke's cost in the typing tab.
 * Only plain `insertText` outside a composition, in a view that can be edited: IME,
 * dictation, autocorrect and spellcheck replacements (their own input types, or
 * composing) are left to the browser and read back as CodeMirror always does, and so
 * is everything on a content element driven by an EditContext (Chrome on Android).
 * The view's input handlers (`EditorView.inputHandler`) see the key first, as they
 * see typing read back from the DOM.
 */
export function typeKey(view: EditorView, event: InputEvent): boolean {
  const text = event.data;
  if (
    event.inputType !== 'insertText' ||
    typeof text !== 'string' ||
    text === '' ||
    event.isComposing ||
    view.composing ||
    view.compositionStarted ||
    view.state.readOnly ||
    (view.contentDOM as { editContext?: unknown }).editContext
  )
    return false;
  event.preventDefault();
  const { from, to } = view.state.selection.main;
  const insert = () =>
    view.state.update(view.state.replaceSelection(text), {
      scrollIntoView: true,
      userEvent: 'input.type',
    });
  const handled = view.state
    .facet(EditorView.inputHandler)
    .some((handler) => handler(view, from, to, text, insert));
  if (!handled) view.dispatch(insert());
  return true;
}

/** The edits typed into the view, made to the Y.Text. */
function typed(live: LiveDocument, transactions: readonly Transaction[]): void {
  const splices: TextSplice[] = [];
  let alone = false;
  for (const tr of transactions) {
    if (!tr.docChanged || tr.annotation(notTyped)) continue;
    // Undone by itself, as editors undo a paste, a drop or a cut.
    alone ||= ['input.paste', 'input.drop', 'delete.cut'].some((event) =>
      tr.isUserEvent(event),
    );
    // Each change's position in the text as earlier changes of this transaction
    // left it.
    let shift = 0;
    tr.changes.iterChanges((from, to, _fromB, _toB, inserted) => {
      const insert = inserted.toString();
      splices.push({ index: from + shift, deleteCount: to - from, insert });
      shift += insert.length - (to - from);
    });
  }
  if (splices.length > 0) live.edit(splices, { alone });
}

/** A Yjs delta as one CodeMirror change: positions are in the text before it. */
function changesOf(delta: TextDelta): ChangeSpec[] {
  const changes: ChangeSpec[] = [];
  let at = 0;
  for (const op of delta) {
    if (op.retain) at += op.retain;
    else if (typeof op.insert === 'string')
      changes.push({ from: at, insert: op.insert });
    else if (op.delete) {
      changes.push({ from: at, to: at + op.delete });
      at += op.delete;
    }
  }
  return changes;
}

/** Where, in the text after `delta`, its last insertion or deletion ends. */
function changedUpTo(delta: TextDelta): number {
  let at = 0;
  let end = 0;
  for (const op of delta) {
    if (op.retain) at += op.retain;
    else if (typeof op.insert === 'string') end = at += op.insert.length;
    else if (op.delete) end = at;
  }
  return end;
}

/**
 * The caret or selection as the browser last moved it, taken into the view's state
 * before someone else's change is applied. An arrow key, Home or End moves the
 * browser's caret, and the view reads it at the next "selectionchange", a task
 * later; a change dispatched in between drops that reading and puts the view's
 * older caret back, so another tab's typing undid arrow presses and this tab's
 * next key landed behind where its caret was (QA pass 16).
 */
function takeBrowserSelection(view: EditorView): void {
  if (!view.hasFocus || view.composing) return;
  const selection = view.contentDOM.ownerDocument.getSelection();
  const { anchorNode, focusNode } = selection ?? {};
  if (
    !selection ||
    !anchorNode ||
    !focusNode ||
    !view.contentDOM.contains(anchorNode) ||
    !view.contentDOM.contains(focusNode)
  )
    return;
  let anchor: number;
  let head: number;
  try {
    anchor = view.posAtDOM(anchorNode, selection.anchorOffset);
    head = view.posAtDOM(focusNode, selection.focusOffset);
  } catch {
    return; // a node the view does not draw the text in
  }
  const main = view.state.selection.main;
  if (main.anchor === anchor && main.head === head) return;
  view.dispatch({
    selection: EditorSelection.range(anchor, head),
    userEvent: 'select',
  });
}

/** Makes the view show `text`, changing only the run that differs. */
function replaceText(view: EditorView, text: string): void {
  const now = view.state.doc.toString();
  if (now === text) return;
  const { index, deleteCount, insert } = spliceBetween(now, text);
  view.dispatch({
    changes: { from: index, to: index + deleteCount, insert },
    annotations: notTyped.of(true),
  });
}
