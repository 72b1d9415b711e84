import type pg from 'pg';
import { checkout } from './pg-store.ts';

/**
 * The schema's versions, `migrations/NNNN-name.sql`, applied in order, each once.
 * Read in at build time (Vite's glob import), so the relay carries them wherever it
 * is bundled or run from.
 */
const FILES = import.meta.glob<string>('./migrations/*.sql', {
  query: '?raw',
  import: 'default',
  eager: true,
});

/** Held while migrating: two relays starting at once apply each version once. */
const LOCK = 'forkline:migrations';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The migration files, in version order. */
export function migrations(): Migration[] {
  const out: Migration[] = [];
  for (const [path, sql] of Object.entries(FILES)) {
    const match = /\/(\d{4})-([a-z0-9-]+)\.sql$/.exec(path);
    if (!match) throw new Error(`${path} is not named NNNN-name.sql`);
    out.push({ version: Number(match[1]), name: match[2]!, sql });
  }
  return out.sort((a, b) => a.version - b.version);
}

/**
 * Brings the database's schema up to the newest migration: each version not yet
 * recorded is applied in a transaction of its own, with its record. A session
 * advisory lock makes relays that start together take turns, so the second finds
 * the first's work done. Returns the versions it applied.
 */
export async function migrate(pool: pg.Pool): Promise<number[]> {
  const client = await checkout(pool);
  const applied: number[] = [];
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [LOCK]);
    try {
      await client.query(
        `CREATE TABLE IF NOT EXISTS forkline_migrations (
           version integer PRIMARY KEY,
           name text NOT NULL,
           applied_at timestamptz NOT NULL DEFAULT now()
         )`,
      );
      const { rows } = await client.query<{ version: number }>(
        'SELECT version FROM forkline_migrations',
      );
      const done = new Set(rows.map((r) => r.version));
      for (const m of migrations()) {
        if (done.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query(
            'INSERT INTO forkline_migrations (version, name) VALUES ($1, $2)',
            [m.version, m.name],
          );
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw new Error(
            `migration ${m.version}-${m.name} failed: ${(error as Error).message}`,
            { cause: error },
          );
        }
        applied.push(m.version);
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [LOCK]);
    }
  } finally {
    client.release();
  }
  return applied;
}
