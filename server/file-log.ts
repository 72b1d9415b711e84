import { open, type FileHandle } from 'node:fs/promises';
import {
  memoryStore,
  openLog,
  toCloudEvent,
  type EventRecord,
  type Log,
  type Store,
  type StoreTransaction,
} from '../src/index.ts';

export interface FileLog {
  log: Log;
  close(): Promise<void>;
}

/**
 * Wraps a store so every committed transaction's events are appended to `file` as
 * JSON Lines (the export format) and fsynced before the transaction commits: when a
 * write resolves, its events survive a crash. If the file write fails, the
 * transaction fails and memory stays as it was.
 */
function appendingStore(inner: Store, file: FileHandle): Store {
  return {
    ...inner,
    write(body) {
      return inner.write(async (tx) => {
        const added: EventRecord[] = [];
        const recording: StoreTransaction = {
          event: (id) => tx.event(id),
          stream: (name) => tx.stream(name),
          actorSeq: (actor) => tx.actorSeq(actor),
          replica: () => tx.replica(),
          putEvent: (record) => {
            added.push(record);
            tx.putEvent(record);
          },
          putStream: (record) => tx.putStream(record),
          putActorSeq: (actor, seq) => tx.putActorSeq(actor, seq),
          putReplica: (record) => tx.putReplica(record),
        };
        const result = await body(recording);
        if (added.length > 0) {
          await file.write(
            added
              .map((r) => JSON.stringify(toCloudEvent(r.event)) + '\n')
              .join(''),
          );
          await file.datasync();
        }
        return result;
      });
    },
  };
}

/**
 * Opens the log kept in `path`: every line is verified on load (ids recomputed,
 * parents and seq chains checked). A torn last line, left by a crash mid-write, is
 * cut off with a message; a bad line anywhere else refuses to start, since it means
 * the file was altered.
 */
export async function openFileLog(
  path: string,
  say: (message: string) => void = console.log,
): Promise<FileLog> {
  const file = await open(path, 'a+');
  const text = (await file.readFile({ encoding: 'utf8' })) as string;
  let keep = text.length;
  if (text.length > 0 && !text.endsWith('\n')) {
    keep = text.lastIndexOf('\n') + 1;
    say(
      `${path}: cut a torn last line (${text.length - keep} bytes) left by an interrupted write`,
    );
  }
  const lines = text
    .slice(0, keep)
    .split('\n')
    .filter((l) => l.length > 0);
  const memory = memoryStore();
  const loader = await openLog({ store: memory, actor: 'relay' });
  if (lines.length > 0) await loader.import(lines);
  if (keep < text.length) {
    await file.truncate(Buffer.byteLength(text.slice(0, keep)));
    await file.datasync();
  }
  const log = await openLog({
    store: appendingStore(memory, file),
    actor: 'relay',
  });
  return {
    log,
    async close() {
      await log.close();
      await file.close();
    },
  };
}
