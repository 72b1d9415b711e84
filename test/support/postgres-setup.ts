import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrate } from '../../server/pg-migrate.ts';
import { testDatabase } from './postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A PostgreSQL database with forkline's schema applied (test/support/postgres.ts). */
    databaseUrl: string;
  }
}

/**
 * Finds or starts the tests' PostgreSQL once per run and applies the schema. Tests
 * keep apart by log id, which every table is keyed by, so files share it.
 */
export default async function setup(project: TestProject) {
  const database = await testDatabase();
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
  project.provide('databaseUrl', database.url);
  return () => database.stop();
}
