import { once } from 'node:events';
import { afterAll, afterEach, describe, it } from 'vitest';
import { openLog } from '../../src/index.ts';
import { databaseLogs } from '../support/database-logs.ts';
import {
  removeRelayBundle,
  startChildRelay,
  type ChildRelay,
} from '../support/child-relay.ts';
import {
  clientsOnRelays,
  convergedAndStored,
} from '../support/relay-clusters.ts';
import { seeded } from '../support/seeded.ts';

const { database, pool, logs } = databaseLogs();
afterAll(() => removeRelayBundle());

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function relayProcess(port?: number): Promise<ChildRelay> {
  const relay = await startChildRelay(
    { dataDir: '/nonexistent', database },
    port === undefined ? {} : { port },
  );
  cleanups.push(() => relay.stop());
  return relay;
}

/** Kills the relay's process outright, as a crash or an OOM killer would. */
async function kill(relay: ChildRelay): Promise<void> {
  if (relay.process.exitCode !== null || relay.process.signalCode !== null)
    return;
  const exited = once(relay.process, 'exit');
  relay.process.kill('SIGKILL');
  await exited;
}

describe('relay processes over one PostgreSQL database', () => {
  it('keep every acknowledged event through SIGKILLs mid-batch and restarts, and clients on any of them converge', async () => {
    const seed = Number(process.env.FC_SEED ?? Date.now() % 1_000_000);
    const random = seeded(seed);
    const relays = [await relayProcess(), await relayProcess()];
    const { logId, token } = await relays[0]!.createLog();
    logs.push(logId);
    const replicas = await Promise.all(
      ['laptop', 'phone', 'tablet', 'desk'].map((actor) => openLog({ actor })),
    );
    const { clients, switchRelay } = clientsOnRelays(
      replicas,
      () => relays.map((r) => r.url),
      { logId, token },
      cleanups,
    );
    for (let step = 0; step < 60; step++) {
      const r = Math.floor(random() * replicas.length);
      const roll = random();
      if (roll < 0.8) {
        // Batches of a few events: a kill lands in the middle of some of them.
        const n = 1 + Math.floor(random() * 20);
        await replicas[r]!.append(
          random() < 0.5 ? 'doc/shared' : 'doc/other',
          Array.from({ length: n }, (_, k) => ({
            type: 'test.step',
            data: { step, r, k },
          })),
        );
        clients[r]!.pushLocal();
      } else if (roll < 0.9) {
        switchRelay(r);
      } else {
        const which = Math.floor(random() * 2);
        const port = relays[which]!.port;
        await kill(relays[which]!);
        relays[which] = await relayProcess(port);
      }
      if (random() < 0.5)
        await new Promise((resolve) => setTimeout(resolve, random() * 10));
    }
    await convergedAndStored(pool, logId, replicas, `seed ${seed}`);
    await Promise.all(replicas.map((l) => l.close()));
  }, 120_000);
});
