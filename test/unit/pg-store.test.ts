import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { openLog } from '../../src/index.ts';
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

  it('applies its schema once, however many relays migrate at once', async () => {
    expect(migrations().map((m) => `${m.version}-${m.name}`)).toEqual([
      '1-logs',
      '2-log-quota',
    ]);
    const { rows } = await pool.query<{ version: number }>(
      'SELECT version FROM forkline_migrations ORDER BY version',
    );
    expect(rows.map((r) => r.version)).toEqual([1, 2]);
    expect((await Promise.all([migrate(pool), migrate(pool)])).flat()).toEqual(
      [],
    );
  });
});
