import { afterEach, describe, expect, it } from 'vitest';
import { openLog, type LogEvent } from '../../src/index.ts';
import { ActorForkError } from '../../src/log/errors.ts';
import { pgStore } from '../../server/pg-store.ts';
import { databaseLogs } from '../support/database-logs.ts';
import {
  appendRandomly,
  clientsOnRelays,
  convergedAndStored,
} from '../support/relay-clusters.ts';
import { startRelayServer, type RelayServer } from '../support/relay-peer.ts';
import { seeded } from '../support/seeded.ts';
import { collect } from '../support/records.ts';

const { database, pool, logs } = databaseLogs(4);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A relay over the tests' database: its own pool and listener, as another process would have. */
async function relayOnDatabase(port = 0): Promise<RelayServer> {
  const server = await startRelayServer(
    { dataDir: '/nonexistent', database },
    port,
  );
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.stop();
  };
  cleanups.push(stop);
  return { ...server, stop };
}

describe('relays over one PostgreSQL database', () => {
  it('serve one log to clients on either, who converge through appends, disconnects, switches of relay and a relay restart', async () => {
    const seed = Number(process.env.FC_SEED ?? Date.now() % 1_000_000);
    const random = seeded(seed);
    const relays = [await relayOnDatabase(), await relayOnDatabase()];
    // Created through one relay, used through both: the token is in the database.
    const { logId, token } = await relays[0]!.relay.createLog();
    logs.push(logId);
    const replicas = await Promise.all(
      ['laptop', 'phone', 'tablet'].map((actor) => openLog({ actor })),
    );
    const { clients, switchRelay } = clientsOnRelays(
      replicas,
      () => relays.map((r) => r.url),
      { logId, token },
      cleanups,
    );
    for (let step = 0; step < 90; step++) {
      const r = Math.floor(random() * replicas.length);
      const roll = random();
      if (roll < 0.75) {
        await appendRandomly(replicas[r]!, random, { step, r });
        clients[r]!.pushLocal();
      } else if (roll < 0.9) {
        // Reconnects, to the other relay: any relay serves any log.
        switchRelay(r);
      } else if (roll < 0.95) {
        // A relay stops and comes back on its port, holding nothing of its own.
        const which = Math.floor(random() * 2);
        const port = relays[which]!.port;
        await relays[which]!.stop();
        relays[which] = await relayOnDatabase(port);
      }
      if (random() < 0.3)
        await new Promise((resolve) => setTimeout(resolve, random() * 15));
    }
    await convergedAndStored(pool, logId, replicas, `seed ${seed}`);
    await Promise.all(replicas.map((l) => l.close()));
  }, 60_000);

  it('send their clients what a writer stored without announcing it, as when a relay dies between its commit and its announcement', async () => {
    const relay = await relayOnDatabase();
    const { logId, token } = await relay.relay.createLog();
    logs.push(logId);
    const reader = await openLog({ actor: 'reader' });
    const { clients } = clientsOnRelays(
      [reader],
      () => [relay.url],
      { logId, token },
      cleanups,
    );
    // A writer straight to the database, which announces nothing.
    const silent = await openLog({
      store: pgStore(pool, logId),
      actor: 'silent',
    });
    // The reader's session is live: what it sent is stored.
    await reader.append('doc/quiet', { type: 't', data: 'hello' });
    clients[0]!.pushLocal();
    await expect
      .poll(async () => (await silent.versionVector()).reader)
      .toBe(1);
    // Announcements it cannot read (anyone who can reach the database may NOTIFY):
    // lines that name no log, positions past any number, an unknown log. Ignored.
    // And one it can read that lies, a position far past the log's end: a hint to
    // read, never taken for where the log ends.
    await pool.query('SELECT pg_notify($1, $2)', [
      'forkline_moved',
      [
        'someone',
        '',
        '../../etc 1',
        `${logId} -1`,
        `${logId} 1e9`,
        `${logId} ${'9'.repeat(40)}`,
        'x'.repeat(200),
        'no-such-log 12',
        `${logId} ${'9'.repeat(15)}`,
      ].join('\n'),
    ]);
    for (let i = 0; i < 5; i++)
      await silent.append('doc/quiet', { type: 't', data: i });
    await expect
      .poll(async () => (await reader.versionVector()).silent, {
        timeout: 20_000,
      })
      .toBe(5);
    expect(
      (await collect(reader.read('doc/quiet'))).map((e) => e.data),
    ).toEqual(['hello', 0, 1, 2, 3, 4]);
    await Promise.all([silent.close(), reader.close()]);
  });

  it('store a batch two relays ingest at once exactly once', async () => {
    const logId = `test-same-${Date.now()}`;
    logs.push(logId);
    const writer = await openLog({ actor: 'writer' });
    for (let i = 0; i < 50; i++)
      await writer.append('doc/x', { type: 't', data: i });
    const batch = await collect(writer.since({}));
    const [a, b] = await Promise.all(
      ['relay-a', 'relay-b'].map((actor) =>
        openLog({ store: pgStore(pool, logId), actor }),
      ),
    );
    await Promise.all([a!.ingest(batch), b!.ingest(batch)]);
    const events = await collect(a!.read('doc/x'));
    expect(events.map((e) => e.id)).toEqual(batch.map((e) => e.id));
    expect((await a!.verify()).ok).toBe(true);
    await Promise.all([a!.close(), b!.close(), writer.close()]);
  });

  it('store one of two conflicting batches for an actor at once, and report the other as an actor fork', async () => {
    const logId = `test-fork-${Date.now()}`;
    logs.push(logId);
    // One actor id on two devices: each wrote its own seq 1..3.
    const devices = await Promise.all(
      [1, 2].map(async (n) => {
        const log = await openLog({ actor: 'cloned', now: () => n * 1000 });
        for (let i = 0; i < 3; i++)
          await log.append('doc/x', { type: 't', data: `${n}.${i}` });
        return collect(log.since({}));
      }),
    );
    const [a, b] = await Promise.all(
      ['relay-a', 'relay-b'].map((actor) =>
        openLog({ store: pgStore(pool, logId), actor }),
      ),
    );
    const results = await Promise.allSettled([
      a!.ingest(devices[0]!),
      b!.ingest(devices[1]!),
    ]);
    const kept = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    expect(kept).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect((refused[0] as PromiseRejectedResult).reason).toBeInstanceOf(
      ActorForkError,
    );
    const events: LogEvent[] = await collect(a!.read('doc/x'));
    expect(events).toHaveLength(3);
    const winner = results.indexOf(kept[0]!);
    expect(events.map((e) => e.id)).toEqual(devices[winner]!.map((e) => e.id));
    expect((await a!.verify()).ok).toBe(true);
    await Promise.all([a!.close(), b!.close()]);
  });
});
