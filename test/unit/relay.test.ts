import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { isDeepStrictEqual } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { openLog, type Log } from '../../src/index.ts';
import {
  connectToRelay,
  type RelayClient,
  type SocketLike,
  type SyncState,
} from '../../src/sync/relay-client.ts';
import { openFileLog } from '../../server/file-log.ts';
import { createRelay, type Relay } from '../../server/relay.ts';
import { syncWithRelay } from '../support/relay-peer.ts';
import { seeded } from '../support/seeded.ts';
import { collect } from '../support/records.ts';
import { appendRandomly } from '../support/relay-clusters.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startRelay(
  dataDir: string,
  port = 0,
): Promise<{
  relay: Relay;
  server: Server;
  port: number;
  stop: () => Promise<void>;
}> {
  const relay = await createRelay({ dataDir, say: () => undefined });
  const server = createServer();
  relay.attach(server);
  await new Promise<void>((resolve) =>
    server.listen(port, '127.0.0.1', resolve),
  );
  const stop = async () => {
    await relay.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  cleanups.push(stop);
  return {
    relay,
    server,
    stop,
    port: (server.address() as { port: number }).port,
  };
}

function client(
  log: Log,
  port: number,
  logId: string,
  token: string,
  states: SyncState[] = [],
): RelayClient {
  const url = `ws://127.0.0.1:${port}/sync`;
  const c = syncWithRelay(log, { url, logId, token }, states);
  cleanups.push(() => c.close());
  return c;
}

const until = async (check: () => Promise<boolean>, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting for convergence');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('sync through a relay', () => {
  it('converges two replicas through random appends, disconnects and a relay restart', async () => {
    const seed = Number(process.env.FC_SEED ?? Date.now() % 1_000_000);
    const random = seeded(seed);
    const dataDir = mkdtempSync(join(tmpdir(), 'forkline-relay-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const first = await startRelay(dataDir);
    const port = first.port;
    let { relay, stop } = first;
    const { logId, token } = await relay.createLog();
    const replicas = [
      await openLog({ actor: 'laptop' }),
      await openLog({ actor: 'phone' }),
    ];
    const clients = replicas.map((log) => client(log, port, logId, token));
    for (let step = 0; step < 120; step++) {
      const r = Math.floor(random() * 2);
      const roll = random();
      if (roll < 0.75) {
        await appendRandomly(replicas[r]!, random, { step, r });
        clients[r]!.pushLocal();
      } else if (roll < 0.9) {
        // A dropped connection: the client reconnects and resumes by version vector.
        clients[r]!.close();
        clients[r] = client(replicas[r]!, port, logId, token);
      } else if (roll < 0.95) {
        // The relay dies mid-stream and comes back on the same port with the same data.
        await stop();
        ({ relay, stop } = await startRelay(dataDir, port));
      }
      if (random() < 0.3)
        await new Promise((resolve) => setTimeout(resolve, random() * 15));
    }
    await until(async () => {
      const [a, b] = await Promise.all(replicas.map((l) => l.versionVector()));
      return isDeepStrictEqual(a, b) && Object.keys(a!).length === 2;
    });
    for (const stream of ['doc/shared', 'doc/other']) {
      expect(await replicas[1]!.heads(stream), `seed ${seed}`).toEqual(
        await replicas[0]!.heads(stream),
      );
    }
    // The relay's file holds the same log, and verifies end to end.
    await until(async () => {
      await relay.close();
      const file = await openFileLog(
        join(dataDir, `${logId}.jsonl`),
        () => undefined,
      );
      const same = isDeepStrictEqual(
        await file.log.versionVector(),
        await replicas[0]!.versionVector(),
      );
      const report = await file.log.verify();
      await file.close();
      expect(report.problems, `seed ${seed}`).toEqual([]);
      return same;
    });
  }, 60_000);

  it('refuses a wrong token and an unknown log, saying why', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'forkline-relay-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const { relay, port } = await startRelay(dataDir);
    const { logId } = await relay.createLog();
    const log = await openLog();
    const wrong: SyncState[] = [];
    const unknown: SyncState[] = [];
    client(log, port, logId, 'not-the-token', wrong);
    client(log, port, 'nosuchlog', 'x', unknown);
    await until(
      async () =>
        wrong.some((s) => s.kind === 'refused') &&
        unknown.some((s) => s.kind === 'refused'),
    );
    // One answer for both: a stranger cannot tell which log ids exist.
    expect(wrong.at(-1)).toEqual({
      kind: 'refused',
      reason: 'unknown log or wrong token',
      retryInMs: 5 * 60_000,
    });
    expect(unknown.at(-1)).toEqual(wrong.at(-1));
    expect(await collect(log.since({}))).toEqual([]);
  });
});

describe('a relay client refused', () => {
  it('asks again, slowly, and syncs once the relay has the log back (restarted on an empty disk, then on its own)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'forkline-relay-'));
    const emptyDir = mkdtempSync(join(tmpdir(), 'forkline-relay-'));
    cleanups.push(() => {
      for (const dir of [dataDir, emptyDir])
        rmSync(dir, { recursive: true, force: true });
    });
    const first = await startRelay(dataDir);
    const { logId, token } = await first.relay.createLog();
    const { port } = first;
    await first.stop();
    const empty = await startRelay(emptyDir, port);
    const log = await openLog({ actor: 'returning' });
    cleanups.push(() => log.close());
    await log.append('doc/a', { type: 'test.note', data: { n: 1 } });
    const states: SyncState[] = [];
    const url = `ws://127.0.0.1:${port}/sync`;
    const c = syncWithRelay(log, { url, logId, token }, states, {
      refusedMs: 200,
    });
    cleanups.push(() => c.close());
    await until(async () => states.some((s) => s.kind === 'refused'));
    expect(states.find((s) => s.kind === 'refused')).toEqual({
      kind: 'refused',
      reason: 'unknown log or wrong token',
      retryInMs: 200,
    });
    // Each try after it says what the last one came to.
    await until(async () =>
      states.some(
        (s) => s.kind === 'connecting' && s.after?.kind === 'refused',
      ),
    );
    await empty.stop();
    await startRelay(dataDir, port);
    await until(async () => states.at(-1)?.kind === 'synced', 20_000);
  });
});

describe('a relay client whose connection drops', () => {
  it('says the connection was lost, in words, when the relay closed it without a reason', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'forkline-relay-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const { relay, server, port } = await startRelay(dataDir);
    // The relay's sockets, to cut as a network or a crashed relay does: no close
    // frame, so the client sees 1006.
    const sockets = new Set<Duplex>();
    server.on('upgrade', (_request, socket: Duplex) => sockets.add(socket));
    const { logId, token } = await relay.createLog();
    const states: SyncState[] = [];
    client(await openLog(), port, logId, token, states);
    await until(async () => states.some((s) => s.kind === 'synced'));
    expect(sockets.size).toBe(1);
    const before = states.length;
    for (const socket of sockets) socket.destroy();
    const offline = () =>
      states.slice(before).find((s) => s.kind === 'offline');
    await until(async () => offline() !== undefined);
    expect(offline()).toMatchObject({ reason: 'the connection was lost' });
  });
});

describe('a relay client away from its relay', () => {
  it('counts the changes the relay lacks, as they are made, until it is back', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'forkline-relay-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const { relay, port, stop } = await startRelay(dataDir);
    const { logId, token } = await relay.createLog();
    const log = await openLog({ actor: 'laptop' });
    const states: SyncState[] = [];
    const c = client(log, port, logId, token, states);
    await log.append('doc/1', { type: 'note', data: 'held by the relay' });
    c.pushLocal();
    await until(async () => states.at(-1)?.kind === 'synced');
    await stop();
    // Told as a count added to the trouble last reported, and with each try's.
    const away = (waiting: number) =>
      until(async () =>
        states.some(
          (s) =>
            (s.kind === 'waiting' || s.kind === 'offline') &&
            s.waiting === waiting,
        ),
      );
    // Nothing is missing yet; then each change made while away is counted.
    await away(0);
    for (const n of [1, 2, 3]) {
      await log.append('doc/1', { type: 'note', data: n });
      c.pushLocal();
      await away(n);
    }
    // Each try is reported once: a count is no try of its own.
    const tries = states.filter((s) => s.kind === 'connecting').length;
    expect(
      states.filter((s) => s.kind === 'offline' || s.kind === 'interrupted')
        .length,
    ).toBeLessThanOrEqual(tries);
    // Back: nothing waits, and the count is gone with the trouble.
    await startRelay(dataDir, port);
    await until(async () => states.at(-1)?.kind === 'synced', 20_000);
  });
});

describe('a relay client that cannot reach its relay', () => {
  it('says it could not connect, naming the host, not that a connection was lost (QA pass 11)', async () => {
    // A port nobody listens on any more.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const { port } = closed.address() as { port: number };
    await new Promise((r) => closed.close(r));
    const states: SyncState[] = [];
    client(await openLog(), port, 'log', 'token', states);
    await until(async () => states.some((s) => s.kind === 'offline'));
    expect(states.find((s) => s.kind === 'offline')).toMatchObject({
      reason: `could not connect to 127.0.0.1:${port}`,
    });
  });
});

describe('a relay client after close', () => {
  it('ignores a welcome that arrives once it and its log are closed', async () => {
    const log = await openLog();
    const sent: string[] = [];
    const socket: SocketLike = {
      readyState: 1,
      send: (text) => void sent.push(text),
      close: () => undefined,
      onopen: null,
      onmessage: null,
      onclose: null,
      onerror: null,
    };
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    const c = connectToRelay(log, {
      url: 'ws://unused',
      logId: 'l',
      token: 't',
      createSocket: () => socket,
    });
    socket.onopen!(undefined);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(JSON.parse(sent[0]!)).toMatchObject({ type: 'hello' });
    // A page unloading: the client and its log close before the relay's welcome lands.
    c.close();
    await log.close();
    socket.onmessage!({
      data: JSON.stringify({ type: 'welcome', vector: {} }),
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    process.off('unhandledRejection', onRejection);
    expect(rejections).toEqual([]);
  });
});
