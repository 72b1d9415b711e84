import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  openLog,
  type Json,
  type Log,
  type LogEvent,
} from '../../src/index.ts';
import type { RelayClient } from '../../src/sync/relay-client.ts';
import {
  encodeEvent,
  encodeUnverified,
  eventsMessage,
} from '../../src/sync/messages.ts';
import { MAX_PEER_FRAME_BYTES } from '../../server/peer-link.ts';
import { pgStore } from '../../server/pg-store.ts';
import { databaseLogs } from '../support/database-logs.ts';
import {
  removeRelayBundle,
  startChildRelay,
  type ChildRelay,
} from '../support/child-relay.ts';
import { converged, expectStoredWhole } from '../support/relay-clusters.ts';
import {
  helloFrame,
  openPeer,
  startRelayServer,
  syncWithRelay,
  type RelayServer,
} from '../support/relay-peer.ts';

const { database, pool, logs } = databaseLogs();
afterAll(() => removeRelayBundle());

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A relay in this process that other relays reach at its loopback address. */
async function relayServer(said: string[] = []): Promise<RelayServer> {
  // Known once it listens.
  const reached: { at?: string } = {};
  const relay = await startRelayServer({
    dataDir: '/nonexistent',
    database,
    peerUrl: () => reached.at,
    say: (message) => said.push(message),
  });
  reached.at = `ws://127.0.0.1:${relay.port}`;
  cleanups.push(() => relay.stop());
  return relay;
}

async function childRelay(port?: number): Promise<ChildRelay> {
  const relay = await startChildRelay(
    { dataDir: '/nonexistent', database },
    port === undefined ? {} : { port },
  );
  cleanups.push(() => relay.stop());
  return relay;
}

let writers = 0;

async function replicasOn(
  urls: string[],
  target: { logId: string; token: string },
): Promise<Log[]> {
  const replicas = await Promise.all(
    urls.map(() => openLog({ actor: `writer-${++writers}` })),
  );
  replicas.forEach((log, i) => {
    const client = syncWithRelay(log, { url: urls[i]!, ...target });
    clientOf.set(log, client);
    cleanups.push(() => client.close());
  });
  cleanups.push(async () => {
    await Promise.all(replicas.map((l) => l.close()));
  });
  return replicas;
}

const clientOf = new WeakMap<Log, RelayClient>();

/** Appends to `log` and sends it to its relay. */
async function write(log: Log, data: Json): Promise<void> {
  await log.append('doc/shared', { type: 'test.step', data });
  clientOf.get(log)!.pushLocal();
}

async function writerOf(logId: string): Promise<string | undefined> {
  const { rows } = await pool.query<{ peer_url: string }>(
    'SELECT peer_url FROM forkline_writers WHERE log_id = $1',
    [logId],
  );
  return rows[0]?.peer_url;
}

/** The database holds what the replicas hold of `doc/shared`, and it verifies. */
const storedWhole = (logId: string, replicas: Log[]) =>
  expectStoredWhole(pool, logId, replicas, ['doc/shared'], 'stored');

/** The seqs each writer reached in what the database holds of `logId`. */
async function storedVector(logId: string) {
  const stored = await openLog({ store: pgStore(pool, logId), actor: 'check' });
  try {
    return await stored.versionVector();
  } finally {
    await stored.close();
  }
}

/** Polls `check` until it holds: what the relays do in the background. */
async function eventually(what: string, check: () => Promise<boolean>) {
  const end = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what} never happened`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('one relay writes each log that several serve', () => {
  it("sends the other relays' batches to it, and every client gets every event", async () => {
    const relays = [await relayServer(), await relayServer()];
    const target = await relays[0]!.relay.createLog();
    logs.push(target.logId);
    const replicas = await replicasOn(
      relays.map((r) => r.url),
      target,
    );
    for (let round = 0; round < 5; round++)
      for (const [i, log] of replicas.entries()) await write(log, { round, i });
    await converged(replicas, 'two relays, one writer', 2);
    await storedWhole(target.logId, replicas);
    // One of the two writes the log; the other sent it its client's batches.
    const stats = relays.map((r) => r.relay.stats());
    const writer = stats.findIndex((s) => s.peerBatches > 0);
    expect(writer).toBeGreaterThanOrEqual(0);
    expect(stats[1 - writer]!.forwardedBatches).toBe(
      stats[writer]!.peerBatches,
    );
    expect(stats[writer]!.forwardedBatches).toBe(0);
    expect(await writerOf(target.logId)).toBe(
      `ws://127.0.0.1:${relays[writer]!.port}`,
    );
  });

  it('loses nothing when its writer is killed: another relay takes its place', async () => {
    const relays = [await childRelay(), await childRelay()];
    const target = await relays[0]!.createLog();
    logs.push(target.logId);
    const writersBefore = writers;
    // Both on relay 1 and one on relay 0, which opened the log first: relay 0 writes.
    const replicas = await replicasOn(
      [relays[0]!.url, relays[1]!.url, relays[1]!.url],
      target,
    );
    await write(replicas[0]!, 0);
    await eventually(
      'the log is open on both',
      async () => (await relays[1]!.stats()).openLogs === 1,
    );
    await write(replicas[1]!, 1);
    await converged(replicas, 'before the kill', 2);
    const writer = (await relays[0]!.stats()).peerBatches > 0 ? 0 : 1;
    expect(
      (await relays[1 - writer]!.stats()).forwardedBatches,
    ).toBeGreaterThan(0);
    const survivor = relays[1 - writer]!;
    const exited = once(relays[writer]!.process, 'exit');
    relays[writer]!.process.kill('SIGKILL');
    await exited;
    // Written on the survivor, which finds its writer gone and writes them itself.
    const onSurvivor = writer === 0 ? [1, 2] : [0];
    for (const i of onSurvivor) await write(replicas[i]!, { after: i });
    const actorOf = (i: number) => `writer-${writersBefore + i + 1}`;
    await eventually(
      'the events written after the kill are stored',
      async () => {
        const stored = await storedVector(target.logId);
        for (const i of onSurvivor) {
          const own = (await replicas[i]!.versionVector())[actorOf(i)];
          if (stored[actorOf(i)] !== own) return false;
        }
        return true;
      },
    );
    await eventually(
      'the survivor writes the log',
      async () =>
        (await writerOf(target.logId)) === `ws://127.0.0.1:${survivor.port}`,
    );
    // The killed relay comes back on its port; every replica ends with every event.
    relays[writer] = await childRelay(relays[writer]!.port);
    await converged(replicas, 'after the restart', writer === 0 ? 3 : 2);
    await storedWhole(target.logId, replicas);
  }, 60_000);

  it('writes a batch itself when the database names a writer that is not there, or is not a relay of this database', async () => {
    const said: string[] = [];
    const relay = await relayServer(said);
    // Something that answers at the writer's address but cannot prove the key.
    const impostor = createServer();
    const wss = new WebSocketServer({ server: impostor });
    wss.on('connection', (ws) => {
      ws.send(JSON.stringify({ hello: 'gone-relay', nonce: 'A'.repeat(22) }));
      ws.on('message', () =>
        ws.send(JSON.stringify({ proof: 'x'.repeat(43) })),
      );
    });
    await new Promise<void>((resolve) =>
      impostor.listen(0, '127.0.0.1', resolve),
    );
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          wss.close();
          impostor.close(() => resolve());
        }),
    );
    const port = (impostor.address() as { port: number }).port;
    for (const peerUrl of [
      `ws://127.0.0.1:${port}`,
      'ws://127.0.0.1:1',
      'not a url',
    ]) {
      said.length = 0;
      const target = await relay.relay.createLog();
      logs.push(target.logId);
      await pool.query(
        'INSERT INTO forkline_writers (log_id, relay, peer_url) VALUES ($1, $2, $3)',
        [target.logId, 'gone-relay', peerUrl],
      );
      const replicas = await replicasOn([relay.url, relay.url], target);
      await write(replicas[0]!, 1);
      await converged(replicas, `writer at ${peerUrl}`, 1);
      expect(relay.relay.stats().forwardedBatches).toBe(0);
      // The row is taken over, and the relay says so once.
      await eventually(
        'the relay writes the log itself',
        async () =>
          (await writerOf(target.logId)) === `ws://127.0.0.1:${relay.port}` &&
          said.some((line) =>
            /relay gone-relay at .* took no batch \(.*\); this relay writes the log now/.test(
              line,
            ),
          ),
      );
      expect(
        said.filter((line) => line.includes('took no batch')),
      ).toHaveLength(1);
    }
  });

  it('is told a peer URL it cannot use when it starts', async () => {
    for (const peerUrl of ['http://10.0.0.5', 'ws://10.0.0.5:4173/relay'])
      await expect(
        startRelayServer({ dataDir: '/nonexistent', database, peerUrl }),
      ).rejects.toThrow(
        `--peer-url "${peerUrl}": give the ws:// or wss:// URL other relays reach this one at, with no path`,
      );
  });

  it('refuses a link that cannot prove the key, and verifies what a proven link sends as any client', async () => {
    const said: string[] = [];
    const relay = await relayServer(said);
    const target = await relay.relay.createLog();
    logs.push(target.logId);
    const [log] = await replicasOn([relay.url], target);
    await write(log!, 'kept');
    await converged([log!], 'opened', 1);
    const peerUrl = `ws://127.0.0.1:${relay.port}/peer`;

    const stranger = await openPeer(peerUrl);
    const hello = (await stranger.next()) as {
      message: { hello: string; nonce: string };
    };
    stranger.ws.send(JSON.stringify({ nonce: 'B'.repeat(22), proof: 'guess' }));
    expect((await stranger.closed).closed).toBe(4001);
    const silent = await openPeer(peerUrl);
    silent.ws.send('not json');
    expect((await silent.closed).closed).toBe(4001);

    // With the key (who reads the database holds it): proven, but what it sends is
    // verified as any client's batch.
    const { rows } = await pool.query<{ peer_key: Buffer }>(
      'SELECT peer_key FROM forkline_cluster',
    );
    const key = rows[0]!.peer_key;
    const prove = (side: string, nonce: string, writer: string) =>
      createHmac('sha256', key)
        .update(`forkline peer ${side} ${nonce} ${writer}`)
        .digest('base64url');
    const peer = await openPeer(peerUrl);
    const { message } = (await peer.next()) as typeof hello;
    expect(message.hello).toBe(hello.message.hello);
    const ours = 'C'.repeat(22);
    peer.ws.send(
      JSON.stringify({
        nonce: ours,
        proof: prove('a', message.nonce, message.hello),
      }),
    );
    expect(await peer.next()).toEqual({
      message: { proof: prove('b', ours, message.hello) },
    });
    const other = await openLog({ actor: 'forger' });
    const [appended] = await other.append('doc/shared', {
      type: 'test.step',
      data: 'real',
    });
    const real = appended!.event;
    const forged = { ...real, data: 'forged' };
    peer.ws.send(`${target.logId}\n${eventsMessage(7, [encodeEvent(forged)])}`);
    const verdict = (await peer.next()) as {
      message: { n: number; refused: { code: string } };
    };
    expect(verdict.message.n).toBe(7);
    expect(verdict.message.refused.code).toBe('ID_MISMATCH');
    // A log this relay does not have open (or write) is not written here.
    peer.ws.send(`${'x'.repeat(16)}\n${eventsMessage(8, [encodeEvent(real)])}`);
    expect(
      ((await peer.next()) as { message: { elsewhere: string } }).message
        .elsewhere,
    ).toMatch(/does not write log/);
    peer.ws.send('no log here');
    expect((await peer.closed).closed).toBe(4002);
    expect(said.join('\n')).toMatch(
      /peer link from 127\.0\.0\.1: a write names no log/,
    );
    await other.close();

    // Nothing of it was stored, and the relay serves its clients as before.
    await write(log!, 'after');
    const [again] = await replicasOn([relay.url], target);
    await converged([log!, again!], 'after the hostile links', 1);
    expect(await again!.get(real.id)).toBeUndefined();
  });

  it('stays up when a link sends what its socket cannot take', async () => {
    const said: string[] = [];
    const relay = await relayServer(said);
    const peerUrl = `ws://127.0.0.1:${relay.port}/peer`;
    // Not UTF-8, in a text frame; then a frame past the largest a link takes. Each
    // was an error event no one heard: it ended the relay's process (QA pass 19).
    const garbled = await openPeer(peerUrl);
    garbled.ws.send(Buffer.from([0xff, 0xfe]), { binary: false });
    expect((await garbled.closed).closed).toBe(1007);
    const huge = await openPeer(peerUrl);
    huge.ws.send('x'.repeat(MAX_PEER_FRAME_BYTES + 1));
    expect((await huge.closed).closed).toBe(1009);
    const target = await relay.relay.createLog();
    logs.push(target.logId);
    const replicas = await replicasOn([relay.url, relay.url], target);
    await write(replicas[0]!, 'still here');
    await converged(replicas, 'after the frames', 1);
    expect(said.join('\n')).toMatch(/peer link from 127\.0\.0\.1: .*UTF-8/);
  });

  it("sends a forged event's text in place of the real one's nowhere, once a relay sent it on", async () => {
    const relays = [await relayServer(), await relayServer()];
    // The victim's log, written through relay 0.
    const victimLog = await relays[0]!.relay.createLog();
    logs.push(victimLog.logId);
    const [victim] = await replicasOn([relays[0]!.url], victimLog);
    await write(victim!, 'the real text');
    await converged([victim!], 'stored', 1);
    const real = (
      await victim!.read('doc/shared')[Symbol.asyncIterator]().next()
    ).value as LogEvent;
    // The attacker's own log, which relay 0 writes: relay 1 sends it the attacker's
    // batch, a forged event under the real one's id.
    const own = await relays[0]!.relay.createLog();
    logs.push(own.logId);
    const holder = await openPeer(`ws://127.0.0.1:${relays[0]!.port}/sync`);
    cleanups.push(() => holder.ws.close());
    holder.ws.send(helloFrame(own.logId, own.token));
    await holder.next();
    const attacker = await openPeer(relays[1]!.url);
    cleanups.push(() => attacker.ws.close());
    attacker.ws.send(helloFrame(own.logId, own.token));
    await attacker.next();
    const forged = encodeUnverified(real).text.replace(
      'the real text',
      'FORGED',
    );
    attacker.ws.send(
      eventsMessage(1, [{ text: forged, bytes: Buffer.byteLength(forged) }]),
    );
    expect((await attacker.closed).reason).toMatch(/ID_MISMATCH/);
    expect(relays[1]!.relay.stats().forwardedBatches).toBe(0);
    // A device new to the victim's log, through relay 1, gets the real event.
    const [device] = await replicasOn([relays[1]!.url], victimLog);
    await converged([victim!, device!], 'the new device', 1);
    expect((await device!.get(real.id))?.data).toBe('the real text');
  });
});
