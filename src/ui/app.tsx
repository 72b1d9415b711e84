import { ConflictTimeline } from './conflict-timeline.tsx';
import {
  AuthorshipToggle,
  showing as showingAuthorship,
} from './authorship-toggle.tsx';
import { lazyView } from './lazy-view.tsx';
import { screen, type Screen } from './screens.ts';
import { current, documents, opening, view } from './app-state.ts';
import { DeletedNotice, takesNoEdits } from './deleted-notice.tsx';
import { DocumentsList } from './documents-list.tsx';
import { HistoryView } from './history-view.tsx';
import { JoinDialog } from './join-dialog.tsx';
import { NameField } from './name-field.tsx';
import { LogTransfer } from './log-transfer.tsx';
import { SyncPanel } from './sync-panel.tsx';
import { updateReady } from './app-update.ts';
import { StatusLine } from './status-line.tsx';
import { TitleField } from './title-field.tsx';

// Views of the whole log, and authorship: fetched when first opened.
const EventExplorer = lazyView('Event explorer', () =>
  import('./event-explorer.tsx').then((m) => m.EventExplorer),
);
const InsightsView = lazyView('Insights', () =>
  import('./insights-view.tsx').then((m) => m.InsightsView),
);
// CodeMirror is most of the page's script: fetched beside the log worker's start, not
// before the page can paint, nor once a document is chosen. (If it cannot be fetched,
// the editor's place says so when shown.)
const loadEditor = () => import('./text-editor.tsx').then((m) => m.TextEditor);
loadEditor().catch(() => undefined);
const TextEditor = lazyView('Editor', loadEditor);
const AuthorshipView = lazyView('Authorship', () =>
  import('./authorship-view.tsx').then((m) => m.AuthorshipView),
);

const SCREENS: [Screen, string][] = [
  ['document', 'Document'],
  ['explorer', 'Event explorer'],
  ['insights', 'Insights'],
];

export function App() {
  const doc = current.value;
  // A document being opened shows its text at once; the rest comes with it.
  const pending = opening.value;
  const shown = pending ?? doc;
  return (
    <>
      <header>
        <h1>forkline</h1>
        <NameField />
        <nav class="screens" aria-label="Views">
          {SCREENS.map(([name, label]) => (
            <button
              key={name}
              type="button"
              aria-pressed={screen.value === name}
              onClick={() => (screen.value = name)}
            >
              {label}
            </button>
          ))}
        </nav>
        <StatusLine />
        {updateReady.value && (
          <button type="button" onClick={updateReady.value}>
            New version available: reload
          </button>
        )}
      </header>
      <div class="layout">
        {/* The documents, then the open one, then the log's tools: the order of
            reading and of Tab, and on a phone's one column the order on screen, so
            a document is not below every tool. */}
        <div class="side">
          <DocumentsList />
        </div>
        <main>
          {screen.value === 'explorer' ? (
            <EventExplorer />
          ) : screen.value === 'insights' ? (
            <InsightsView />
          ) : shown ? (
            <>
              {/* A document made here has a title before it opens: "Untitled",
                  to type over at once. Each document its own field, the same one
                  from the press until it is open. */}
              {(!pending || pending.made) && <TitleField key={shown.docId} />}
              {!pending && <DeletedNotice />}
              <TextEditor
                key={shown.docId}
                live={pending ? undefined : doc!.live}
                {...(pending?.text !== undefined ? { text: pending.text } : {})}
                readOnly={!pending && takesNoEdits(view.value)}
              />
              {!pending && <AuthorshipToggle />}
              {!pending && showingAuthorship.value && <AuthorshipView />}
              {!pending && <HistoryView />}
              {!pending && <ConflictTimeline />}
            </>
          ) : (
            <p>
              {documents.value.some((d) => !d.deleted)
                ? 'Open a document from the list, or create a new one.'
                : 'Create a document to start writing.'}
            </p>
          )}
        </main>
        <div class="side tools">
          <LogTransfer />
          <SyncPanel />
        </div>
      </div>
      <JoinDialog />
    </>
  );
}
