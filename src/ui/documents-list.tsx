import {
  createDoc,
  current,
  documents,
  openDoc,
  setDeleted,
} from './app-state.ts';

const titleOf = (title: string[]) =>
  title.length === 0 ? 'Untitled' : title.join(' / ');

export function DocumentsList() {
  const live = documents.value.filter((d) => !d.deleted);
  const deleted = documents.value.filter((d) => d.deleted);
  return (
    <nav class="documents" aria-label="Document navigation">
      <button type="button" onClick={() => void createDoc()}>
        New document
      </button>
      <ul aria-label="Documents">
        {live.map((d) => (
          <li key={d.docId}>
            <button
              type="button"
              class="link"
              title={titleOf(d.title)}
              aria-current={
                current.value?.docId === d.docId ? 'page' : undefined
              }
              onClick={() => void openDoc(d.docId)}
            >
              {titleOf(d.title)}
            </button>
            <button
              type="button"
              class="quiet"
              aria-label={`Delete ${titleOf(d.title)}`}
              onClick={() => void setDeleted(d.docId, true)}
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
                <button
                  type="button"
                  onClick={() => void setDeleted(d.docId, false)}
                >
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
