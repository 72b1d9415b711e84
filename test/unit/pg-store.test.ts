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
            if (String(args[0]).includes('running'))
              pages.push(result.rows.length);
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
