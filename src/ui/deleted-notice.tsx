import { useLayoutEffect, useRef } from 'preact/hooks';
import { openDeletionConflict } from '../doc/doc-conflicts.ts';
import { current, setDeleted, view } from './app-state.ts';
import { focusText } from './text-focus.ts';

/** "Keep it deleted" just pressed here: focus goes to what the notice says after it. */
let decided = false;

const names = (list: string[] | undefined) => (list ?? []).join(' and ');

/**
 * What the open document says when it is deleted. When its deletion is in
 * question (deleted while someone edited it, another device typing offline; or
 * deleted and brought back at once) it says who did what and asks for a decision:
 * either button writes having seen both, which settles it everywhere.
 */
export function DeletedNotice() {
  const facts = view.value;
  const docId = current.value?.docId;
  const said = useRef<HTMLParagraphElement>(null);
  // "Keep it deleted" takes its buttons away: focus goes to what is said now.
  useLayoutEffect(() => {
    if (!decided || !said.current) return;
    decided = false;
    said.current.focus();
  });
  if (!facts?.deleted || !docId) return null;
  const open = openDeletionConflict(facts.conflicts);
  if (!open)
    return (
      <p class="deleted" ref={said} tabIndex={-1}>
        This document is deleted. Restore it from the list.
      </p>
    );
  const others =
    open.kind === 'deleted'
      ? `${names(open.editedBy)} ${open.editedBy?.length === 1 ? 'was' : 'were'} editing it`
      : `${names(open.restoredBy)} restored it`;
  const decide = async (deleted: boolean) => {
    decided = deleted;
    await setDeleted(docId, deleted);
    // Brought back: on with the writing.
    if (!deleted) focusText();
  };
  return (
    <div class="deleted" role="group" aria-label="Deleted while being edited">
      <p>
        {names(open.deletedBy)} deleted this document while {others}. Nothing
        was lost: the edits are in it.
      </p>
      <button type="button" onClick={() => void decide(false)}>
        Restore the document
      </button>{' '}
      <button type="button" class="quiet" onClick={() => void decide(true)}>
        Keep it deleted
      </button>
    </div>
  );
}
