import { once } from 'node:events';
import { isDeepStrictEqual } from 'node:util';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { openLog } from '../../src/index.ts';
import type { RelayClient } from '../../src/sync/relay-client.ts';
import { dropLog, pgStore } from '../../server/pg-store.ts';
import {
  removeRelayBundle,
  startChildRelay,
  type ChildRelay,
} from '../support/child-relay.ts';
import { syncWithRelay } from '../support/relay-peer.ts';
import { seeded } from '../support/seeded.ts';

const database = inject('databaseUrl');
const pool = new pg.Pool({ connectionString: database, max: 2 });
const logs: string[] = [];
afterAll(async () => {
  for (const logId of logs) await dropLog(pool, logId);
  await pool.end();
  await removeRelayBundle();
});

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
    const on = replicas.map((_, i) => i % 2);
    const connect = (i: number): RelayClient => {
      const c = syncWithRelay(replicas[i]!, {
        url: relays[on[i]!]!.url,
        logId,
        token,
      });
      cleanups.push(() => c.close());
      return c;
    };
    const clients = replicas.map((_, i) => connect(i));
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
        clients[r]!.close();
        on[r] = 1 - on[r]!;
        clients[r] = connect(r);
      } else {
        const which = Math.floor(random() * 2);
        const port = relays[which]!.port;
        await kill(relays[which]!);
        relays[which] = await relayProcess(port);
      }
      if (random() < 0.5)
        await new Promise((resolve) => setTimeout(resolve, random() * 10));
    }
    const end = Date.now() + 30_000;
    for (;;) {
      const vectors = await Promise.all(replicas.map((l) => l.versionVector()));
      if (
        vectors.every((v) => isDeepStrictEqual(v, vectors[0])) &&
        Object.keys(vectors[0]!).length === replicas.length
      )
        break;
      if (Date.now() > end)
        throw new Error(`seed ${seed}: the replicas did not converge`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    for (const stream of ['doc/shared', 'doc/other'])
      for (const replica of replicas.slice(1))
        expect(await replica.heads(stream), `seed ${seed}`).toEqual(
          await replicas[0]!.heads(stream),
        );
    const stored = await openLog({
      store: pgStore(pool, logId),
      actor: 'check',
    });
    expect(await stored.versionVector(), `seed ${seed}`).toEqual(
      await replicas[0]!.versionVector(),
    );
    expect((await stored.verify()).problems, `seed ${seed}`).toEqual([]);
    await stored.close();
    await Promise.all(replicas.map((l) => l.close()));
  }, 120_000);
});
