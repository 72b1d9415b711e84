import { useRef } from 'preact/hooks';
import {
  createDoc,
  current,
  documents,
  openDoc,
  setDeleted,
} from './app-state.ts';
import { alikeWhenCut, endsApart, listedName } from './clipped.ts';

const titleOf = listedName;

/**
 * Characters of a listed name the list's width shows (about 140 px): names alike up
 * to there keep their last LISTED_END characters in sight, and the rest of them
 * gives way with "…" (QA pass 16: four documents listed as "Quarterly pla…").
 */
const LISTED_CHARACTERS = 13;
const LISTED_END = 9;
/**
 * The most of a name's end kept in sight: ends alike in their last nine characters
 * keep more, to where they differ ("10k events" beside "100k events", which both
 * read "Lo… 0k events", QA pass 18).
 */
const LISTED_END_MOST = 14;

/**
 * A listed name; one that begins like another shows its last `end` characters
 * whatever its width.
 */
function ListedName({ name, end }: { name: string; end: number | undefined }) {
  if (end === undefined) return <>{name}</>;
  const chars = [...name];
  return (
    <span class="name-apart">
      <span class="name-head">{chars.slice(0, -end).join('')}</span>
      <span class="name-end">{chars.slice(-end).join('')}</span>
    </span>
  );
}

export function DocumentsList() {
  // A document deleted while someone edited it stays in sight until someone
  // decides: nobody who typed in it should find it gone without a word.
  const live = documents.value.filter((d) => !d.deleted || d.deletionContested);
  const names = live.map((d) => titleOf(d.title));
  const alike = alikeWhenCut(names, LISTED_CHARACTERS);
  const ends = endsApart(names, alike, LISTED_END, LISTED_END_MOST);
  const deleted = documents.value.filter(
    (d) => d.deleted && !d.deletionContested,
  );
  /** Each listed document's button, to give focus to. */
  const buttons = useRef(new Map<string, HTMLButtonElement>());
  const create = useRef<HTMLButtonElement>(null);
  /**
   * Deletes a document and gives focus to the one after it (or before it, or
   * "New document"): the pressed button is gone, and focus with it.
   */
  const remove = async (docId: string) => {
    const at = live.findIndex((d) => d.docId === docId);
    const next = live[at + 1] ?? live[at - 1];
    await setDeleted(docId, true);
    const target =
      (next && buttons.current.get(next.docId)) ?? create.current ?? undefined;
    target?.focus();
  };
  /** A document being brought back: its button takes focus once listed again. */
  const restoring = useRef<string | undefined>(undefined);
  /**
   * Brings a document back. The pressed Restore button goes, and focus went with it
   * to the page: it goes to the document's own button in the list, once drawn.
   */
  const restore = async (docId: string) => {
    restoring.current = docId;
    await setDeleted(docId, false);
    // Not brought back (the status line says why): its button, drawn some day
    // when another tab brings it back, must not take focus then.
    const back = documents.value.some((d) => d.docId === docId && !d.deleted);
    if (!back && restoring.current === docId) restoring.current = undefined;
  };
  return (
    <nav class="documents" aria-label="Document navigation">
      <button
        ref={create}
        type="button"
        // A double click is one document: its second click (detail 2) is not
        // another press, however long the first one's document took to make.
        onClick={(event) => {
          if (event.detail <= 1) void createDoc();
        }}
      >
        New document
      </button>
      <ul aria-label="Documents">
        {live.map((d, i) => (
          <li
            key={d.docId}
            class={d.deletionContested ? 'contested' : undefined}
          >
            <button
              ref={(el) => {
                if (!el) return void buttons.current.delete(d.docId);
                buttons.current.set(d.docId, el);
                if (restoring.current !== d.docId) return;
                restoring.current = undefined;
                el.focus();
              }}
              type="button"
              class="link"
              title={titleOf(d.title)}
              // Its name cut in two boxes is read with a space between them
              // ("Long document, 1 00k events"): it is named whole, and its
              // tooltip is not read again as its description (QA pass 17).
              aria-label={alike[i] ? titleOf(d.title) : undefined}
              aria-description={alike[i] ? '' : undefined}
              aria-current={
                current.value?.docId === d.docId ? 'page' : undefined
              }
              onClick={() => void openDoc(d.docId)}
            >
              <ListedName name={titleOf(d.title)} end={ends[i]} />
            </button>
            {d.deletionContested && (
              <>
                <span class="note">deleted while being edited</span>
                <button
                  type="button"
                  class="quiet"
                  aria-label={`Restore ${titleOf(d.title)}`}
                  onClick={() => void restore(d.docId)}
                >
                  Restore
                </button>
              </>
            )}
            <button
              type="button"
              class="quiet"
              aria-label={`Delete ${titleOf(d.title)}`}
              onClick={() => void remove(d.docId)}
            >
              Delete
            </button>
          </li>
        ))}
      </ul>
      {deleted.length > 0 && (
        <details>
          <summary>Deleted ({deleted.length})</summary>
          <ul aria-label="Deleted documents">
            {deleted.map((d) => (
              <li key={d.docId}>
                {titleOf(d.title)}{' '}
                <button type="button" onClick={() => void restore(d.docId)}>
                  Restore {titleOf(d.title)}
                </button>
              </li>
            ))}
          </ul>
        </details>
      )}
    </nav>
  );
}
