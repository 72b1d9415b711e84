import type { Ref } from 'preact';
import { useLayoutEffect, useRef } from 'preact/hooks';
import type { DocumentView } from '../index.ts';
import { openDeletionConflict } from '../doc/doc-conflicts.ts';
import { current, ownUnseen, saving, setDeleted, view } from './app-state.ts';
import { focusText } from './text-focus.ts';

/** "Keep it deleted" just pressed here: focus goes to what the notice says after it. */
let decided = false;
/**
 * "Restore the document" just pressed here: focus goes to the text as soon as the
 * notice goes, its button with it. It went once the restore was saved and the
 * documents listed again; a key pressed between went to the page (a CI run lost
 * the space of " More.").
 */
let restoring = false;

const names = (list: string[] | undefined) => (list ?? []).join(' and ');

/**
 * Whether a document is deleted and nobody's edit is in question: it then takes no
 * typing and no renaming until it is restored. (Typed into, the text went into a
 * deleted document without a word, on a device where it had just been deleted and
 * shown as such; QA pass 11.) Deleted while someone edited it, it stays writable
 * until someone decides.
 */
const settledDeleted = (
  facts: Pick<DocumentView, 'deleted' | 'conflicts'> | undefined,
): boolean => !!facts?.deleted && !openDeletionConflict(facts.conflicts);

/**
 * Whether this tab's own edits are all in the facts shown: none waits to be saved,
 * and each one saved has come back with the facts made after it. An edit not yet in
 * them may be newer than a deletion they hold (the tab that deleted could not have
 * seen it), which would put the deletion in question.
 */
const ownEditsShown = () => saving.value.pending === 0 && ownUnseen.value === 0;

/**
 * Whether the open document takes no typing and no renaming: deleted and settled,
 * as far as this tab's own edits are known to the facts. Until they were, the
 * deletion looked settled, the field turned read-only, and keys pressed meanwhile
 * were refused, gone from the middle of a word (QA passes 17 and 18).
 */
export const takesNoEdits = (
  facts: Pick<DocumentView, 'deleted' | 'conflicts'> | undefined,
): boolean => settledDeleted(facts) && ownEditsShown();

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
  // A live region there before it says anything: a deletion made on another
  // device is said when it arrives, not only shown.
  // Nothing said while this tab's own typing may yet put the deletion in question.
  const known = !settledDeleted(facts) || ownEditsShown();
  const shown = !!(facts?.deleted && docId && known);
  useLayoutEffect(() => {
    if (!restoring || shown) return;
    restoring = false;
    focusText();
  });
  return (
    <div class="deleted-notice" aria-live="polite">
      {shown && <Notice facts={facts!} docId={docId!} said={said} />}
    </div>
  );
}

function Notice({
  facts,
  docId,
  said,
}: {
  facts: Pick<DocumentView, 'deleted' | 'conflicts'>;
  docId: string;
  said: Ref<HTMLParagraphElement>;
}) {
  const open = openDeletionConflict(facts.conflicts);
  if (!open)
    return (
      <div class="deleted">
        <p ref={said} tabIndex={-1}>
          This document is deleted: it takes no edits until it is restored.
        </p>
        <button
          type="button"
          onClick={() => {
            restoring = true;
            void setDeleted(docId, false).then(() => void focusText());
          }}
        >
          Restore the document
        </button>
      </div>
    );
  const others =
    open.kind === 'deleted'
      ? `${names(open.editedBy)} ${open.editedBy?.length === 1 ? 'was' : 'were'} editing it`
      : `${names(open.restoredBy)} restored it`;
  const decide = async (deleted: boolean) => {
    decided = deleted;
    restoring = !deleted;
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
