import { useRef } from 'preact/hooks';
import {
  cancelImport,
  exportLog,
  importLog,
  transfer,
  transferResult,
  verifyLog,
} from './app-state.ts';
import { storageKept } from './storage-kept.ts';

/** Export the log as CloudEvents JSON Lines, import one, and show how far either has come. */
export function LogTransfer() {
  const running = transfer.value;
  const fileInput = useRef<HTMLInputElement>(null);
  return (
    <section class="transfer" aria-label="Export and import">
      {/* aria-disabled, not disabled, while one runs: a disabled button loses the
          focus, which went to the page, for a keyboard user to find again. */}
      <button
        type="button"
        onClick={() => running || void exportLog()}
        aria-disabled={!!running}
      >
        Export log
      </button>
      <label class="import">
        <span class="label">Import log</span>
        {/* The same for the file input (QA pass 8): it opens no picker meanwhile. */}
        <input
          ref={fileInput}
          type="file"
          accept=".jsonl,application/jsonl,application/x-ndjson,text/plain"
          aria-disabled={!!running}
          onClick={(e) => running && e.preventDefault()}
          onChange={(e) => {
            const input = e.target as HTMLInputElement;
            const file = input.files?.[0];
            if (file) void importLog(file).finally(() => (input.value = ''));
          }}
        />
      </label>
      <button
        type="button"
        class="quiet"
        onClick={() => running || void verifyLog()}
        aria-disabled={!!running}
      >
        Verify log
      </button>
      {running && (
        <label>
          <span class="label">{running.label}</span>
          <progress max={running.total || 1} value={running.done} />
        </label>
      )}
      {/* An import holds the log's writes (typing too) until it is stored: a large
          one takes seconds, and a person who chose the wrong file can stop it. */}
      {running?.kind === 'import' && (
        <button
          type="button"
          class="quiet"
          onClick={() => {
            // This button goes with the import: the focus goes where the next
            // file is chosen, not to the page.
            fileInput.current?.focus();
            void cancelImport();
          }}
        >
          Cancel import
        </button>
      )}
      {/* There before it says anything, so that screen readers say what it says. */}
      <p class="transfer-result" aria-live="polite">
        {transferResult.value}
      </p>
      {storageKept.value && (
        <p class="storage-kept">
          {storageKept.value === 'persisted'
            ? 'This browser keeps the log until you clear the site’s data.'
            : 'This browser may clear the log when space runs low: export it, or share it with another device, to keep a copy.'}
        </p>
      )}
    </section>
  );
}
