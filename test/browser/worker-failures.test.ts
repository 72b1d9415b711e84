import { proxy } from 'comlink';
import { openDB } from 'idb';
import { afterEach, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../worker/idb-schema.ts';
import { openIdbStore } from '../../worker/idb-store.ts';
import { StoreClosedError } from '../../worker/storage-errors.ts';
import { verifyDatabase, workerPool } from '../support/workers.ts';

const pool = workerPool();
afterEach(() => pool.cleanup());

describe('a worker killed mid-batch', () => {
  const batch = Array.from({ length: 10_000 }, (_, i) => ({
    type: 't',
    data: { i, pad: 'x'.repeat(40) },
  }));

  it('leaves all of a 10k-event batch or none, wherever it is killed, and the log verifies', async () => {
    // Time one undisturbed batch, then kill others at fractions of that time, so the
    // kills land before, during and after the IndexedDB transaction.
    const timing = await pool.start(pool.database('crash-timing'));
    const started = performance.now();
    await timing.service.append('doc/c', batch);
    const full = performance.now() - started;
    const outcomes: string[] = [];
    // Infinity: killed only once the batch is acknowledged, which must then survive.
    for (const fraction of [0.3, 0.8, 0.9, 0.97, 1.5, Infinity]) {
      const database = pool.database('crash');
      const writer = await pool.start(database);
      await writer.service.append('doc/c', { type: 't', data: 'before' });
      const inFlight = writer.service.append('doc/c', batch).then(
        () => 'acknowledged',
        () => 'killed',
      );
      const killed =
        fraction === Infinity
          ? await inFlight
          : await Promise.race([
              inFlight,
              new Promise<string>((resolve) =>
                setTimeout(() => resolve('timer'), fraction * full),
              ),
            ]);
      writer.terminate();
      const reopened = await pool.start(database);
      const stored = (await reopened.service.readStream('doc/c')).length - 1;
      outcomes.push(
        `${fraction}: ${stored}${killed === 'acknowledged' ? ' (acknowledged)' : ''}`,
      );
      expect([0, 10_000]).toContain(stored);
      if (killed === 'acknowledged') expect(stored).toBe(10_000);
      const report = await verifyDatabase(database);
      expect(report.problems).toEqual([]);
      const [next] = await reopened.service.append('doc/c', {
        type: 't',
        data: 'after',
      });
      expect(next!.event.seq).toBe(stored + 2);
    }
    console.info(
      `10k batch takes ${full.toFixed(0)} ms; kill at fraction → events stored: ${outcomes.join(', ')}`,
    );
    expect(outcomes.some((o) => o.endsWith(': 0'))).toBe(true);
    expect(outcomes.some((o) => o.includes(': 10000'))).toBe(true);
  }, 120_000);
});

describe('storage', () => {
  it('reports storage use and quota for the page', async () => {
    const tab = await pool.start(pool.database('estimate'));
    const info = await tab.service.storage();
    expect(info.quota).toBeGreaterThan(0);
    expect(typeof info.persisted).toBe('boolean');
  });
});

describe('a schema upgrade while an old tab is open', () => {
  it('closes the old connection, tells its user, and does not block the new tab', async () => {
    const database = pool.database('upgrade');
    const notices: string[] = [];
    const old = await openIdbStore(database, {
      onVersionChange: () => notices.push('version-change'),
    });
    const newer = await openDB(database, SCHEMA_VERSION + 1, {
      upgrade: (db) => void db.createObjectStore('future'),
    });
    expect(notices).toEqual(['version-change']);
    expect(newer.objectStoreNames.contains('future')).toBe(true);
    await expect(old.replica()).rejects.toBeInstanceOf(StoreClosedError);
    newer.close();
  });

  it('passes the notice from the worker to the page', async () => {
    const database = pool.database('upgrade-worker');
    const tab = await pool.start(database);
    const notice = new Promise<{ kind: string; message: string }>(
      (resolve) => void tab.service.watch(proxy(resolve)),
    );
    await tab.service.heads('doc/x');
    const newer = await openDB(database, SCHEMA_VERSION + 1);
    expect(await notice).toMatchObject({
      kind: 'version-change',
      message: expect.stringMatching(/Reload this tab/),
    });
    newer.close();
  });
});
