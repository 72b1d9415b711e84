import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import type { WebSocket } from 'ws';
import {
  ForklineError,
  LogClosedError,
  openLog,
  type EventRecord,
  type Log,
} from '../src/index.ts';
import { openFileLog, type FileLogLimits } from './file-log.ts';
import type { OpenedLog } from './log-registry.ts';
import { migrate } from './pg-migrate.ts';
import { pgStore } from './pg-store.ts';
import { clusterKey, writerLeases, type Writer } from './log-writers.ts';
import { PeerLinks, servePeer, type PeerVerdict } from './peer-link.ts';
import { StorageFailedError } from './relay-errors.ts';

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
   * on: its sessions here are sent what they lack. `at`, when known, is where the
   * log was said to end: a log read that far already has nothing new. It is a hint,
   * never taken for the truth (anyone who reaches the database can announce). With
   * no log id: any log may have moved (the announcements were not heard for a
   * while). Files have no other process.
   */
  watch(moved: (logId?: string, at?: number) => void): Promise<void>;
  /**
   * Serves a link from another relay that sends this one the batches of logs it
   * writes (server/peer-link.ts); `written` is told each log that took a batch,
   * whose sessions here are then sent it. Files have no other relay.
   */
  servePeer?(
    ws: WebSocket,
    written: (logId: string) => void,
    say: (message: string) => void,
  ): void;
  /** Batches sent to the relay that writes their log, and taken here from others. */
  peerCounts(): { forwarded: number; forPeers: number };
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
    peerCounts: () => ({ forwarded: 0, forPeers: 0 }),
    close: async () => undefined,
  };
}

/**
 * The channel relays announce stored events on. A payload is the announcing
 * process's id, then a line per log: `${logId} ${lastPos}`.
 */
const MOVED = 'forkline_moved';
/** PostgreSQL refuses a payload of 8000 bytes or more: longer announcements are cut. */
const PAYLOAD_BYTES = 7000;
/** How often a relay asks where its open logs end, for an announcement that was lost. */
const CHECK_MS = 1000;
/**
 * A line of an announcement: a log id (as the relay makes them) and a position. A
 * relay of an earlier version announces the log id alone.
 */
const ANNOUNCED = /^([A-Za-z0-9_-]{1,128})(?: ([0-9]{1,15}))?$/;

/**
 * Logs in the PostgreSQL database at `url` (schema applied at start, once however
 * many relays start together). A log open here holds no events in memory: every
 * read and every verification goes to the database, which is the truth.
 *
 * Once a write is committed, its log and where it now ends are announced on MOVED,
 * with every other log this process wrote to in the same turn of the event loop, in
 * one NOTIFY of its own. Each relay listening sends its own sessions of those logs
 * what they lack, reading the events itself. The NOTIFY is not part of the write's
 * transaction: PostgreSQL makes every transaction that notifies take turns at
 * commit, across the whole database and through its WAL flush, so writes to 2,000
 * logs queued behind one lock. An announcement outside the write can be lost (this
 * process dies between the two, or the NOTIFY fails): every second a relay asks where
 * its open logs end, and reads on those that moved unannounced.
 * @throws whatever connecting or migrating throws
 */
export async function postgresStorage(
  url: string,
  limits: FileLogLimits,
  say: (message: string) => void,
  /**
   * Where other relays reach this one (ws://host:port), known once it listens;
   * without it this relay writes no log for others, but sends its batches to a
   * log's writer all the same.
   */
  peerUrl: () => string | undefined = () => undefined,
): Promise<RelayStorage> {
  const pool = new pg.Pool({ connectionString: url, max: 16 });
  // An idle connection that fails (the database restarted) is replaced, not fatal.
  pool.on('error', (error) => say(`database: ${error.message}`));
  await migrate(pool);
  const self = randomBytes(9).toString('base64url');
  const links = new PeerLinks(await clusterKey(pool));
  /**
   * The relay that writes each log open here, as the database last said: this one
   * (`self`), another, or none (a row is made at the next check). Only routes
   * writes: the log's lock keeps them correct whoever makes them.
   */
  const writers = new Map<string, Writer>();
  /** The logs open here, for batches other relays send. */
  const open = new Map<string, Log>();
  const counted = { forwarded: 0, forPeers: 0 };
  let movedHook: ((logId?: string, at?: number) => void) | undefined;
  const leases = writerLeases(pool, self, peerUrl, writers, say);
  let listener: pg.Client | undefined;
  let checker: ReturnType<typeof setInterval> | undefined;
  let closed = false;
  /**
   * Per log open here: the last position known to be stored, from this process's
   * writes and the checks' reads of the database; never from an announcement, which
   * anyone may make.
   */
  const known = new Map<string, number>();
  const learn = (logId: string, pos: number): boolean => {
    const before = known.get(logId);
    if (before === undefined || pos <= before) return false;
    known.set(logId, pos);
    return true;
  };
  /** Logs this process wrote to and has not announced yet, with where they end. */
  const unannounced = new Map<string, number>();
  let announcing: ReturnType<typeof setImmediate> | undefined;
  const announce = (): Promise<unknown> => {
    announcing = undefined;
    const sent: Promise<unknown>[] = [];
    const lines = [...unannounced].map(([logId, pos]) => `${logId} ${pos}`);
    unannounced.clear();
    for (let next = 0; next < lines.length;) {
      let payload = self;
      while (
        next < lines.length &&
        payload.length + 1 + lines[next]!.length <= PAYLOAD_BYTES
      )
        payload += `\n${lines[next++]!}`;
      const notify = pool
        .query('SELECT pg_notify($1, $2)', [MOVED, payload])
        .catch((error: Error) =>
          say(
            `database: announcing stored events: ${error.message} (other relays read them within ${CHECK_MS} ms)`,
          ),
        );
      sent.push(notify);
    }
    return Promise.all(sent);
  };
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
      // Nothing known yet: the first check reads on from wherever the log ends.
      known.set(logId, 0);
      let log: Log | undefined;
      try {
        log = await openLog({
          store: pgStore(pool, logId, {
            limits,
            stored: (records) => {
              const last = records[records.length - 1];
              if (last) {
                learn(logId, last.pos);
                unannounced.set(logId, last.pos);
                announcing ??= setImmediate(announce);
              }
              stored(records);
            },
          }),
          actor: 'relay',
        });
        const opened = log;
        open.set(logId, opened);
        await leases.lease(logId);
        return {
          log: opened,
          ingest: async (events) => {
            const writer = writers.get(logId);
            if (!writer || writer.relay === self) return opened.ingest(events);
            const batch = [...events];
            const verdict = await links.write(writer, logId, batch);
            if ('done' in verdict) {
              counted.forwarded++;
              // Where the writer's commit left the log: read on now, not at its NOTIFY.
              if (verdict.at !== undefined) movedHook?.(logId, verdict.at);
              return verdict.done;
            }
            if ('refused' in verdict) throw verdict.refused;
            void leases.takeOver(logId, writer, verdict.elsewhere);
            return opened.ingest(batch);
          },
          close: async () => {
            known.delete(logId);
            open.delete(logId);
            await leases.release(logId);
            await opened.close();
          },
        };
      } catch (error) {
        known.delete(logId);
        if (open.get(logId) === log) open.delete(logId);
        await log?.close().catch(() => undefined);
        throw error;
      }
    },
    servePeer(ws, written, sayOfLink) {
      servePeer(
        ws,
        links.key,
        self,
        async (logId, events): Promise<PeerVerdict> => {
          const log = open.get(logId);
          if (!log || writers.get(logId)?.relay !== self)
            return { elsewhere: `relay ${self} does not write log ${logId}` };
          try {
            const done = await log.ingest(events);
            counted.forPeers++;
            written(logId);
            const at = known.get(logId);
            return { done, ...(at ? { at } : {}) };
          } catch (error) {
            // What the batch holds is refused as it would be there; a failure of
            // this relay or its database is not the batch's: its relay writes it.
            if (
              error instanceof ForklineError &&
              !(error instanceof StorageFailedError) &&
              !(error instanceof LogClosedError)
            )
              return { refused: error };
            return { elsewhere: (error as Error).message };
          }
        },
        sayOfLink,
      );
    },
    peerCounts: () => ({ ...counted }),
    async watch(moved) {
      movedHook = moved;
      // One connection listens; lost (the database restarted), another takes over.
      const listen = async (): Promise<void> => {
        if (closed) return;
        const client = new pg.Client({ connectionString: url });
        client.on('notification', ({ channel, payload }) => {
          if (channel !== MOVED || !payload) return;
          const [from, ...lines] = payload.split('\n');
          if (from === self) return;
          for (const line of lines) {
            const found = ANNOUNCED.exec(line);
            if (!found) continue;
            moved(
              found[1]!,
              found[2] === undefined ? undefined : Number(found[2]),
            );
          }
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
      // Where the open logs end, in one query: a log that moved unannounced is read on.
      let checking = false;
      checker = setInterval(() => {
        if (checking || closed || known.size === 0) return;
        checking = true;
        pool
          .query<{
            log_id: string;
            last_pos: string | null;
            relay: string | null;
            peer_url: string | null;
          }>(
            `SELECT l.log_id, r.last_pos, w.relay, w.peer_url
               FROM unnest($1::text[]) AS l(log_id)
               LEFT JOIN forkline_replicas r ON r.log_id = l.log_id
               LEFT JOIN forkline_writers w ON w.log_id = l.log_id`,
            [[...known.keys()]],
          )
          .then(({ rows }) => {
            for (const row of rows) {
              if (
                row.last_pos !== null &&
                learn(row.log_id, Number(row.last_pos))
              )
                moved(row.log_id, Number(row.last_pos));
              if (open.has(row.log_id))
                leases.heard(row.log_id, row.relay, row.peer_url);
            }
          })
          .catch((error: Error) =>
            say(`database: checking where open logs end: ${error.message}`),
          )
          .finally(() => (checking = false));
      }, CHECK_MS);
      checker.unref();
    },
    async close() {
      closed = true;
      clearInterval(checker);
      links.close();
      // Writes committed here are announced before the pool goes.
      if (announcing) {
        clearImmediate(announcing);
        await announce();
      }
      await listener?.end().catch(() => undefined);
      await pool.end();
    },
  };
}
