import pg from 'pg';
import { afterAll, inject } from 'vitest';
import { dropLog } from '../../server/pg-store.ts';

/**
 * The tests' PostgreSQL database for one test file: its URL, a pool, and the ids of
 * the logs the file makes, each dropped (and the pool ended) once the file is done.
 */
export function databaseLogs(max = 2): {
  database: string;
  pool: pg.Pool;
  logs: string[];
} {
  const database = inject('databaseUrl');
  const pool = new pg.Pool({ connectionString: database, max });
  const logs: string[] = [];
  afterAll(async () => {
    for (const logId of logs) await dropLog(pool, logId);
    await pool.end();
  });
  return { database, pool, logs };
}
