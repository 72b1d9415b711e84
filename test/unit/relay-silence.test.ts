// A connection that dies without closing (a relay hung or its process stopped, a
// client whose network went, a connection a NAT forgot): each side must notice, and
// sync again once the other answers. Real relays: a child process frozen with
// SIGSTOP, and one in this process for the relay's own side.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import { openLog } from '../../src/index.ts';
import type {
  RelayClientOptions,
  SyncState,
} from '../../src/sync/relay-client.ts';
import { removeRelayBundle, startChildRelay } from '../support/child-relay.ts';
import {
  helloFrame,
  openPeer,
  startRelayServer,
  syncWithRelay,
} from '../support/relay-peer.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(removeRelayBundle);

const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'forkline-silence-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

/**
 * A relay process and a log syncing with it through the app's client (`options`
 * over the defaults), synced once; `freeze` stops the process, `thaw` lets it go on.
 * `stateWhere` waits for a state the client reports from the last `forget` on.
 */
async function syncedWithChildRelay(options: Partial<RelayClientOptions>) {
  const relay = await startChildRelay({ dataDir: tempDir() });
  let frozen = false;
  cleanups.push(async () => {
    if (frozen) relay.process.kill('SIGCONT');
    await relay.stop();
  });
  const target = await relay.createLog();
  const log = await openLog({ actor: 'writer' });
  cleanups.push(() => log.close());
  const states: SyncState[] = [];
  const waiters: (() => void)[] = [];
  const stateWhere = (test: (s: SyncState) => boolean) =>
    new Promise<SyncState>((resolve) => {
      const check = () => {
        const found = states.find(test);
        if (found) resolve(found);
        else waiters.push(check);
      };
      check();
    });
  const client = syncWithRelay(log, { url: relay.url, ...target }, states, {
    onState: (s) => {
      states.push(s);
      for (const w of waiters.splice(0)) w();
    },
    ...options,
  });
  cleanups.push(() => client.close());
  await log.append('doc/a', { type: 'test.note', data: { n: 1 } });
  client.pushLocal();
  await stateWhere((s) => s.kind === 'synced');
  return {
    log,
    client,
    stateWhere,
    forget: () => void (states.length = 0),
    freeze() {
      relay.process.kill('SIGSTOP');
      frozen = true;
    },
    thaw() {
      relay.process.kill('SIGCONT');
      frozen = false;
    },
    /** Whether another client of the relay reads back what `log` holds. */
    async readBack() {
      const reader = await openLog({ actor: 'reader' });
      cleanups.push(() => reader.close());
      const second = syncWithRelay(reader, { url: relay.url, ...target });
      cleanups.push(() => second.close());
      await expect
        .poll(async () => (await reader.heads('doc/a')).join(), {
          timeout: 30_000,
        })
        .toBe((await log.heads('doc/a')).join());
    },
  };
}

it('drops a relay that leaves a batch unanswered, says so, and syncs once it answers again', async () => {
  const relay = await syncedWithChildRelay({ answerMs: 1000 });
  relay.freeze();
  relay.forget();
  await relay.log.append('doc/a', { type: 'test.note', data: { n: 2 } });
  relay.client.pushLocal();
  const dropped = await relay.stateWhere((s) => s.kind === 'offline');
  expect(dropped).toMatchObject({
    reason: 'the relay did not answer for 1 s',
  });
  // Tried again while the relay is still frozen, saying so (not "connecting"
  // alone, for most of each try): its upgrade is never answered either, and that
  // try is given up on too.
  relay.forget();
  expect(await relay.stateWhere((s) => s.kind === 'connecting')).toEqual({
    kind: 'connecting',
    after: dropped,
  });
  await relay.stateWhere((s) => s.kind === 'offline');

  relay.thaw();
  relay.forget();
  await relay.stateWhere((s) => s.kind === 'synced');
  // The relay holds both events: a second client reads them back.
  await relay.readBack();
});

it('finds a dead relay while it has nothing to send: it asks after a silence, and is not answered', async () => {
  const relay = await syncedWithChildRelay({ pingMs: 300, answerMs: 1000 });
  // Idle and answered: a ping every 300 ms, a pong each time, still synced.
  relay.forget();
  relay.freeze();
  const dropped = await relay.stateWhere((s) => s.kind === 'offline');
  expect(dropped).toMatchObject({
    reason: 'the relay did not answer for 1 s',
  });
  relay.thaw();
  relay.forget();
  await relay.stateWhere((s) => s.kind === 'synced');
  // What was written while it was found dead goes once it is back.
  await relay.log.append('doc/a', { type: 'test.note', data: { n: 2 } });
  relay.client.pushLocal();
  await relay.readBack();
});

it('answers a ping with a pong, and drops a connection that says nothing between its pings', async () => {
  const server = await startRelayServer({
    dataDir: tempDir(),
    pingIntervalMs: 100,
  });
  cleanups.push(() => server.stop());
  const { logId, token } = await server.relay.createLog();
  const join = async (autoPong: boolean) => {
    const peer = await openPeer(server.url, { autoPong });
    peer.ws.send(helloFrame(logId, token));
    expect(await peer.next()).toMatchObject({
      message: { type: 'welcome', ping: true },
    });
    return peer;
  };
  const alive = await join(true);
  let pings = 0;
  alive.ws.on('ping', () => pings++);
  alive.ws.send(JSON.stringify({ type: 'ping' }));
  expect(await alive.next()).toEqual({ message: { type: 'pong' } });

  // A client gone silent (it answers no ping frame, and sends nothing) is dropped.
  const silent = await join(false);
  expect((await silent.closed).closed).toBe(1006);
  // The one that answers is kept, ping after ping.
  const seen = pings;
  await new Promise<void>((resolve) =>
    alive.ws.on('ping', () => pings >= seen + 3 && resolve()),
  );
  expect(alive.ws.readyState).toBe(alive.ws.OPEN);
  expect(server.relay.stats().connections).toBe(1);
  alive.ws.close();
});
