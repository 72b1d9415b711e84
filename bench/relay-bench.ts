import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { dropLog, LOG_TABLES } from '../server/pg-store.ts';
import { removeRelayBundle } from '../test/support/child-relay.ts';
import { testDatabase } from '../test/support/postgres.ts';

/** What a relay scenario runs in. */
export interface RelayBench {
  /** A data directory for relays over files. */
  dir: string;
  /** The tests' database (FORKLINE_TEST_DATABASE, 127.0.0.1:5432 or a throwaway cluster). */
  databaseUrl: string;
  pool: pg.Pool;
  /** Logs made in the database: dropped at the end. */
  made: string[];
}

/**
 * Vacuums the relay's tables that exist, in full: compacted, as a database that
 * keeps its logs would be. Every run deletes what it made, and where autovacuum is
 * off (as on the machines these benches were written on) the dead rows stay: a day
 * of runs left 4.8 million of them and 5 GB in forkline_events, and each run was
 * slower than the last. A plain VACUUM kept the tables' pages: 236 MB of them for
 * no live row, and the 2000-logs p50 at 2.7-3.4 s against 5-9 ms compacted (its
 * writes land on many more pages, each written whole to the WAL after a checkpoint).
 */
async function vacuum(pool: pg.Pool): Promise<void> {
  const { rows } = await pool.query<{ name: string }>(
    'SELECT t AS name FROM unnest($1::text[]) AS t WHERE to_regclass(t) IS NOT NULL',
    [LOG_TABLES],
  );
  if (rows.length > 0)
    await pool.query(
      `VACUUM (FULL, ANALYZE) ${rows.map((r) => r.name).join(', ')}`,
    );
}

/**
 * Runs a relay scenario's `body` with a data directory and the tests' database, its
 * tables vacuumed, and then removes what it made there (vacuumed again), the
 * directory and the relay bundle.
 */
export async function inRelayBench<T>(
  name: string,
  body: (bench: RelayBench) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), `forkline-${name}-`));
  const database = await testDatabase();
  const pool = new pg.Pool({ connectionString: database.url, max: 4 });
  const bench: RelayBench = { dir, databaseUrl: database.url, pool, made: [] };
  try {
    await vacuum(pool);
    return await body(bench);
  } finally {
    for (const logId of bench.made) await dropLog(pool, logId);
    await vacuum(pool);
    await pool.end();
    database.stop();
    await removeRelayBundle();
    await rm(dir, { recursive: true, force: true });
  }
}
