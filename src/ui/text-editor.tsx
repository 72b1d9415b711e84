import { useLayoutEffect, useRef } from 'preact/hooks';
import * as Y from 'yjs';
import { spliceBetween } from '../index.ts';
import { remoteTextVersion } from './app-state.ts';
import type { LiveDocument } from './live-document.ts';

/**
 * A plain textarea bound to the tab's Y.Text. Typing becomes Yjs edits at once;
 * someone else's edit rewrites the value and puts the caret and selection back
 * where the text they belong to moved (Yjs relative positions). While the document
 * opens (`live` not yet there) it shows `text`, the snapshot's, and keeps what is
 * typed into it: once `live` comes, that typing becomes its first edit.
 */
export function TextEditor({
  live,
  text,
}: {
  live: LiveDocument | undefined;
  /** The text to show until `live` comes. */
  text?: string;
}) {
  const area = useRef<HTMLTextAreaElement>(null);
  const anchors = useRef<
    { start: Y.RelativePosition; end: Y.RelativePosition } | undefined
  >(undefined);

  // A caret sticks to the character before it (assoc -1), as in any collaborative
  // editor: text someone else inserts at the same place goes after the caret, so
  // each person's run of typing stays whole instead of interleaving by keystroke. A
  // selection keeps its own characters: its start sticks to the first, its end to
  // the last.
  const remember = () => {
    const el = area.current;
    if (!el || !live) return;
    const { selectionStart: start, selectionEnd: end } = el;
    anchors.current = {
      start: Y.createRelativePositionFromTypeIndex(
        live.text,
        start,
        start === end ? -1 : 0,
      ),
      end: Y.createRelativePositionFromTypeIndex(live.text, end, -1),
    };
  };

  // While the document opens: the text shown, to tell typing from it.
  const shown = useRef<string | undefined>(undefined);
  // A layout effect: the text is on screen in the frame the editor appears in. And
  // before the next one, which would take any difference for someone else's edit.
  useLayoutEffect(() => {
    const el = area.current!;
    if (!live) {
      // A newer text while opening replaces the shown one, unless typed into.
      if (shown.current === undefined || el.value === shown.current) {
        el.value = text ?? '';
        shown.current = el.value;
      }
      return;
    }
    const base = shown.current;
    shown.current = undefined;
    // Typed while the document was opening: the difference from what was shown.
    if (base !== undefined && el.value !== base) {
      const { index, deleteCount, insert } = spliceBetween(base, el.value, {
        caret: el.selectionEnd,
      });
      live.edit((t) => {
        if (deleteCount > 0) t.delete(index, deleteCount);
        if (insert) t.insert(index, insert);
      });
    }
    const current = live.text.toString();
    live.takeRemoteChanges(); // in `current` already
    if (el.value !== current) el.value = current;
    remember();
  }, [text, live]);

  // Someone else's edit: show it without moving the user's caret off their text. A
  // layout effect runs right after the render, not a frame later (~8 ms on average).
  useLayoutEffect(() => {
    const el = area.current;
    if (!el || !live) return;
    const changes = live.takeRemoteChanges();
    if (changes.length === 0) return;
    const focused = document.activeElement === el;
    const saved = anchors.current;
    // Only the changed runs are replaced, as Yjs reports them: assigning the whole
    // value of a long document would have the browser lay all of it out again, and
    // comparing the whole text costs a walk of it, every keystroke.
    for (const delta of changes) {
      let at = 0;
      for (const op of delta) {
        if (op.retain) at += op.retain;
        else if (typeof op.insert === 'string') {
          el.setRangeText(op.insert, at, at, 'preserve');
          at += op.insert.length;
        } else if (op.delete)
          el.setRangeText('', at, at + op.delete, 'preserve');
      }
    }
    // The textarea held other than the text before (a line break it normalised):
    // the difference, found by comparing.
    if (el.textLength !== live.text.length) {
      const { index, deleteCount, insert } = spliceBetween(
        el.value,
        live.text.toString(),
        { caret: el.selectionEnd },
      );
      el.setRangeText(insert, index, index + deleteCount, 'preserve');
    }
    if (focused && saved) {
      const start =
        Y.createAbsolutePositionFromRelativePosition(saved.start, live.ydoc)
          ?.index ?? 0;
      const end =
        Y.createAbsolutePositionFromRelativePosition(saved.end, live.ydoc)
          ?.index ?? start;
      el.setSelectionRange(start, end);
    }
  }, [remoteTextVersion.value, live]);

  const onInput = () => {
    const el = area.current!;
    if (!live) return;
    const { index, deleteCount, insert } = spliceBetween(
      live.text.toString(),
      el.value,
      { caret: el.selectionEnd },
    );
    live.edit((text) => {
      if (deleteCount > 0) text.delete(index, deleteCount);
      if (insert) text.insert(index, insert);
    });
    remember();
  };

  return (
    <textarea
      ref={area}
      aria-label="Document text"
      class="body"
      spellcheck={true}
      onInput={onInput}
      onSelect={remember}
      onKeyUp={remember}
      onMouseUp={remember}
      onFocus={remember}
      onBlur={() => void live?.flush()}
    />
  );
}
