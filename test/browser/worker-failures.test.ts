import { proxy } from 'comlink';
import { openDB } from 'idb';
import { afterEach, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../worker/idb-schema.ts';
import { openIdbStore } from '../../worker/idb-store.ts';
import { StoreClosedError } from '../../worker/storage-errors.ts';
import { openTabFanout, type TabFanout } from '../../worker/tab-fanout.ts';
import { trialCount, trialSeed } from '../support/trials.ts';
import { seeded, verifyDatabase, workerPool } from '../support/workers.ts';

const pool = workerPool();
afterEach(() => pool.cleanup());

// Kills at seeded moments: a few in `npm test`, a sweep in `npm run trials`.
const randomKills = trialCount(1, 24);
const seed = trialSeed();
/** A safety net, not pacing: each kill costs a 10k-event batch, a reopening and a verification. */
const KILLS_TIMEOUT = 120_000 + randomKills * 30_000;

describe('a worker killed mid-batch', { timeout: KILLS_TIMEOUT }, () => {
  const batch = Array.from({ length: 10_000 }, (_, i) => ({
    type: 't',
    data: { i, pad: 'x'.repeat(40) },
  }));

  /**
   * Starts a worker on a fresh database, appends one event, then the batch, and kills
   * the worker once `when` settles; reopened, the log verifies and goes on.
   * @returns how many of the batch's events are stored, and whether it was acknowledged
   */
  async function killWhen(
    when: (moment: {
      acknowledged: Promise<unknown>;
      committed: Promise<void>;
    }) => Promise<unknown>,
  ) {
    const database = pool.database('crash');
    const writer = await pool.start(database);
    await writer.service.append('doc/c', { type: 't', data: 'before' });
    // The worker tells other tabs (worker/tab-fanout.ts) once the batch's transaction
    // has committed: before or after it answers.
    let fanout: TabFanout | undefined;
    const committed = new Promise<void>((resolve) => {
      fanout = openTabFanout(database, (lastPos) => {
        if (lastPos >= 10_001) resolve();
      });
    });
    const started = performance.now();
    let took: number | undefined;
    const acknowledged = writer.service
      .append('doc/c', batch)
      .then(() => void (took = performance.now() - started));
    acknowledged.catch(() => undefined);
    await when({ acknowledged, committed });
    writer.terminate();
    // Gone means its Web Lock is released: nothing of it can still be writing.
    await writer.gone;
    fanout!.close();
    const reopened = await pool.start(database);
    const stored = (await reopened.service.readStream('doc/c')).length - 1;
    expect([0, 10_000]).toContain(stored);
    if (took !== undefined) expect(stored).toBe(10_000);
    const report = await verifyDatabase(database);
    expect(report.problems).toEqual([]);
    const [next] = await reopened.service.append('doc/c', {
      type: 't',
      data: 'after',
    });
    expect(next!.event.seq).toBe(stored + 2);
    return { stored, took };
  }

  it('leaves all of a 10k-event batch or none, wherever it is killed, and the log verifies', async () => {
    // Killed once it answered: the batch survives. This also times one batch.
    const answered = await killWhen(({ acknowledged }) => acknowledged);
    expect(answered.stored).toBe(10_000);
    const full = answered.took!;
    // Killed before it could have read the batch: none of it.
    expect((await killWhen(async () => undefined)).stored).toBe(0);
    // Killed as it announces its commit, perhaps before answering: all of it.
    expect((await killWhen(({ committed }) => committed)).stored).toBe(10_000);
    // Killed at seeded moments from before its transaction to after its answer.
    console.info(
      `${randomKills} kills at seeded moments, seed ${seed} (replay: FORKLINE_SEED=${seed})`,
    );
    const random = seeded(seed);
    const outcomes: string[] = [];
    for (let k = 0; k < randomKills; k++) {
      const fraction = random() * 1.5;
      const delay = fraction * full;
      const { stored, took } = await killWhen(({ acknowledged }) =>
        Promise.race([
          acknowledged,
          new Promise((resolve) => setTimeout(resolve, delay)),
        ]),
      );
      outcomes.push(
        `${fraction.toFixed(2)}× (${delay.toFixed(0)} ms): ${stored}${took === undefined ? '' : ' (acknowledged)'}`,
      );
    }
    console.info(
      `10k batch takes ${full.toFixed(0)} ms; killed after a fraction of that → events stored: ${outcomes.join(', ')}`,
    );
  });
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
