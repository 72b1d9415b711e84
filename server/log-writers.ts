import { randomBytes } from 'node:crypto';
import type pg from 'pg';

/** The relay that writes a log, and where other relays reach it. */
export interface Writer {
  relay: string;
  url: string;
}

interface WriterRow {
  relay: string;
  peer_url: string;
}

/**
 * A URL a relay may be reached at: ws: or wss:, a host and perhaps a port, nothing
 * else (the link's path is the relay's own, `/peer`).
 */
export function isPeerUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return (
      (u.protocol === 'ws:' || u.protocol === 'wss:') &&
      u.pathname === '/' &&
      !u.search &&
      !u.hash &&
      !u.username &&
      !u.password
    );
  } catch {
    return false;
  }
}

/**
 * The key relays over one database prove themselves to each other with (see
 * server/peer-link.ts): made by the first relay that starts, read by the others.
 */
export async function clusterKey(pool: pg.Pool): Promise<Buffer> {
  const { rows } = await pool.query<{ peer_key: Buffer }>(
    `WITH made AS (
       INSERT INTO forkline_cluster (id, peer_key) VALUES (1, $1)
       ON CONFLICT (id) DO NOTHING RETURNING peer_key)
     SELECT peer_key FROM made
     UNION ALL SELECT peer_key FROM forkline_cluster WHERE id = 1`,
    [randomBytes(32)],
  );
  return rows[0]!.peer_key;
}

/** The log's row, made for this relay when there is none: one statement. */
const LEASE = `WITH made AS (
    INSERT INTO forkline_writers (log_id, relay, peer_url) VALUES ($1, $2, $3)
    ON CONFLICT (log_id) DO NOTHING RETURNING relay, peer_url)
  SELECT relay, peer_url FROM made
  UNION ALL SELECT relay, peer_url FROM forkline_writers WHERE log_id = $1`;
const WHO = 'SELECT relay, peer_url FROM forkline_writers WHERE log_id = $1';

export interface WriterLeases {
  /** Learns who writes `logId`, and makes this relay its writer if none does. */
  lease(logId: string): Promise<void>;
  /**
   * `from` took no batch (it is gone, restarted, or no longer has the log open),
   * for `reason`: this relay takes its place, unless another relay did first; a
   * relay that cannot be reached clears the row, and writes its batches itself.
   * Said once, by the relay that changes the row.
   */
  takeOver(logId: string, from: Writer, reason: string): Promise<void>;
  /** What the database said of the log's writer in a periodic check. */
  heard(logId: string, relay: string | null, url: string | null): void;
  /** The log closes here: a row naming this relay goes. */
  release(logId: string): Promise<void>;
}

/**
 * The rows of `forkline_writers` (server/migrations/0003) that concern the logs
 * open in relay `self`, kept in `writers`. A row names one relay process: a
 * relay that opens a log nobody writes becomes its writer (when it can be
 * reached), and removes the row when the log closes here. A row left behind (its
 * relay was killed) is replaced by the first relay that fails to reach it. Two
 * relays may believe they write one log for a moment: the log's lock makes their
 * writes take turns, as without the table. Changes of one log's row are made one
 * at a time; a failed one is said and left for the next check or failure.
 */
export function writerLeases(
  pool: pg.Pool,
  self: string,
  peerUrl: () => string | undefined,
  writers: Map<string, Writer>,
  say: (message: string) => void,
): WriterLeases {
  const busy = new Map<string, Promise<void>>();
  const serially = (logId: string, change: () => Promise<void>) => {
    const next: Promise<void> = (busy.get(logId) ?? Promise.resolve())
      .then(change)
      .catch((error: Error) =>
        say(`database: who writes log ${logId}: ${error.message}`),
      )
      .finally(() => {
        if (busy.get(logId) === next) busy.delete(logId);
      });
    busy.set(logId, next);
    return next;
  };
  // A row whose URL no relay can be reached at is kept all the same: the first
  // batch sent there fails, and the row is taken over.
  const learn = (logId: string, row: WriterRow | undefined) => {
    if (row) writers.set(logId, { relay: row.relay, url: row.peer_url });
    else writers.delete(logId);
  };
  const leaseNow = async (logId: string) => {
    const url = peerUrl();
    for (let tries = 0; ; tries++) {
      const { rows } = await pool.query<WriterRow>(
        url === undefined ? WHO : LEASE,
        url === undefined ? [logId] : [logId, self, url],
      );
      // A row another relay made at once with ours: our INSERT waited for it to
      // commit, then found it, but the statement reads as of before it. Asked
      // again, it is there.
      if (rows[0] || url === undefined || tries === 2)
        return learn(logId, rows[0]);
    }
  };
  return {
    lease: (logId) => serially(logId, () => leaseNow(logId)),
    takeOver: (logId, from, reason) =>
      serially(logId, async () => {
        // Already replaced, by this relay or by what a check heard.
        if (writers.get(logId)?.relay !== from.relay) return;
        const url = peerUrl();
        const { rowCount } =
          url === undefined
            ? await pool.query(
                'DELETE FROM forkline_writers WHERE log_id = $1 AND relay = $2',
                [logId, from.relay],
              )
            : await pool.query(
                `UPDATE forkline_writers SET relay = $3, peer_url = $4
                  WHERE log_id = $1 AND relay = $2`,
                [logId, from.relay, self, url],
              );
        if (rowCount)
          say(
            `log ${logId}: relay ${from.relay} at ${from.url} took no batch (${reason}); ${url === undefined ? 'batches are written where they arrive' : 'this relay writes the log now'}`,
          );
        await leaseNow(logId);
      }),
    heard(logId, relay, url) {
      if (busy.has(logId)) return;
      if (relay !== null && url !== null)
        return learn(logId, { relay, peer_url: url });
      if (peerUrl() === undefined) writers.delete(logId);
      else void serially(logId, () => leaseNow(logId));
    },
    release: (logId) =>
      serially(logId, async () => {
        const mine = writers.get(logId)?.relay === self;
        writers.delete(logId);
        if (mine)
          await pool.query(
            'DELETE FROM forkline_writers WHERE log_id = $1 AND relay = $2',
            [logId, self],
          );
      }),
  };
}
