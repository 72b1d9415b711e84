import { isDeepStrictEqual } from 'node:util';
import type pg from 'pg';
import { expect } from 'vitest';
import { openLog, type Json, type Log } from '../../src/index.ts';
import type { RelayClient } from '../../src/sync/relay-client.ts';
import { pgStore } from '../../server/pg-store.ts';
import { syncWithRelay } from './relay-peer.ts';

/**
 * Replicas syncing one log through several relays: replica i starts on relay
 * i mod n, and `switchRelay` moves it to the next, as a client behind a load
 * balancer may be at any reconnect.
 */
export function clientsOnRelays(
  replicas: Log[],
  urls: () => string[],
  target: { logId: string; token: string },
  cleanups: (() => unknown)[],
): { clients: RelayClient[]; switchRelay(i: number): void } {
  const on = replicas.map((_, i) => i);
  const connect = (i: number): RelayClient => {
    const all = urls();
    const c = syncWithRelay(replicas[i]!, {
      url: all[on[i]! % all.length]!,
      ...target,
    });
    cleanups.push(() => c.close());
    return c;
  };
  const clients = replicas.map((_, i) => connect(i));
  return {
    clients,
    switchRelay(i) {
      clients[i]!.close();
      on[i]!++;
      clients[i] = connect(i);
    },
  };
}

/** Waits until every replica holds the same events (of `actors` writers, when given). */
export async function converged(
  replicas: Log[],
  what: string,
  actors?: number,
): Promise<void> {
  const end = Date.now() + 30_000;
  for (;;) {
    const vectors = await Promise.all(replicas.map((l) => l.versionVector()));
    if (
      vectors.every((v) => isDeepStrictEqual(v, vectors[0])) &&
      (actors === undefined || Object.keys(vectors[0]!).length === actors)
    )
      return;
    if (Date.now() > end)
      throw new Error(`${what}: the replicas did not converge`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * The replicas agree on every stream's heads, and the database holds the same log,
 * which verifies end to end.
 */
export async function expectStoredWhole(
  pool: pg.Pool,
  logId: string,
  replicas: Log[],
  streams: string[],
  what: string,
): Promise<void> {
  for (const stream of streams)
    for (const replica of replicas.slice(1))
      expect(await replica.heads(stream), what).toEqual(
        await replicas[0]!.heads(stream),
      );
  const stored = await openLog({ store: pgStore(pool, logId), actor: 'check' });
  expect(await stored.versionVector(), what).toEqual(
    await replicas[0]!.versionVector(),
  );
  expect((await stored.verify()).problems, what).toEqual([]);
  await stored.close();
}

/** The streams a random run writes. */
export const RUN_STREAMS = ['doc/shared', 'doc/other'];

/**
 * A step of a random run: `log` appends `data` to one of RUN_STREAMS, now and then
 * as a writer that saw nothing of it (a stale append, kept beside the others).
 */
export async function appendRandomly(
  log: Log,
  random: () => number,
  data: Json,
): Promise<void> {
  const stream = random() < 0.5 ? RUN_STREAMS[0]! : RUN_STREAMS[1]!;
  const stale = random() < 0.3 ? { expected: [] as string[] } : {};
  await log.append(stream, { type: 'test.step', data }, stale);
}

/** The end of a random run: the replicas converge, and the database holds it all. */
export async function convergedAndStored(
  pool: pg.Pool,
  logId: string,
  replicas: Log[],
  what: string,
): Promise<void> {
  await converged(replicas, what, replicas.length);
  await expectStoredWhole(pool, logId, replicas, RUN_STREAMS, what);
}
