import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openLog } from '../../src/index.ts';
import { pgStore } from '../../server/pg-store.ts';
import { throwawayCluster } from '../support/postgres.ts';
import { collect } from '../support/records.ts';
import { converged } from '../support/relay-clusters.ts';
import { startRelayServer, syncWithRelay } from '../support/relay-peer.ts';

// A cluster of this file's own: restarting the shared database would break the
// other files using it meanwhile.
const cluster = await throwawayCluster();
afterAll(() => cluster?.stop());

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

// Without Debian's PostgreSQL binaries there is no cluster to restart; the suite's
// setup installs them when run as root.
describe.skipIf(!cluster)('relays whose database restarts', () => {
  it('store nothing while it is down, then everything written meanwhile; clients on both relays converge', async () => {
    const database = cluster!.url;
    const relays = await Promise.all(
      [0, 1].map(() => startRelayServer({ dataDir: '/nonexistent', database })),
    );
    cleanups.push(async () => {
      await Promise.all(relays.map((r) => r.stop()));
    });
    const { logId, token } = await relays[0]!.relay.createLog();
    const replicas = await Promise.all(
      ['laptop', 'phone'].map((actor) => openLog({ actor })),
    );
    const clients = replicas.map((log, i) =>
      syncWithRelay(log, { url: relays[i]!.url, logId, token }),
    );
    cleanups.push(() => clients.forEach((c) => c.close()));
    const write = async (label: string) => {
      for (const [i, log] of replicas.entries()) {
        await log.append('doc/x', { type: 't', data: `${label} ${i}` });
        clients[i]!.pushLocal();
      }
    };
    await write('before');
    await converged(replicas, 'before the restart');

    // Down: writes reach the relays, which cannot store them and keep nothing.
    cluster!.down();
    await write('while down');
    await new Promise((resolve) => setTimeout(resolve, 300));
    cluster!.up();
    await write('after');
    await converged(replicas, 'after the restart');
    const events = await Promise.all(
      replicas.map(async (log) => (await collect(log.read('doc/x'))).length),
    );
    expect(events).toEqual([6, 6]);

    const pool = new pg.Pool({ connectionString: database, max: 1 });
    const stored = await openLog({
      store: pgStore(pool, logId),
      actor: 'check',
    });
    expect(await stored.versionVector()).toEqual(
      await replicas[0]!.versionVector(),
    );
    expect((await stored.verify()).problems).toEqual([]);
    await stored.close();
    await pool.end();
    await Promise.all(replicas.map((l) => l.close()));
  }, 60_000);
});
