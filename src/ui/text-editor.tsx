import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';
import * as Y from 'yjs';
import { spliceBetween } from '../index.ts';
import { remoteTextVersion } from './app-state.ts';
import type { LiveDocument } from './live-document.ts';

/**
 * A plain textarea bound to the tab's Y.Text. Typing becomes Yjs edits at once;
 * someone else's edit rewrites the value and puts the caret and selection back
 * where the text they belong to moved (Yjs relative positions).
 */
export function TextEditor({ live }: { live: LiveDocument }) {
  const area = useRef<HTMLTextAreaElement>(null);
  const anchors = useRef<
    { start: Y.RelativePosition; end: Y.RelativePosition } | undefined
  >(undefined);

  const remember = () => {
    const el = area.current;
    if (!el) return;
    anchors.current = {
      start: Y.createRelativePositionFromTypeIndex(
        live.text,
        el.selectionStart,
      ),
      end: Y.createRelativePositionFromTypeIndex(live.text, el.selectionEnd),
    };
  };

  useEffect(() => {
    const el = area.current!;
    el.value = live.text.toString();
    remember();
  }, [live]);

  // Someone else's edit: show it without moving the user's caret off their text. A
  // layout effect runs right after the render, not a frame later (~8 ms on average).
  useLayoutEffect(() => {
    const el = area.current;
    if (!el || el.value === live.text.toString()) return;
    const focused = document.activeElement === el;
    const saved = anchors.current;
    el.value = live.text.toString();
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
      onBlur={() => void live.flush()}
    />
  );
}
