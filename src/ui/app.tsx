import { signal } from '@preact/signals';
import type { LogEvent } from '../index.ts';
import { startLogWorker } from './log-client.ts';

const STREAM = 'demo/hello';
const started = startLogWorker();
const actor = signal<string | undefined>(undefined);
const events = signal<LogEvent[]>([]);
const failure = signal<string | undefined>(undefined);

async function refresh() {
  const { service } = await started;
  events.value = await service.readStream(STREAM);
}

async function appendNote() {
  try {
    const { service } = await started;
    await service.append(STREAM, {
      type: 'demo.note',
      data: { at: new Date().toISOString() },
    });
    await refresh();
  } catch (error) {
    failure.value = (error as Error).message;
  }
}

started.then(
  ({ opened }) => (actor.value = opened.actor),
  (error: Error) => (failure.value = error.message),
);

/** The starter page: proves the log runs in a worker until the document app lands. */
export function App() {
  return (
    <main>
      <h1>forkline</h1>
      <p role="status">
        {failure.value
          ? `Error: ${failure.value}`
          : actor.value
            ? `Log worker running as replica ${actor.value}`
            : 'Starting the log worker…'}
      </p>
      <button type="button" onClick={appendNote} disabled={!actor.value}>
        Append an event
      </button>
      <ol aria-label="Events">
        {events.value.map((e) => (
          <li key={e.id}>
            <code>{e.id}</code> seq {e.seq} · {e.hlc}
          </li>
        ))}
      </ol>
    </main>
  );
}
