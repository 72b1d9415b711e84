import { createHash } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import type pg from 'pg';
import { ZERO_HLC } from '../src/log/hlc.ts';
import { fromCloudEvent } from '../src/log/jsonl.ts';
import { BufferedTransaction } from '../src/log/buffered-transaction.ts';
import { recordCacheOf, type RecordCache } from './record-cache.ts';
import { LogClosedError } from '../src/log/errors.ts';
import { groupCommit, type RunWrites } from '../src/log/group-commit.ts';
import type {
  ConflictRecord,
  EventRecord,
  ReadAhead,
  ReplicaRecord,
  SnapshotRecord,
  Store,
  StoreReader,
  StreamRecord,
} from '../src/log/store.ts';
import type { EventId } from '../src/log/types.ts';
import { vectorFrom } from '../src/log/version-vector.ts';
import { encodeEvent } from '../src/sync/messages.ts';
import type { FileLogLimits } from './file-log.ts';
import { admitting, quotaBytes } from './log-quota.ts';
import { StorageFailedError } from './relay-errors.ts';
import { ForklineError } from '../src/log/errors.ts';

export interface PgStoreOptions {
  /** Most events and bytes (of their CloudEvent text) the log may hold: a relay's quota. */
  limits?: FileLogLimits;
  /** The events each write stored here, once committed (groupCommit's `committed`). */
  stored?(records: readonly EventRecord[]): void;
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

/** Told of each record read, with its text's length: a log's `RecordCache`. */
type Seen = (record: EventRecord, bytes: number) => void;

/** A stored row as the record it was: its CloudEvent text read back. */
function recordOf(row: EventRow, seen?: Seen): EventRecord {
  const record = {
    event: fromCloudEvent(JSON.parse(row.body)),
    pos: Number(row.pos),
    recordedAt: Number(row.recorded_at),
    gen: Number(row.gen),
  };
  seen?.(record, row.body.length);
  return record;
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

/** Statement names by text: a few dozen texts (the parts a write or look-up has). */
const statementNames = new Map<string, string>();

/**
 * `text` as a named prepared statement: each connection has PostgreSQL parse and
 * plan it once, then only binds and runs it. A write's statements are large (array
 * INSERTs chained as CTEs) and a relay of many logs runs thousands a second, each
 * log's writes their own transaction; planning them every time was measured to
 * cost a relay of 2,000 busy logs about half its p50 (docs/scaling.md). The texts
 * are made of fixed parts and placeholders only, so they are few; the name is a
 * digest of the text, so every connection and every relay agrees on it.
 *
 * Only for statements that any plan runs through a key's index (look-ups by key,
 * writes, a read on from a position): the plan a connection keeps is made for the
 * tables as they were then, empty in a new database. A join whose cost depends on
 * the plan goes unnamed, planned at each call (`firstLacking`).
 */
function prepared(text: string, values: unknown[]): pg.QueryConfig {
  let name = statementNames.get(text);
  if (name === undefined) {
    // Bounded all the same: a text that somehow varied would not grow this forever.
    if (statementNames.size >= 1024) statementNames.clear();
    name = `forkline_${createHash('sha256').update(text).digest('base64url').slice(0, 32)}`;
    statementNames.set(text, name);
  }
  return { name, text, values };
}

/** The records of `ids` that the log holds, by id: one query however many. */
async function readEvents(
  db: Queryable,
  logId: string,
  ids: readonly EventId[],
  seen?: Seen,
): Promise<Map<string, EventRecord>> {
  const { rows } = await db.query<EventRow & { id: string }>(
    prepared(
      `SELECT id, ${EVENT_COLUMNS} FROM forkline_events
      WHERE log_id = $1 AND id = ANY($2::text[])`,
      [logId, ids],
    ),
  );
  return new Map(rows.map((row) => [row.id, recordOf(row, seen)]));
}

async function readStreams(
  db: Queryable,
  logId: string,
  streams: readonly string[],
): Promise<Map<string, StreamRecord>> {
  const { rows } = await db.query<{
    stream: string;
    heads: string[];
    size: string;
  }>(
    prepared(
      `SELECT stream, heads, size FROM forkline_streams
        WHERE log_id = $1 AND stream = ANY($2::text[])`,
      [logId, streams],
    ),
  );
  return new Map(
    rows.map((r) => [
      r.stream,
      { stream: r.stream, heads: r.heads, size: Number(r.size) },
    ]),
  );
}

async function readActorSeqs(
  db: Queryable,
  logId: string,
  actors: readonly string[],
): Promise<Map<string, number>> {
  const { rows } = await db.query<{ actor: string; seq: string }>(
    prepared(
      `SELECT actor, seq FROM forkline_actors
      WHERE log_id = $1 AND actor = ANY($2::text[])`,
      [logId, actors],
    ),
  );
  return new Map(rows.map((r) => [r.actor, Number(r.seq)]));
}

/** One key's look-up through a by-keys read. */
const one =
  <V>(
    read: (
      db: Queryable,
      logId: string,
      keys: string[],
    ) => Promise<Map<string, V>>,
  ) =>
  async (db: Queryable, logId: string, key: string): Promise<V | undefined> =>
    (await read(db, logId, [key])).get(key);
const readStream = one(readStreams);
const readActorSeq = one(readActorSeqs);

interface ReplicaRow {
  hlc: string;
  last_pos: string;
  actor: string | null;
  conflict_index: number | null;
}

const replicaOf = (row: ReplicaRow | undefined): ReplicaRecord =>
  row
    ? {
        hlc: row.hlc,
        lastPos: Number(row.last_pos),
        ...(row.actor !== null ? { actor: row.actor } : {}),
        ...(row.conflict_index !== null
          ? { conflictIndex: row.conflict_index }
          : {}),
      }
    : { hlc: ZERO_HLC, lastPos: 0 };

async function readReplica(
  db: Queryable,
  logId: string,
): Promise<ReplicaRecord> {
  const { rows } = await db.query<ReplicaRow>(
    prepared(
      'SELECT hlc, last_pos, actor, conflict_index FROM forkline_replicas WHERE log_id = $1',
      [logId],
    ),
  );
  return replicaOf(rows[0]);
}

/** The columns of readState's rows; each kind fills its own. */
const STATE_COLUMNS = {
  key: 'text',
  n: 'bigint',
  bytes: 'bigint',
  body: 'text',
  recorded_at: 'bigint',
  gen: 'bigint',
  heads: 'text[]',
  hlc: 'text',
  actor: 'text',
  conflict_index: 'integer',
} as const;

type StateRow = { key: string; n: string; bytes: string } & EventRow &
  ReplicaRow & { heads: string[] };

/**
 * What a write asks of the stored state, by tagged key: `e` + an event id, `s` + a
 * stream, `a` + an actor, `r` for the replica, `q` for the log's counts (its quota). One query (a UNION ALL of each kind's
 * look-up) however many keys of however many kinds: a round trip each would be
 * most of a write's time.
 */
async function readState(
  db: Queryable,
  logId: string,
  tagged: readonly string[],
  seen?: Seen,
): Promise<Map<string, unknown>> {
  const params: unknown[] = [logId];
  const p = (value: unknown) => `$${params.push(value)}`;
  const keysOf = (tag: string) =>
    tagged.filter((k) => k[0] === tag).map((k) => k.slice(1));
  const selects: string[] = [];
  /** One kind's look-up, every column typed: the kinds may come in any order. */
  const select = (
    columns: Partial<Record<keyof typeof STATE_COLUMNS, string>>,
    from: string,
  ) =>
    selects.push(
      `SELECT ${Object.entries(STATE_COLUMNS)
        .map(
          ([name, type]) =>
            `${columns[name as keyof typeof STATE_COLUMNS] ?? 'NULL'}::${type} AS ${name}`,
        )
        .join(', ')} FROM ${from}`,
    );
  const [ids, streams, actors] = [keysOf('e'), keysOf('s'), keysOf('a')];
  if (ids.length > 0)
    select(
      {
        key: "'e' || id",
        n: 'pos',
        body: 'body',
        recorded_at: 'recorded_at',
        gen: 'gen',
      },
      `forkline_events WHERE log_id = $1 AND id = ANY(${p(ids)}::text[])`,
    );
  if (streams.length > 0)
    select(
      { key: "'s' || stream", n: 'size', heads: 'heads' },
      `forkline_streams WHERE log_id = $1 AND stream = ANY(${p(streams)}::text[])`,
    );
  if (actors.length > 0)
    select(
      { key: "'a' || actor", n: 'seq' },
      `forkline_actors WHERE log_id = $1 AND actor = ANY(${p(actors)}::text[])`,
    );
  if (tagged.includes('r'))
    select(
      {
        key: "'r'",
        n: 'last_pos',
        hlc: 'hlc',
        actor: 'actor',
        conflict_index: 'conflict_index',
      },
      'forkline_replicas WHERE log_id = $1',
    );
  if (tagged.includes('q'))
    select(
      { key: "'q'", n: 'events', bytes: 'bytes' },
      'forkline_logs WHERE log_id = $1',
    );
  const { rows } = await db.query<StateRow>(
    prepared(selects.join('\nUNION ALL\n'), params),
  );
  const found = new Map<string, unknown>();
  for (const row of rows) {
    const key = row.key;
    if (key[0] === 'e') found.set(key, recordOf({ ...row, pos: row.n }, seen));
    else if (key[0] === 's')
      found.set(key, {
        stream: key.slice(1),
        heads: row.heads,
        size: Number(row.n),
      });
    else if (key[0] === 'a') found.set(key, Number(row.n));
    else if (key[0] === 'q')
      found.set(key, { events: Number(row.n), bytes: Number(row.bytes) });
    else found.set(key, replicaOf({ ...row, last_pos: row.n }));
  }
  if (tagged.includes('r') && !found.has('r'))
    found.set('r', replicaOf(undefined));
  return found;
}

/**
 * Look-ups asked for while the connection is busy, sent as one query when it is
 * free. The engine asks for a batch's events, streams, actors and replica all at
 * once, and a connection runs one query at a time: ten look-ups are one round trip.
 */
function coalesced<V>(
  line: QueryLine,
  read: (keys: string[]) => Promise<Map<string, V>>,
): (key: string) => Promise<V | undefined> {
  let open: { keys: Set<string>; read: Promise<Map<string, V>> } | undefined;
  return async (key) => {
    if (!open) {
      const keys = new Set<string>();
      const batch = {
        keys,
        read: line.run(() => {
          // Sent: later look-ups wait for the next query.
          if (open === batch) open = undefined;
          return read([...keys]);
        }),
      };
      open = batch;
    }
    open.keys.add(key);
    return (await open.read).get(key);
  };
}

/** A connection's queries, one after another, in the order asked. */
class QueryLine {
  private tail: Promise<unknown> = Promise.resolve();
  constructor(readonly client: pg.PoolClient) {}

  private failure: { error: unknown } | undefined;

  /** Runs `query` (which uses `client`) once every query asked before it has ended. */
  run<T>(query: () => Promise<T>): Promise<T> {
    const result = this.tail.then(query);
    this.tail = result.catch((error: unknown) => {
      // The transaction is aborted now: whatever is asked after fails as well.
      this.failure ??= { error };
    });
    return result;
  }

  /** Whether a query on this line failed: the transaction is lost. */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** @throws the first error of a query on this line */
  check(): void {
    if (this.failure) throw this.failure.error;
  }

  /** A statement with parameters goes as a prepared one (`prepared`). */
  query<R extends pg.QueryResultRow>(sql: string, params?: unknown[]) {
    return this.run(() =>
      params
        ? this.client.query<R>(prepared(sql, params))
        : this.client.query<R>(sql),
    );
  }
}

/** Memoised: each key's look-up made once. */
function once<V>(
  load: (key: string) => Promise<V>,
): (key: string) => Promise<V> {
  const made = new Map<string, Promise<V>>();
  return (key) => {
    let value = made.get(key);
    if (!value) made.set(key, (value = load(key)));
    return value;
  };
}

/**
 * What a group of writes reads of the database, which nothing changes while the
 * group holds the log's lock: each key once, and look-ups asked for together (of
 * any kinds) as one query.
 */
class StoredState implements StoreReader {
  private readonly lookUp: (key: string) => Promise<unknown>;

  constructor(
    line: QueryLine,
    private readonly logId: string,
    private readonly cache: RecordCache,
    /** Keeps what the look-ups find in `cache`. */
    seen: Seen,
  ) {
    this.lookUp = once(
      coalesced(line, (keys) => readState(line.client, logId, keys, seen)),
    );
  }

  async event(id: EventId) {
    return (
      this.cache.get(this.logId, id) ??
      ((await this.lookUp(`e${id}`)) as EventRecord | undefined)
    );
  }
  eventInMemory(id: EventId) {
    return this.cache.get(this.logId, id);
  }
  async stream(name: string) {
    return (await this.lookUp(`s${name}`)) as StreamRecord | undefined;
  }
  async actorSeq(actor: string) {
    return ((await this.lookUp(`a${actor}`)) as number | undefined) ?? 0;
  }

  async replica() {
    return (await this.lookUp('r')) as ReplicaRecord;
  }
  /** The log's counts of events and bytes, for its quota; undefined with no row. */
  async counts() {
    return (await this.lookUp('q')) as
      { events: number; bytes: number } | undefined;
  }

  /**
   * Asks now for what writes said they will look up, the replica (every write
   * reads it) and, with a quota, the counts: asked together, they go as one query,
   * and each write then finds them known. A failed read fails the transaction (its
   * line says so).
   */
  fetchAhead(ahead: readonly ReadAhead[], counts: boolean): void {
    const keys = new Set<string>(counts ? ['r', 'q'] : ['r']);
    for (const { events = [], streams = [], actors = [] } of ahead) {
      for (const id of events)
        if (!this.cache.get(this.logId, id)) keys.add(`e${id}`);
      for (const name of streams) keys.add(`s${name}`);
      for (const actor of actors) keys.add(`a${actor}`);
    }
    for (const key of keys) this.lookUp(key).catch(() => undefined);
  }
}

/**
 * Every write held, as one statement: array INSERTs chained as data-modifying CTEs,
 * and the log's counts (for its quota) raised by what it adds. One round trip for a
 * group of any size; the caller commits. No NOTIFY here: PostgreSQL serializes the
 * commits of every transaction that notifies, across the whole database, through
 * their WAL flush (a lock taken at commit), so writes to different logs would take
 * turns. Whoever wants others told of a write tells them once it is committed
 * (`stored`).
 */
async function sendWrites(
  line: QueryLine,
  logId: string,
  held: BufferedTransaction,
): Promise<void> {
  const params: unknown[] = [logId];
  /** A placeholder for `value`. */
  const p = (value: unknown) => `$${params.push(value)}`;
  const parts: string[] = [];
  const { events } = held;
  for (let i = 0; i < events.length; i += INSERT_ROWS) {
    const rows = events.slice(i, i + INSERT_ROWS);
    parts.push(`INSERT INTO forkline_events
        (log_id, pos, id, stream, actor, seq, hlc, recorded_at, gen, body)
      SELECT $1, * FROM unnest(
        ${p(rows.map((r) => r.pos))}::bigint[],
        ${p(rows.map((r) => r.event.id))}::text[],
        ${p(rows.map((r) => r.event.stream))}::text[],
        ${p(rows.map((r) => r.event.actor))}::text[],
        ${p(rows.map((r) => r.event.seq))}::bigint[],
        ${p(rows.map((r) => r.event.hlc))}::text[],
        ${p(rows.map((r) => r.recordedAt))}::bigint[],
        ${p(rows.map((r) => r.gen))}::bigint[],
        ${
          // The text every client of the log is then sent: encoded once.
          p(rows.map((r) => encodeEvent(r.event).text))
        }::text[])`);
  }
  if (held.streams.size > 0) {
    const rows = [...held.streams.values()];
    parts.push(`INSERT INTO forkline_streams (log_id, stream, heads, size)
      SELECT $1, s, string_to_array(h, ' '), n
        FROM unnest(${p(rows.map((r) => r.stream))}::text[],
          ${
            // Ids hold no space (base64url): heads as one string each.
            p(rows.map((r) => r.heads.join(' ')))
          }::text[],
          ${p(rows.map((r) => r.size))}::bigint[]) AS t(s, h, n)
      ON CONFLICT (log_id, stream) DO UPDATE
        SET heads = excluded.heads, size = excluded.size`);
  }
  if (held.seqs.size > 0) {
    parts.push(`INSERT INTO forkline_actors (log_id, actor, seq)
      SELECT $1, * FROM unnest(${p([...held.seqs.keys()])}::text[],
        ${p([...held.seqs.values()])}::bigint[])
      ON CONFLICT (log_id, actor) DO UPDATE SET seq = excluded.seq`);
  }
  if (held.conflicts.length > 0) {
    // One row each: a statement may not update a row twice.
    const rows = [
      ...new Map(
        held.conflicts.map((r) => [
          `${r.stream}\n${r.hlc}\n${r.resolvedBy}`,
          r,
        ]),
      ).values(),
    ];
    parts.push(`INSERT INTO forkline_conflicts
        (log_id, stream, hlc, resolved_by, events, fork_point)
      SELECT $1, s, h, r, string_to_array(e, ' '), string_to_array(f, ' ')
        FROM unnest(${p(rows.map((r) => r.stream))}::text[],
          ${p(rows.map((r) => r.hlc))}::text[],
          ${p(rows.map((r) => r.resolvedBy))}::text[],
          ${p(rows.map((r) => r.events.join(' ')))}::text[],
          ${p(rows.map((r) => r.forkPoint.join(' ')))}::text[])
          AS t(s, h, r, e, f)
      ON CONFLICT (log_id, stream, hlc, resolved_by) DO UPDATE
        SET events = excluded.events, fork_point = excluded.fork_point`);
  }
  const replica = held.replicaRecord;
  if (replica) {
    parts.push(`INSERT INTO forkline_replicas
        (log_id, hlc, last_pos, actor, conflict_index)
      VALUES ($1, ${p(replica.hlc)}, ${p(replica.lastPos)},
        ${p(replica.actor ?? null)}, ${p(replica.conflictIndex ?? null)}::integer)
      ON CONFLICT (log_id) DO UPDATE SET hlc = excluded.hlc,
        last_pos = excluded.last_pos, actor = excluded.actor,
        conflict_index = excluded.conflict_index`);
  }
  if (events.length > 0) {
    parts.push(`UPDATE forkline_logs
      SET events = events + ${p(events.length)}, bytes = bytes + ${p(quotaBytes(events))}
      WHERE log_id = $1`);
  }
  if (parts.length === 0) return;
  await line.query(
    `WITH ${parts.map((sql, i) => `w${i} AS (${sql})`).join(',\n')}\nSELECT 1`,
    params,
  );
}

/**
 * The advisory lock key of a log's writes: the first 8 bytes of SHA-256 of its id,
 * as a signed 64-bit integer in decimal. Every relay computes the same key.
 */
export function logLockKey(logId: string): string {
  return createHash('sha256')
    .update(`forkline:log:${logId}`, 'utf8')
    .digest()
    .readBigInt64BE(0)
    .toString();
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
  const lockKey = logLockKey(logId);
  const cache = recordCacheOf(pool);
  const seen: Seen = (record, bytes) => cache.put(logId, record, bytes);
  const maxEvents = options.limits?.maxEvents ?? Infinity;
  const maxBytes = options.limits?.maxBytes ?? Infinity;
  const limited = maxEvents !== Infinity || maxBytes !== Infinity;
  let closed = false;
  const checkOpen = () => {
    if (closed) throw new LogClosedError();
  };

  /**
   * Writes that waited together (see groupCommit) as one transaction holding the
   * log's lock: sent as a few array INSERTs and committed once.
   */
  async function transact(
    runWrites: RunWrites,
    ahead: () => ReadAhead[],
  ): Promise<void> {
    const client = await checkout(pool);
    // Every query of the group, the engine's parallel look-ups too, one at a time.
    const line = new QueryLine(client);
    // A connection that could not even roll back is broken: the pool drops it.
    let broken = false;
    try {
      // One round trip: the simple protocol takes two statements at once, and the
      // key is a number of ours, never the client's text.
      await line.query(`BEGIN; SELECT pg_advisory_xact_lock(${lockKey})`);
      const stored = new StoredState(line, logId, cache, seen);
      // Every write's first look-ups, and the counts a quota needs, in one query.
      // The group is taken now, with the lock: writes that came while this
      // transaction waited for it go in too.
      stored.fetchAhead(ahead(), limited);
      const held = new BufferedTransaction(stored);
      const counts = limited ? await stored.counts() : undefined;
      const quota = counts && admitting(counts, { maxEvents, maxBytes }, logId);
      await runWrites(held, quota);
      // A query that failed aborted the transaction, whatever the writes made of it.
      line.check();
      await sendWrites(line, logId, held);
      // A COMMIT that fails with the connection may have committed: the client is
      // told nothing was kept, sends the batch again, and ingest skips what is stored.
      await line.query('COMMIT');
      for (const record of held.events)
        cache.put(logId, record, encodeEvent(record.event).text.length);
    } catch (error) {
      await line.query('ROLLBACK').catch(() => (broken = true));
      throw error;
    } finally {
      client.release(broken);
    }
  }
  const writes = groupCommit(transact, {
    // As the file store: a log's writers take its lock in turn across relays, and a
    // group of 256 pays the lock, the look-ups and the commit once for them all.
    // 400 clients flooding one log over two relays, ten runs each, interleaved:
    // median 5,770 events/s (4,999-6,392) against 4,889 (4,326-5,977) with 64;
    // latency no worse (median p50 131 against 144 ms, p99 293 against 337).
    maxWrites: 256,
    failure: failed,
    ...(options.stored ? { committed: options.stored } : {}),
  });

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
        pool.query<R & { running: string }>(
          prepared(sql, [...params, PAGE_BYTES]),
        ),
      );
      // Each record made as it is taken: a page's rows alone are held, as text. Not
      // kept in the record cache: a catch-up would push out every recent record.
      for (const row of rows) yield recordOf(row);
      const last = rows[rows.length - 1];
      // Done once a page ended short of both bounds.
      if (!last || (rows.length < PAGE && Number(last.running) < PAGE_BYTES))
        return;
      params = after(last);
    }
  }

  return {
    event: async (id) =>
      cache.get(logId, id) ??
      reading(async () => (await readEvents(pool, logId, [id], seen)).get(id)),
    eventInMemory: (id) => cache.get(logId, id),
    stream: (name) => reading(() => readStream(pool, logId, name)),
    actorSeq: (actor) =>
      reading(async () => (await readActorSeq(pool, logId, actor)) ?? 0),
    replica: () => reading(() => readReplica(pool, logId)),
    write(body, ahead) {
      checkOpen();
      return writes.write(body, ahead);
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
        return rows[0] && recordOf(rows[0], seen);
      }),
    // One query, not a look-up per writer: a client new to a log of 400 writers
    // would otherwise cost 400 round trips. Each writer's event is one look-up of
    // (log, actor, seq): the LATERAL subquery (its LIMIT keeps the planner from
    // folding it into a join) is run per writer with all three known. Planned at
    // each call (an unnamed statement, not `prepared`): a plan that PostgreSQL keeps
    // for a connection is made for the tables as they were then, and one made while
    // they were empty (a new database) scanned every event of each writer for every
    // client's hello once they had grown: with 400 clients connecting at once, that
    // held a relay's every connection for seconds.
    firstLacking: (vector) =>
      reading(async () => {
        const entries = Object.entries(vector);
        const { rows } = await pool.query<{ pos: string | null }>(
          `SELECT min(e.pos) AS pos
             FROM forkline_actors a
             LEFT JOIN unnest($2::text[], $3::bigint[]) AS v(actor, seq)
               ON v.actor = a.actor
             CROSS JOIN LATERAL (
               SELECT pos FROM forkline_events
                WHERE log_id = a.log_id AND actor = a.actor
                  AND seq = coalesce(v.seq, 0) + 1
                LIMIT 1
             ) e
            WHERE a.log_id = $1 AND a.seq > coalesce(v.seq, 0)`,
          [logId, entries.map(([actor]) => actor), entries.map(([, n]) => n)],
        );
        const pos = rows[0]?.pos;
        return pos === null || pos === undefined ? undefined : Number(pos);
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
    storedBy: async (id, pos) => {
      const known = cache.get(logId, id);
      if (known) return known.pos <= pos;
      return reading(async () => {
        const { rows } = await pool.query(
          `SELECT 1 FROM forkline_events
            WHERE log_id = $1 AND id = $2 AND pos <= $3`,
          [logId, id, pos],
        );
        return rows.length > 0;
      });
    },
    streamEventsSince: (stream, pos) =>
      reading(async () => {
        const { rows } = await pool.query<EventRow>(
          `SELECT ${EVENT_COLUMNS} FROM forkline_events
            WHERE log_id = $1 AND stream = $2 AND pos > $3 ORDER BY pos`,
          [logId, stream, pos],
        );
        return rows.map((row) => recordOf(row, seen));
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
    deleteSnapshot: (key) =>
      reading(async () => {
        await pool.query(
          'DELETE FROM forkline_snapshots WHERE log_id = $1 AND key = $2',
          [logId, key],
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
      await writes.idle();
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

/** Every table that holds a log's rows (server/migrations), the log's own row last. */
export const LOG_TABLES = [
  'forkline_events',
  'forkline_streams',
  'forkline_actors',
  'forkline_replicas',
  'forkline_conflicts',
  'forkline_snapshots',
  'forkline_writers',
  'forkline_logs',
] as const;

/** Deletes everything kept of log `logId`, in one transaction. */
export async function dropLog(pool: pg.Pool, logId: string): Promise<void> {
  const client = await checkout(pool);
  try {
    await client.query('BEGIN');
    for (const table of LOG_TABLES)
      await client.query(`DELETE FROM ${table} WHERE log_id = $1`, [logId]);
    await client.query('COMMIT');
    recordCacheOf(pool).clear();
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
