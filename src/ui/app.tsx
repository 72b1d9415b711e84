import { ConflictTimeline } from './conflict-timeline.tsx';
import { current, author, view } from './app-state.ts';
import { DocumentsList } from './documents-list.tsx';
import { HistoryView } from './history-view.tsx';
import { JoinDialog } from './join-dialog.tsx';
import { LogTransfer } from './log-transfer.tsx';
import { SyncPanel } from './sync-panel.tsx';
import { updateReady } from './app-update.ts';
import { StatusLine } from './status-line.tsx';
import { TextEditor } from './text-editor.tsx';
import { TitleField } from './title-field.tsx';

export function App() {
  const doc = current.value;
  return (
    <>
      <header>
        <h1>forkline</h1>
        <span class="author">You are {author}</span>
        <StatusLine />
        {updateReady.value && (
          <button type="button" onClick={updateReady.value}>
            New version available: reload
          </button>
        )}
      </header>
      <div class="layout">
        <div class="side">
          <DocumentsList />
          <LogTransfer />
          <SyncPanel />
        </div>
        <main>
          {doc ? (
            <>
              <TitleField />
              {view.value?.deleted && (
                <p class="deleted">
                  This document is deleted. Restore it from the list.
                </p>
              )}
              <TextEditor live={doc.live} key={doc.docId} />
              <HistoryView />
              <ConflictTimeline />
            </>
          ) : (
            <p>Create a document to start writing.</p>
          )}
        </main>
      </div>
      <JoinDialog />
    </>
  );
}
