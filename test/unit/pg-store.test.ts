import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  MissingDependencyError,
  openLog,
  type LogEvent,
} from '../../src/index.ts';
import { encodeEvent } from '../../src/sync/messages.ts';
import { LogQuotaError } from '../../server/relay-errors.ts';
import { dropLog, pgStore } from '../../server/pg-store.ts';
import { migrate, migrations } from '../../server/pg-migrate.ts';
import { storeContract } from '../contract/store-contract.ts';
import { snapshotContract } from '../contract/snapshot-contract.ts';
import { collect } from '../support/records.ts';

const pool = new pg.Pool({ connectionString: inject('databaseUrl'), max: 4 });
afterAll(() => pool.end());

const used: string[] = [];
const fresh = () => {
  const logId = `test-${randomBytes(9).toString('base64url')}`;
  used.push(logId);
  return logId;
};
afterAll(async () => {
  for (const logId of used) await dropLog(pool, logId);
});

/** A pool of its own, whose connections record the queries sent on them. */
function watchedPool() {
  const watched = {
    pool: new pg.Pool({ connectionString: inject('databaseUrl'), max: 2 }),
    sent: [] as string[],
    /** Per statement text sent with parameters: the prepared statement names it went by. */
    names: new Map<string, Set<string | undefined>>(),
    mostAtOnce: 0,
  };
  let running = 0;
  watched.pool.on('connect', (client) => {
    const query = client.query.bind(client) as (
      ...args: unknown[]
    ) => Promise<unknown>;
    client.query = (async (...args: unknown[]) => {
      const [first, values] = args as [
        string | { text: string; name?: string; values?: unknown[] },
        unknown[]?,
      ];
      const text = typeof first === 'string' ? first : first.text;
      watched.sent.push(text);
      if (typeof first !== 'string' ? first.values : values) {
        const names = watched.names.get(text) ?? new Set();
        names.add(typeof first === 'string' ? undefined : first.name);
        watched.names.set(text, names);
      }
      watched.mostAtOnce = Math.max(watched.mostAtOnce, ++running);
      try {
        return await query(...args);
      } finally {
        running--;
      }
    }) as typeof client.query;
  });
  return watched;
}

let current = '';
storeContract(
  'PostgreSQL',
  async () => pgStore(pool, (current = fresh())),
  () => dropLog(pool, current),
);
snapshotContract('PostgreSQL', async () => pgStore(pool, fresh()));

describe('the PostgreSQL store', () => {
  it('keeps logs apart: one log id sees nothing of another', async () => {
    const [a, b] = [fresh(), fresh()];
    const one = await openLog({ store: pgStore(pool, a), actor: 'one' });
    const two = await openLog({ store: pgStore(pool, b), actor: 'two' });
    await one.append('doc/x', { type: 't', data: 1 });
    expect(await collect(two.read('doc/x'))).toEqual([]);
    expect(await two.versionVector()).toEqual({});
    await two.append('doc/x', { type: 't', data: 2 });
    expect((await collect(one.read('doc/x'))).map((e) => e.data)).toEqual([1]);
    await Promise.all([one.close(), two.close()]);
  });

  it('lets two logs over one log id (two relay processes) write in turns, each event once', async () => {
    const logId = fresh();
    const [a, b] = await Promise.all([
      openLog({ store: pgStore(pool, logId), actor: 'relay-a' }),
      openLog({ store: pgStore(pool, logId), actor: 'relay-b' }),
    ]);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).append('doc/x', { type: 't', data: i }),
      ),
    );
    const events = await collect(a.read('doc/x'));
    expect(events).toHaveLength(20);
    expect(new Set(events.map((e) => e.id)).size).toBe(20);
    expect((await a.verify()).ok).toBe(true);
    await Promise.all([a.close(), b.close()]);
  });

  it('reads a log back in pages bounded by bytes as well as rows, every event once and in order', async () => {
    const logId = fresh();
    const pages: number[] = [];
    // The pool, counting the rows of each page read.
    const counting = new Proxy(pool, {
      get(target, key) {
        if (key === 'query')
          return async (...args: Parameters<pg.Pool['query']>) => {
            const result = await (
              target.query as (...a: unknown[]) => Promise<pg.QueryResult>
            )(...args);
            const query = args[0] as unknown as string | { text: string };
            const text = typeof query === 'string' ? query : query.text;
            if (text.includes('running')) pages.push(result.rows.length);
            return result;
          };
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const log = await openLog({
      store: pgStore(counting, logId),
      actor: 'big',
    });
    // 24 events of ~300 KB: three or four to a 1 MB page.
    for (let i = 0; i < 24; i++)
      await log.append('doc/x', {
        type: 't',
        data: { i, text: 'x'.repeat(300_000) },
      });
    const read = await collect(log.since({}));
    expect(read.map((e) => (e.data as { i: number }).i)).toEqual(
      Array.from({ length: 24 }, (_, i) => i),
    );
    expect(Math.max(...pages)).toBeLessThanOrEqual(4);
    expect(pages.reduce((a, b) => a + b, 0)).toBe(24);
    const stream = await collect(log.read('doc/x'));
    expect(stream).toHaveLength(24);
    await log.close();
  });

  it("sends an ingest's look-ups one query at a time, one query for every kind at once", async () => {
    const watched = watchedPool();
    try {
      const writer = await openLog({ actor: 'writer' });
      for (let i = 0; i < 30; i++)
        await writer.append(`doc/${i % 3}`, { type: 't', data: i });
      const batch = await collect(writer.since({}));
      // The first 12 written through another relay (pool): this one has none of
      // them in memory, so it asks for them.
      const logId = fresh();
      const other = await openLog({ store: pgStore(pool, logId) });
      await other.ingest(batch.slice(0, 12));
      await other.close();
      const log = await openLog({
        store: pgStore(watched.pool, logId),
        actor: 'relay',
      });
      watched.sent.length = 0;
      expect((await log.ingest(batch)).stored).toBe(18);
      expect(watched.mostAtOnce).toBe(1);
      const reads = watched.sent.filter(
        (sql) => sql.startsWith('SELECT') && sql.includes(' FROM forkline_'),
      );
      // Its actors, streams, parents and the replica at once; then the 12 it may
      // hold already (their seqs are stored), by id.
      expect(reads).toHaveLength(2);
      expect(reads[0]).toMatch(/forkline_actors[\s\S]*forkline_replicas/);
      expect((await log.verify()).ok).toBe(true);
      expect(await collect(log.since({}))).toEqual(batch);
      await Promise.all([log.close(), writer.close()]);
    } finally {
      await watched.pool.end();
    }
  });

  it('finds the conflict a merge resolves without a query per event since its fork point', async () => {
    const watched = watchedPool();
    try {
      // Two writers fork after a common event: one writes 120 events, the other
      // one, then the second merges both sides.
      const ahead = await openLog({ actor: 'ahead' });
      const behind = await openLog({ actor: 'behind' });
      await ahead.append('doc/x', { type: 't', data: 0 });
      await behind.ingest(await collect(ahead.since({})));
      for (let i = 1; i <= 120; i++)
        await ahead.append('doc/x', { type: 't', data: i });
      await behind.append('doc/x', { type: 't', data: 'aside' });
      await behind.ingest(await collect(ahead.since({})));
      const [merge] = await behind.append(
        'doc/x',
        { type: 't', data: 'merge' },
        { expected: await behind.heads('doc/x') },
      );
      const all = await collect(behind.since({}));
      const log = await openLog({
        store: pgStore(watched.pool, fresh()),
        actor: 'relay',
      });
      // As a relay takes them: several batches, the merge alone in the last.
      for (let i = 0; i < all.length - 1; i += 20)
        await log.ingest(all.slice(i, Math.min(i + 20, all.length - 1)));
      watched.sent.length = 0;
      expect((await log.ingest([merge!.event])).stored).toBe(1);
      const reads = watched.sent.filter(
        (sql) => sql.startsWith('SELECT') && sql.includes(' FROM forkline_'),
      );
      // The merge's stream, actor and the replica, in one query; every event of
      // the walk is one this relay committed.
      expect(reads).toHaveLength(1);
      const [conflict] = await log.conflicts('doc/x');
      expect(conflict).toMatchObject({
        state: 'resolved',
        resolvedBy: merge!.event.id,
      });
      expect(conflict!.events).toHaveLength(121);
      await Promise.all([log.close(), ahead.close(), behind.close()]);
    } finally {
      await watched.pool.end();
    }
  });

  it('commits writes that waited together at once, and drops one the engine or the quota refuses alone', async () => {
    const watched = watchedPool();
    const logId = fresh();
    // A quota of 40 events, counted in the log's row as the relay keeps it.
    await pool.query(
      "INSERT INTO forkline_logs (log_id, token_hash) VALUES ($1, '\\x00')",
      [logId],
    );
    try {
      const log = await openLog({
        store: pgStore(watched.pool, logId, {
          limits: { maxEvents: 40, maxBytes: Infinity },
        }),
        actor: 'relay',
      });
      const batches: LogEvent[][] = [];
      for (let w = 0; w < 6; w++) {
        const writer = await openLog({ actor: `writer-${w}` });
        for (let i = 0; i < 8; i++)
          await writer.append(`doc/${w}`, { type: 't', data: i });
        batches.push(await collect(writer.since({})));
        await writer.close();
      }
      // Missing its first event, so its parent: refused by the engine.
      const orphaned = batches[1]!.slice(1);
      const commits = () =>
        watched.sent.filter((sql) => sql === 'COMMIT').length;
      const outcomes = await Promise.allSettled([
        log.ingest(batches[0]!),
        log.ingest(orphaned),
        ...batches.slice(2).map((b) => log.ingest(b)),
        // 8 events past the 40 the others hold: refused, with the others kept.
        log.ingest(batches[1]!),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual([
        'fulfilled',
        'rejected',
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'rejected',
      ]);
      const reasons = outcomes.map(
        (o) => (o as PromiseRejectedResult).reason as unknown,
      );
      expect(reasons[1]).toBeInstanceOf(MissingDependencyError);
      expect(reasons[6]).toBeInstanceOf(LogQuotaError);
      // All seven in one transaction: the six that came while the first's
      // transaction took its connection and the log's lock went with it.
      expect(commits()).toBe(1);
      // The group reads once: every write's look-ups and the log's counts at once.
      const reads = watched.sent.filter(
        (sql) => sql.startsWith('SELECT') && sql.includes(' FROM forkline_'),
      );
      expect(reads).toHaveLength(1);
      expect(reads[0]).toMatch(/forkline_logs/);
      // Every statement with parameters went prepared: planned once a connection,
      // by one name per text (here at least the group's read and its write).
      expect(watched.names.size).toBeGreaterThanOrEqual(2);
      for (const [text, names] of watched.names) {
        expect([...names], text).toHaveLength(1);
        expect([...names][0], text).toMatch(/^forkline_[\w-]{32}$/);
      }
      const held = await collect(log.since({}));
      expect(held).toHaveLength(40);
      expect((await log.verify()).ok).toBe(true);
      const { rows } = await pool.query<{ events: string }>(
        'SELECT events FROM forkline_logs WHERE log_id = $1',
        [logId],
      );
      expect(Number(rows[0]!.events)).toBe(40);
      await log.close();
    } finally {
      await watched.pool.end();
    }
  });

  it('applies its schema once, however many relays migrate at once', async () => {
    expect(migrations().map((m) => `${m.version}-${m.name}`)).toEqual([
      '1-logs',
      '2-log-quota',
      '3-log-writers',
    ]);
    const { rows } = await pool.query<{ version: number }>(
      'SELECT version FROM forkline_migrations ORDER BY version',
    );
    expect(rows.map((r) => r.version)).toEqual([1, 2, 3]);
    expect((await Promise.all([migrate(pool), migrate(pool)])).flat()).toEqual(
      [],
    );
  });

  it('finds where a peer stands by one look-up per writer, whatever plans its connection made while the tables were empty', async () => {
    // Tables of its own, empty as a new deployment's: a schema for this test alone.
    const schema = `plans_${randomBytes(6).toString('hex')}`;
    await pool.query(`CREATE SCHEMA ${schema}`);
    // One connection, so every query below goes through the same plan cache.
    const own = new pg.Pool({
      connectionString: inject('databaseUrl'),
      max: 1,
      options: `-c search_path=${schema}`,
    });
    try {
      await migrate(own);
      const logId = 'grown';
      const store = pgStore(own, logId);
      // While the tables are empty, a statement the connection has prepared gets a
      // plan for empty tables, which PostgreSQL keeps for it after five runs.
      for (let i = 0; i < 8; i++) {
        expect(await store.firstLacking!({ 'writer-0': 3 })).toBeUndefined();
        expect(await collect(store.eventsFrom(i + 1))).toEqual([]);
      }
      // The log then grows: WRITERS writers of EACH events, each row holding one
      // event's text (the reads below parse it; nothing here verifies it).
      const [WRITERS, EACH] = [200, 50];
      const writer = await openLog({ actor: 'writer-0' });
      const { event } = (
        await writer.append('doc/x', { type: 't', data: 0 })
      )[0]!;
      await writer.close();
      await own.query(
        `INSERT INTO forkline_actors (log_id, actor, seq)
           SELECT $1, 'writer-' || w, $2 FROM generate_series(0, $3 - 1) w`,
        [logId, EACH, WRITERS],
      );
      await own.query(
        `INSERT INTO forkline_events
           (log_id, pos, id, stream, actor, seq, hlc, recorded_at, gen, body)
         SELECT $1, w * $2 + s, 'e-' || w || '-' || s, 'doc/x', 'writer-' || w, s,
                lpad((w * $2 + s)::text, 16, '0'), 0, 0, $4
           FROM generate_series(0, $3 - 1) w, generate_series(1, $2) s`,
        [logId, EACH, WRITERS, encodeEvent(event).text],
      );
      /** Rows of the events table read so far by this connection's queries. */
      const rowsRead = async () => {
        // Its counts reach the shared statistics once the connection is idle.
        await own.query('SELECT pg_stat_force_next_flush()');
        const { rows } = await own.query<{ n: string }>(
          `SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) AS n
             FROM pg_stat_user_tables
            WHERE schemaname = $1 AND relname = 'forkline_events'`,
          [schema],
        );
        return Number(rows[0]!.n);
      };
      let before = await rowsRead();
      // A peer holding writer-0's events lacks every other writer's first one.
      expect(await store.firstLacking!({ 'writer-0': EACH })).toBe(EACH + 1);
      // One event per writer it lacks (and a little slack), not every event of each.
      expect((await rowsRead()) - before).toBeLessThanOrEqual(2 * WRITERS);
      // The log's last events, as a relay reads on after another one stored them.
      const end = WRITERS * EACH;
      before = await rowsRead();
      const last = await collect(store.eventsFrom(end - 9));
      expect(last.map((r) => r.pos)).toEqual(
        Array.from({ length: 10 }, (_, i) => end - 9 + i),
      );
      expect((await rowsRead()) - before).toBeLessThanOrEqual(20);
      await store.close();
    } finally {
      await own.end();
      await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    }
  });

  it('keeps nothing of a group whose write the database refuses, and writes on after', async () => {
    const logId = fresh();
    const log = await openLog({ store: pgStore(pool, logId), actor: 'relay' });
    await log.append('doc/x', { type: 't', data: 1 });
    // A row at the position the next write takes: its INSERT fails.
    await pool.query(
      `INSERT INTO forkline_events
         (log_id, pos, id, stream, actor, seq, hlc, recorded_at, gen, body)
       VALUES ($1, 2, 'squatter', 'doc/y', 'nobody', 1, '', 0, 0, '{}')`,
      [logId],
    );
    await expect(log.append('doc/x', { type: 't', data: 2 })).rejects.toThrow(
      /PostgreSQL \(log test-/,
    );
    await pool.query(
      `DELETE FROM forkline_events WHERE log_id = $1 AND id = 'squatter'`,
      [logId],
    );
    // The refused write left no stream head, actor seq or count behind.
    expect((await collect(log.read('doc/x'))).map((e) => e.data)).toEqual([1]);
    await log.append('doc/x', { type: 't', data: 3 });
    expect((await collect(log.read('doc/x'))).map((e) => e.data)).toEqual([
      1, 3,
    ]);
    expect((await log.verify()).ok).toBe(true);
    await log.close();
  });
  it('stores names and data that read as SQL, quotes and backslashes exactly as written', async () => {
    const logId = fresh();
    // Each must come back as it was, and nothing may run: a guard for whatever
    // way the write's values reach the database (parameters today).
    const hostile = [
      "'); DROP TABLE forkline_events; --",
      "E'\\x00' || '",
      '\\',
      "\\'",
      "''\\\\''",
      '$1 $$ $tag$',
      ';\nCOMMIT;\nBEGIN',
      '"{}",NULL,"\\"',
      'ARRAY[1]::text[]',
      'é 🜁 \u2028',
    ];
    const writer = await openLog({ actor: "o'hara\\writer" });
    for (const [i, text] of hostile.entries())
      // A name holds no control character (the log refuses them): data may.
      await writer.append(`doc/${text.replaceAll('\n', ' ')}`, {
        type: `t'${i}\\`,
        data: { text, nul: 'a\u0000b', [text]: [text] },
      });
    const events = await collect(writer.since({}));
    const log = await openLog({ store: pgStore(pool, logId), actor: 'relay' });
    expect((await log.ingest(events)).stored).toBe(hostile.length);
    const back = await collect(log.since({}));
    expect(back).toEqual(events);
    expect((await log.verify()).ok).toBe(true);
    const { rows } = await pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM forkline_events WHERE log_id = $1',
      [logId],
    );
    expect(Number(rows[0]!.n)).toBe(hostile.length);
    await Promise.all([log.close(), writer.close()]);
  });
});
