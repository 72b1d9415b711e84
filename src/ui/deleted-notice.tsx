import { current, setDeleted, view } from './app-state.ts';

/**
 * What the open document says when it is deleted. Deleted while someone edited it
 * (another device typing offline), it says who did which and asks for a decision:
 * either button writes having seen both, which settles it everywhere.
 */
export function DeletedNotice() {
  const facts = view.value;
  const docId = current.value?.docId;
  if (!facts?.deleted || !docId) return null;
  const open = facts.conflicts.find(
    (c) => c.kind === 'deleted' && c.state === 'unresolved',
  );
  if (!open)
    return (
      <p class="deleted">This document is deleted. Restore it from the list.</p>
    );
  const editors = open.editedBy ?? [];
  return (
    <div class="deleted" role="group" aria-label="Deleted while being edited">
      <p>
        {(open.deletedBy ?? []).join(' and ')} deleted this document while{' '}
        {editors.join(' and ')} {editors.length > 1 ? 'were' : 'was'} editing
        it. Nothing was lost: the edits are in it.
      </p>
      <button type="button" onClick={() => void setDeleted(docId, false)}>
        Restore the document
      </button>{' '}
      <button
        type="button"
        class="quiet"
        onClick={() => void setDeleted(docId, true)}
      >
        Keep it deleted
      </button>
    </div>
  );
}
