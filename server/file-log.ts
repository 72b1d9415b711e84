import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import {
  memoryStore,
  openLog,
  type EventRecord,
  type Log,
  type Store,
} from '../src/index.ts';
import { BufferedTransaction } from '../src/log/buffered-transaction.ts';
import { admitting } from './log-quota.ts';
import { groupCommit } from '../src/log/group-commit.ts';
import { encodeEvent } from '../src/sync/messages.ts';
import { StorageFailedError } from './relay-errors.ts';

export interface FileLogLimits {
  /** Most bytes the file may grow to; a batch that would pass it is refused. */
  maxBytes?: number;
  /** Most events the log may hold. */
  maxEvents?: number;
}

export interface FileLog {
  log: Log;
  /** Length of the file: every byte of it durable. */
  readonly bytes: number;
  readonly events: number;
  /** A failed write could not be undone: every write is refused until the log is reopened. */
  readonly broken: boolean;
  close(): Promise<void>;
}

/** Where the file stands: only whole, fsynced batches are counted. */
interface FileState {
  path: string;
  size: number;
  events: number;
  broken: boolean;
  maxBytes: number;
  maxEvents: number;
}

/**
 * Wraps a store so every committed transaction's events are appended to `file` as
 * JSON Lines (the export format) and fsynced before the transaction commits: when a
 * write resolves, its events survive a crash. If the file write fails, the
 * transaction fails and memory stays as it was. Writes that arrive during an fsync
 * go together in the next one (groupCommit).
 */
function appendingStore(
  inner: Store,
  file: FileHandle,
  state: FileState,
  stored?: (records: readonly EventRecord[]) => void,
): Store {
  const writes = groupCommit(
    (runWrites) =>
      inner.write(async (tx) => {
        const group = new BufferedTransaction(tx);
        await runWrites(
          group,
          admitting(
            { events: state.events, bytes: state.size },
            state,
            state.path,
          ),
        );
        if (group.events.length > 0)
          await appendRecords(file, state, group.events);
        group.applyTo(tx);
      }),
    { maxWrites: 256, ...(stored ? { committed: stored } : {}) },
  );
  return { ...inner, write: writes.write };
}

/**
 * Appends the records at the file's last good length, every byte of them, and
 * fsyncs. Positions are explicit: after a failure the file position says nothing.
 * @throws StorageFailedError after the file was cut back to its last good length (or
 *   could not be, and the log is broken).
 */
async function appendRecords(
  file: FileHandle,
  state: FileState,
  added: EventRecord[],
): Promise<void> {
  if (state.broken)
    throw new StorageFailedError(
      state.path,
      'an earlier failed write could not be undone',
      false,
    );
  // The same text the relay then sends to every client of the log: encoded once.
  const bytes = Buffer.from(
    added.map((r) => encodeEvent(r.event).text + '\n').join(''),
    'utf8',
  );
  try {
    let done = 0;
    while (done < bytes.length) {
      // A short write (file-size limit, disk full) reports fewer bytes: write the rest,
      // which then fails with the reason.
      const { bytesWritten } = await file.write(
        bytes,
        done,
        bytes.length - done,
        state.size + done,
      );
      if (bytesWritten <= 0)
        throw new Error(
          `a write made no progress at byte ${state.size + done}`,
        );
      done += bytesWritten;
    }
    await file.datasync();
  } catch (error) {
    throw await cutBack(file, state, reasonOf(error));
  }
  state.size += bytes.length;
  state.events += added.length;
}

/** Truncates a failed append away, so the next write never lands after a fragment. */
async function cutBack(
  file: FileHandle,
  state: FileState,
  reason: string,
): Promise<StorageFailedError> {
  try {
    await file.truncate(state.size);
    await file.datasync();
    return new StorageFailedError(state.path, reason, true);
  } catch (error) {
    state.broken = true;
    return new StorageFailedError(
      state.path,
      `${reason}; cutting the file back failed too: ${reasonOf(error)}`,
      false,
    );
  }
}

const reasonOf = (error: unknown) =>
  error instanceof Error ? error.message : String(error);

/**
 * Opens the log kept in `path` (created 0600 if missing): every line is verified on
 * load (ids recomputed, parents and seq chains checked). A torn last line, left by
 * a crash mid-write, is cut off with a message; a bad line anywhere else refuses to
 * start, since it means the file was altered.
 * @throws ImportError for a bad line; whatever opening or reading the file throws
 */
export async function openFileLog(
  path: string,
  say: (message: string) => void = console.log,
  limits: FileLogLimits = {},
  /** Told the events of each write, once they are durable. */
  stored?: (records: readonly EventRecord[]) => void,
): Promise<FileLog> {
  const file = await open(path, constants.O_RDWR | constants.O_CREAT, 0o600);
  try {
    // Written by an older relay with the umask's mode: a log is its writers' data.
    if (((await file.stat()).mode & 0o077) !== 0) await file.chmod(0o600);
    const content = await file.readFile();
    const keep = content.lastIndexOf(0x0a) + 1;
    if (keep < content.length)
      say(
        `${path}: cut a torn last line (${content.length - keep} bytes) left by an interrupted write`,
      );
    const lines = content
      .subarray(0, keep)
      .toString('utf8')
      .split('\n')
      .filter((l) => l.length > 0);
    const memory = memoryStore();
    const loader = await openLog({ store: memory, actor: 'relay' });
    if (lines.length > 0) await loader.import(lines);
    if (keep < content.length) {
      await file.truncate(keep);
      await file.datasync();
    }
    const state: FileState = {
      path,
      size: keep,
      events: Object.values(await loader.versionVector()).reduce(
        (sum, seq) => sum + seq,
        0,
      ),
      broken: false,
      maxBytes: limits.maxBytes ?? Infinity,
      maxEvents: limits.maxEvents ?? Infinity,
    };
    const log = await openLog({
      store: appendingStore(memory, file, state, stored),
      actor: 'relay',
    });
    return {
      log,
      get bytes() {
        return state.size;
      },
      get events() {
        return state.events;
      },
      get broken() {
        return state.broken;
      },
      async close() {
        await log.close();
        await file.close();
      },
    };
  } catch (error) {
    await file.close();
    throw error;
  }
}
