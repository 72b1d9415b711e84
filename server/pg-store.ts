import { deserialize, serialize } from 'node:v8';
import type pg from 'pg';
import { ZERO_HLC } from '../src/log/hlc.ts';
import { fromCloudEvent } from '../src/log/jsonl.ts';
import { LogClosedError } from '../src/log/errors.ts';
import type {
  ConflictRecord,
  EventRecord,
  ReplicaRecord,
  SnapshotRecord,
  Store,
  StoreTransaction,
  StreamRecord,
} from '../src/log/store.ts';
import type { EventId } from '../src/log/types.ts';
import { vectorFrom } from '../src/log/version-vector.ts';
import { encodeEvent } from '../src/sync/messages.ts';
import type { FileLogLimits } from './file-log.ts';
import { LogQuotaError, StorageFailedError } from './relay-errors.ts';
import { ForklineError } from '../src/log/errors.ts';

export interface PgStoreOptions {
  /** Most events and bytes (of their CloudEvent text) the log may hold: a relay's quota. */
  limits?: FileLogLimits;
  /** Announce each write that stored events on this channel, as `${from}\n${logId}`. */
  announce?: { channel: string; from: string };
}

/** Rows a read takes at a time: memory holds a page, never a whole stream. */
const PAGE = 500;
/** Event text a page holds at most (past its first event). */
const PAGE_BYTES = 1024 * 1024;
/** Rows one INSERT carries (as arrays: one statement, one round trip). */
const INSERT_ROWS = 2000;

const EVENT_COLUMNS = 'pos, body, recorded_at, gen';

interface EventRow {
  pos: string;
  body: string;
  recorded_at: string;
  gen: string;
}

/** A stored row as the record it was: its CloudEvent text read back. */
function recordOf(row: EventRow): EventRecord {
  return {
    event: fromCloudEvent(JSON.parse(row.body)),
    pos: Number(row.pos),
    recordedAt: Number(row.recorded_at),
    gen: Number(row.gen),
  };
}

interface ConflictRow {
  stream: string;
  hlc: string;
  resolved_by: string;
  events: string[];
  fork_point: string[];
}

const conflictOf = (row: ConflictRow): ConflictRecord => ({
  stream: row.stream,
  resolvedBy: row.resolved_by,
  hlc: row.hlc,
  events: row.events,
  forkPoint: row.fork_point,
});

/** What reads need: a pool outside a transaction, the transaction's client inside one. */
type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

async function readEvent(
  db: Queryable,
  logId: string,
  id: EventId,
): Promise<EventRecord | undefined> {
  const { rows } = await db.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM forkline_events WHERE log_id = $1 AND id = $2`,
    [logId, id],
  );
  return rows[0] && recordOf(rows[0]);
}

async function readStream(
  db: Queryable,
  logId: string,
  stream: string,
): Promise<StreamRecord | undefined> {
  const { rows } = await db.query<{ heads: string[]; size: string }>(
    'SELECT heads, size FROM forkline_streams WHERE log_id = $1 AND stream = $2',
    [logId, stream],
  );
  return (
    rows[0] && { stream, heads: rows[0].heads, size: Number(rows[0].size) }
  );
}

async function readActorSeq(
  db: Queryable,
  logId: string,
  actor: string,
): Promise<number> {
  const { rows } = await db.query<{ seq: string }>(
    'SELECT seq FROM forkline_actors WHERE log_id = $1 AND actor = $2',
    [logId, actor],
  );
  return rows[0] ? Number(rows[0].seq) : 0;
}

async function readReplica(
  db: Queryable,
  logId: string,
): Promise<ReplicaRecord> {
  const { rows } = await db.query<{
    hlc: string;
    last_pos: string;
    actor: string | null;
    conflict_index: number | null;
  }>(
    'SELECT hlc, last_pos, actor, conflict_index FROM forkline_replicas WHERE log_id = $1',
    [logId],
  );
  const row = rows[0];
  if (!row) return { hlc: ZERO_HLC, lastPos: 0 };
  return {
    hlc: row.hlc,
    lastPos: Number(row.last_pos),
    ...(row.actor !== null ? { actor: row.actor } : {}),
    ...(row.conflict_index !== null
      ? { conflictIndex: row.conflict_index }
      : {}),
  };
}

/**
 * A write in PostgreSQL: reads go to the database (its own writes first, which it
 * holds until commit), writes are sent at the end as a few array INSERTs.
 */
class PgTransaction implements StoreTransaction {
  private readonly events: EventRecord[] = [];
  private readonly byId = new Map<EventId, EventRecord>();
  private readonly streams = new Map<string, StreamRecord>();
  private readonly seqs = new Map<string, number>();
  private readonly conflicts = new Map<string, ConflictRecord>();
  private replicaRecord: ReplicaRecord | undefined;

  constructor(
    private readonly client: pg.PoolClient,
    private readonly logId: string,
  ) {}

  async event(id: EventId) {
    return this.byId.get(id) ?? readEvent(this.client, this.logId, id);
  }
  async stream(name: string) {
    return this.streams.get(name) ?? readStream(this.client, this.logId, name);
  }
  async actorSeq(actor: string) {
    return this.seqs.get(actor) ?? readActorSeq(this.client, this.logId, actor);
  }
  async replica() {
    return this.replicaRecord ?? readReplica(this.client, this.logId);
  }
  putEvent(record: EventRecord) {
    this.events.push(record);
    this.byId.set(record.event.id, record);
  }
  putStream(record: StreamRecord) {
    this.streams.set(record.stream, record);
  }
  putActorSeq(actor: string, seq: number) {
    this.seqs.set(actor, seq);
  }
  putReplica(record: ReplicaRecord) {
    this.replicaRecord = record;
  }
  putConflict(record: ConflictRecord) {
    this.conflicts.set(`${record.stream}\n${record.resolvedBy}`, record);
  }

  /** The events this transaction stores. */
  get added(): readonly EventRecord[] {
    return this.events;
  }

  /** Sends every write held; the caller commits. */
  async flush(): Promise<void> {
    const { client, logId } = this;
    for (let i = 0; i < this.events.length; i += INSERT_ROWS) {
      const rows = this.events.slice(i, i + INSERT_ROWS);
      await client.query(
        `INSERT INTO forkline_events
           (log_id, pos, id, stream, actor, seq, hlc, recorded_at, gen, body)
         SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[],
           $6::bigint[], $7::text[], $8::bigint[], $9::bigint[], $10::text[])`,
        [
          logId,
          rows.map((r) => r.pos),
          rows.map((r) => r.event.id),
          rows.map((r) => r.event.stream),
          rows.map((r) => r.event.actor),
          rows.map((r) => r.event.seq),
          rows.map((r) => r.event.hlc),
          rows.map((r) => r.recordedAt),
          rows.map((r) => r.gen),
          // The text every client of the log is then sent: encoded once.
          rows.map((r) => encodeEvent(r.event).text),
        ],
      );
    }
    if (this.streams.size > 0) {
      const rows = [...this.streams.values()];
      await client.query(
        `INSERT INTO forkline_streams (log_id, stream, heads, size)
         SELECT $1, s, string_to_array(h, ' '), n
           FROM unnest($2::text[], $3::text[], $4::bigint[]) AS t(s, h, n)
         ON CONFLICT (log_id, stream) DO UPDATE
           SET heads = excluded.heads, size = excluded.size`,
        [
          logId,
          rows.map((r) => r.stream),
          // Ids hold no space (base64url): heads as one string each.
          rows.map((r) => r.heads.join(' ')),
          rows.map((r) => r.size),
        ],
      );
    }
    if (this.seqs.size > 0) {
      await client.query(
        `INSERT INTO forkline_actors (log_id, actor, seq)
         SELECT $1, * FROM unnest($2::text[], $3::bigint[])
         ON CONFLICT (log_id, actor) DO UPDATE SET seq = excluded.seq`,
        [logId, [...this.seqs.keys()], [...this.seqs.values()]],
      );
    }
    if (this.conflicts.size > 0) {
      const rows = [...this.conflicts.values()];
      await client.query(
        `INSERT INTO forkline_conflicts
           (log_id, stream, hlc, resolved_by, events, fork_point)
         SELECT $1, s, h, r, string_to_array(e, ' '), string_to_array(f, ' ')
           FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
             AS t(s, h, r, e, f)
         ON CONFLICT (log_id, stream, hlc, resolved_by) DO UPDATE
           SET events = excluded.events, fork_point = excluded.fork_point`,
        [
          logId,
          rows.map((r) => r.stream),
          rows.map((r) => r.hlc),
          rows.map((r) => r.resolvedBy),
          rows.map((r) => r.events.join(' ')),
          rows.map((r) => r.forkPoint.join(' ')),
        ],
      );
    }
    const replica = this.replicaRecord;
    if (replica) {
      await client.query(
        `INSERT INTO forkline_replicas (log_id, hlc, last_pos, actor, conflict_index)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (log_id) DO UPDATE SET hlc = excluded.hlc,
           last_pos = excluded.last_pos, actor = excluded.actor,
           conflict_index = excluded.conflict_index`,
        [
          logId,
          replica.hlc,
          replica.lastPos,
          replica.actor ?? null,
          replica.conflictIndex ?? null,
        ],
      );
    }
  }
}

/**
 * The log `logId` kept in PostgreSQL (schema: server/migrations, applied by
 * `migrate`): the engine's Store, so the relay runs the same engine over it as over
 * memory or IndexedDB, and it passes the same contract suite. Every query names the
 * log. A write is one transaction holding the log's advisory lock, so writers of one
 * log take turns across every relay process, and a reader sees whole writes only.
 * The pool is the caller's: closing the store ends its use of it.
 */
export function pgStore(
  pool: pg.Pool,
  logId: string,
  options: PgStoreOptions = {},
): Store {
  const maxEvents = options.limits?.maxEvents ?? Infinity;
  const maxBytes = options.limits?.maxBytes ?? Infinity;
  let closed = false;
  // Writes of this process take turns here, holding one connection at a time.
  let queue: Promise<unknown> = Promise.resolve();
  const checkOpen = () => {
    if (closed) throw new LogClosedError();
  };

  async function runWrite<T>(
    body: (tx: StoreTransaction) => Promise<T>,
  ): Promise<T> {
    checkOpen();
    const client = await checkout(pool).catch((error: unknown) => {
      throw failed(error);
    });
    // A connection that could not even roll back is broken: the pool drops it.
    let broken = false;
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `forkline:log:${logId}`,
      ]);
      const tx = new PgTransaction(client, logId);
      const result = await body(tx);
      await tx.flush();
      const added = tx.added;
      if (added.length > 0) await account(client, added);
      // A COMMIT that fails with the connection may have committed: the client is
      // told nothing was kept, sends the batch again, and ingest skips what is stored.
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw failed(error);
    } finally {
      client.release(broken);
    }
  }

  /**
   * What the engine is told of a failure: its own errors (a refused event, a quota)
   * as they are; the database's (gone, restarting, refusing) as a storage failure of
   * the whole operation, which nothing was kept of and which may be retried.
   */
  function failed(error: unknown): Error {
    if (error instanceof ForklineError) return error;
    return new StorageFailedError(
      `PostgreSQL (log ${logId})`,
      error instanceof Error ? error.message : String(error),
      true,
    );
  }

  /** A read, its database errors told as storage failures. */
  async function reading<T>(read: () => Promise<T>): Promise<T> {
    checkOpen();
    try {
      return await read();
    } catch (error) {
      throw failed(error);
    }
  }

  /**
   * Within the write's transaction: counts what it stores against the log's quota
   * (refusing the whole batch past it), and announces the log, which PostgreSQL
   * delivers when the transaction commits.
   */
  async function account(client: pg.PoolClient, added: readonly EventRecord[]) {
    if (maxEvents !== Infinity || maxBytes !== Infinity) {
      let bytes = 0;
      for (const r of added) bytes += encodeEvent(r.event).bytes + 1;
      const { rows } = await client.query<{ events: string; bytes: string }>(
        `UPDATE forkline_logs SET events = events + $2, bytes = bytes + $3
          WHERE log_id = $1 RETURNING events, bytes`,
        [logId, added.length, bytes],
      );
      const now = rows[0];
      if (now && Number(now.events) > maxEvents)
        throw new LogQuotaError(logId, 'events', maxEvents);
      if (now && Number(now.bytes) > maxBytes)
        throw new LogQuotaError(logId, 'bytes', maxBytes);
    }
    if (options.announce)
      await client.query('SELECT pg_notify($1, $2)', [
        options.announce.channel,
        `${options.announce.from}\n${logId}`,
      ]);
  }

  /**
   * The log's events matching `where`, in `order`, page by page: a page is at most
   * PAGE rows and about PAGE_BYTES of event text (always at least one event), so a
   * catch-up of any size holds one page in memory. `after` gives the next page's
   * parameters from the last row read.
   */
  async function* paged<R extends EventRow>(
    where: string,
    order: string,
    columns: string,
    first: unknown[],
    after: (last: R) => unknown[],
  ): AsyncIterable<EventRecord> {
    const budget = `$${first.length + 1}`;
    const sql = `SELECT * FROM (
        SELECT ${EVENT_COLUMNS}${columns},
               sum(octet_length(body)) OVER (ORDER BY ${order}) AS running
          FROM forkline_events WHERE ${where} ORDER BY ${order} LIMIT ${PAGE}
      ) page WHERE running - octet_length(body) < ${budget} ORDER BY ${order}`;
    let params = first;
    for (;;) {
      const { rows } = await reading(() =>
        pool.query<R & { running: string }>(sql, [...params, PAGE_BYTES]),
      );
      for (const row of rows) yield recordOf(row);
      const last = rows[rows.length - 1];
      // Done once a page ended short of both bounds.
      if (!last || (rows.length < PAGE && Number(last.running) < PAGE_BYTES))
        return;
      params = after(last);
    }
  }

  return {
    event: (id) => reading(() => readEvent(pool, logId, id)),
    stream: (name) => reading(() => readStream(pool, logId, name)),
    actorSeq: (actor) => reading(() => readActorSeq(pool, logId, actor)),
    replica: () => reading(() => readReplica(pool, logId)),
    write(body) {
      const run = queue.then(() => runWrite(body));
      queue = run.catch(() => undefined);
      return run;
    },
    // Resumed strictly after the last key read: writes landing meanwhile are met
    // once each, in order, or not at all.
    streamEvents: (stream) =>
      paged<EventRow & { hlc: string; id: string }>(
        'log_id = $1 AND stream = $2 AND (hlc, id) > ($3, $4)',
        'hlc, id',
        ', hlc, id',
        [logId, stream, '', ''],
        (last) => [logId, stream, last.hlc, last.id],
      ),
    eventsFrom: (from) =>
      paged<EventRow>(
        'log_id = $1 AND pos >= $2',
        'pos',
        '',
        [logId, Math.max(from, 1)],
        (last) => [logId, Number(last.pos) + 1],
      ),
    actorEvent: (actor, seq) =>
      reading(async () => {
        const { rows } = await pool.query<EventRow>(
          `SELECT ${EVENT_COLUMNS} FROM forkline_events
            WHERE log_id = $1 AND actor = $2 AND seq = $3`,
          [logId, actor, seq],
        );
        return rows[0] && recordOf(rows[0]);
      }),
    versionVector: () =>
      reading(async () => {
        const { rows } = await pool.query<{ actor: string; seq: string }>(
          'SELECT actor, seq FROM forkline_actors WHERE log_id = $1',
          [logId],
        );
        return vectorFrom(rows.map((r) => [r.actor, Number(r.seq)] as const));
      }),
    streamNames: (prefix) =>
      reading(async () => {
        const { rows } = await pool.query<{ stream: string }>(
          `SELECT stream FROM forkline_streams
            WHERE log_id = $1 AND starts_with(stream, $2) ORDER BY stream`,
          [logId, prefix],
        );
        return rows.map((r) => r.stream);
      }),
    storedBy: (id, pos) =>
      reading(async () => {
        const { rows } = await pool.query(
          `SELECT 1 FROM forkline_events
            WHERE log_id = $1 AND id = $2 AND pos <= $3`,
          [logId, id, pos],
        );
        return rows.length > 0;
      }),
    streamEventsSince: (stream, pos) =>
      reading(async () => {
        const { rows } = await pool.query<EventRow>(
          `SELECT ${EVENT_COLUMNS} FROM forkline_events
            WHERE log_id = $1 AND stream = $2 AND pos > $3 ORDER BY pos`,
          [logId, stream, pos],
        );
        return rows.map(recordOf);
      }),
    conflicts: (stream) =>
      reading(async () => {
        const { rows } = await pool.query<ConflictRow>(
          `SELECT stream, hlc, resolved_by, events, fork_point
             FROM forkline_conflicts WHERE log_id = $1 AND stream = $2
            ORDER BY hlc, resolved_by`,
          [logId, stream],
        );
        return rows.map(conflictOf);
      }),
    getSnapshot: (key) =>
      reading(async () => {
        const { rows } = await pool.query<{ record: Buffer }>(
          'SELECT record FROM forkline_snapshots WHERE log_id = $1 AND key = $2',
          [logId, key],
        );
        return rows[0] && (deserialize(rows[0].record) as SnapshotRecord);
      }),
    putSnapshot: (record) =>
      reading(async () => {
        await pool.query(
          `INSERT INTO forkline_snapshots (log_id, key, record) VALUES ($1, $2, $3)
           ON CONFLICT (log_id, key) DO UPDATE SET record = excluded.record`,
          [logId, record.key, serialize(record)],
        );
      }),
    clearSnapshots: () =>
      reading(async () => {
        await pool.query('DELETE FROM forkline_snapshots WHERE log_id = $1', [
          logId,
        ]);
      }),
    async close() {
      closed = true;
      await queue;
    },
  };
}

/**
 * A connection of `pool`, for a transaction. A connection that breaks while checked
 * out (the database restarts) emits an error besides failing its query: heard here,
 * so it fails the query alone and not the process. Released as usual.
 */
export async function checkout(pool: pg.Pool): Promise<pg.PoolClient> {
  const client = await pool.connect();
  const ignore = () => undefined;
  client.on('error', ignore);
  const release = client.release.bind(client);
  client.release = (error?: Error | boolean) => {
    client.off('error', ignore);
    release(error);
  };
  return client;
}

/** Deletes everything kept of log `logId`, in one transaction. */
export async function dropLog(pool: pg.Pool, logId: string): Promise<void> {
  const client = await checkout(pool);
  try {
    await client.query('BEGIN');
    for (const table of [
      'forkline_events',
      'forkline_streams',
      'forkline_actors',
      'forkline_replicas',
      'forkline_conflicts',
      'forkline_snapshots',
      'forkline_logs',
    ])
      await client.query(`DELETE FROM ${table} WHERE log_id = $1`, [logId]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
