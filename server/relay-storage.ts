import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { openLog, type EventRecord } from '../src/index.ts';
import { openFileLog, type FileLogLimits } from './file-log.ts';
import type { OpenedLog } from './log-registry.ts';
import { migrate } from './pg-migrate.ts';
import { pgStore } from './pg-store.ts';

/**
 * Where a relay keeps its logs and their tokens' hashes: files in a directory (the
 * zero-setup default) or PostgreSQL (any number of relay processes over one
 * database). The relay's protocol, verification and limits are the same over both.
 */
export interface RelayStorage {
  /** Records a new log and its token's hash, durably, before anyone is told of it. */
  createLog(logId: string, tokenHash: Buffer): Promise<void>;
  /** The hash of the log's token; undefined when there is no such log. */
  tokenHash(logId: string): Promise<Buffer | undefined>;
  /**
   * Opens a log for the sessions of this process. `stored` is told the events each
   * write through it stored, once they are durable.
   */
  open(
    logId: string,
    stored: (records: readonly EventRecord[]) => void,
  ): Promise<OpenedLog>;
  /**
   * Calls `moved` with each log another relay process stored events in, from now
   * on: its sessions here are sent what they lack. With no log id: any log may have
   * moved (the announcements were not heard for a while). Files have no other
   * process.
   */
  watch(moved: (logId?: string) => void): Promise<void>;
  close(): Promise<void>;
}

/** Writes a new file (0600) and fsyncs it: it exists, whole, before anyone is told. */
async function createDurably(path: string, text: string): Promise<void> {
  const file = await open(path, 'wx', 0o600);
  try {
    await file.writeFile(text, 'utf8');
    await file.sync();
  } finally {
    await file.close();
  }
}

/** Makes a directory's new entries durable (the files in it are fsynced already). */
async function syncDirectory(path: string): Promise<void> {
  const dir = await open(path, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/**
 * Logs as files in `dataDir`: each a verified, append-only JSON Lines file loaded
 * into memory while it is open, beside a metadata file holding its token's hash.
 * @throws whatever creating the data directory throws
 */
export async function fileStorage(
  dataDir: string,
  limits: FileLogLimits,
  say: (message: string) => void,
): Promise<RelayStorage> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (((await stat(dataDir)).mode & 0o077) !== 0)
    say(
      `${dataDir} is open to other users of this machine: chmod 700 it (the relay creates its data directory so)`,
    );
  const metaPath = (logId: string) => join(dataDir, `${logId}.meta.json`);
  const logPath = (logId: string) => join(dataDir, `${logId}.jsonl`);
  return {
    async createLog(logId, tokenHash) {
      await createDurably(
        metaPath(logId),
        JSON.stringify({
          tokenHash: tokenHash.toString('hex'),
          createdAt: new Date().toISOString(),
        }),
      );
      await createDurably(logPath(logId), '');
      await syncDirectory(dataDir);
    },
    async tokenHash(logId) {
      try {
        const meta = JSON.parse(await readFile(metaPath(logId), 'utf8')) as {
          tokenHash: string;
        };
        return Buffer.from(meta.tokenHash, 'hex');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT')
          return undefined;
        throw error;
      }
    },
    open: (logId, stored) => openFileLog(logPath(logId), say, limits, stored),
    watch: async () => undefined,
    close: async () => undefined,
  };
}

/** The channel relays announce stored events on: `${process}\n${logId}`. */
const MOVED = 'forkline_moved';

/**
 * Logs in the PostgreSQL database at `url` (schema applied at start, once however
 * many relays start together). A log open here holds no events in memory: every
 * read and every verification goes to the database, which is the truth. A write
 * announces its log on MOVED when it commits, and each relay listening sends its own
 * sessions of that log what they lack, reading the events itself.
 * @throws whatever connecting or migrating throws
 */
export async function postgresStorage(
  url: string,
  limits: FileLogLimits,
  say: (message: string) => void,
): Promise<RelayStorage> {
  const pool = new pg.Pool({ connectionString: url, max: 16 });
  // An idle connection that fails (the database restarted) is replaced, not fatal.
  pool.on('error', (error) => say(`database: ${error.message}`));
  await migrate(pool);
  const self = randomBytes(9).toString('base64url');
  let listener: pg.Client | undefined;
  let closed = false;
  return {
    async createLog(logId, tokenHash) {
      await pool.query(
        'INSERT INTO forkline_logs (log_id, token_hash) VALUES ($1, $2)',
        [logId, tokenHash],
      );
    },
    async tokenHash(logId) {
      const { rows } = await pool.query<{ token_hash: Buffer }>(
        'SELECT token_hash FROM forkline_logs WHERE log_id = $1',
        [logId],
      );
      return rows[0]?.token_hash;
    },
    async open(logId, stored) {
      const log = await openLog({
        store: pgStore(pool, logId, {
          limits,
          announce: { channel: MOVED, from: self },
          stored,
        }),
        actor: 'relay',
      });
      return { log, close: () => log.close() };
    },
    async watch(moved) {
      // One connection listens; lost (the database restarted), another takes over.
      const listen = async (): Promise<void> => {
        if (closed) return;
        const client = new pg.Client({ connectionString: url });
        client.on('notification', ({ channel, payload }) => {
          if (channel !== MOVED || !payload) return;
          const cut = payload.indexOf('\n');
          if (payload.slice(0, cut) !== self) moved(payload.slice(cut + 1));
        });
        client.on('error', (error) => {
          say(`database listener: ${error.message}`);
          void client.end().catch(() => undefined);
          if (listener === client) {
            listener = undefined;
            setTimeout(() => void listen().catch(retry), 1000).unref();
          }
        });
        await client.connect();
        await client.query(`LISTEN ${MOVED}`);
        listener = client;
        // Listening again after a loss: what was announced meanwhile went unheard.
        if (heard) moved();
        heard = true;
      };
      let heard = false;
      const retry = (error: Error) => {
        say(`database listener: ${error.message}; retrying`);
        setTimeout(() => void listen().catch(retry), 1000).unref();
      };
      await listen();
    },
    async close() {
      closed = true;
      await listener?.end().catch(() => undefined);
      await pool.end();
    },
  };
}
