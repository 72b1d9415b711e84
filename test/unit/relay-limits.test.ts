// The relay's bounds against hostile clients, each in its own test, with a relay in
// this process: its own accounting (RelayStats) is what is checked here; the memory
// of a relay process under all of them at once is checked in relay-memory.test.ts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { openLog, type Log, type LogEvent } from '../../src/index.ts';
import { CLOSE, encodeMessage } from '../../src/sync/messages.ts';
import {
  connectToRelay,
  type SocketLike,
  type SyncState,
} from '../../src/sync/relay-client.ts';
import type { RelayOptions } from '../../server/relay.ts';
import { dropLog, pgStore } from '../../server/pg-store.ts';
import {
  helloFrame,
  openPeer,
  startRelayServer,
  syncWithRelay,
  type RawPeer,
} from '../support/relay-peer.ts';
import { collect } from '../support/records.ts';

const database = inject('databaseUrl');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function relayWith(options: Omit<RelayOptions, 'dataDir'>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'forkline-limits-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const server = await startRelayServer({ dataDir, ...options });
  cleanups.push(server.stop);
  const log = await server.relay.createLog();
  return { ...server, ...log, dataDir };
}

function syncClient(
  log: Log,
  relay: { url: string; logId: string; token: string },
) {
  const states: SyncState[] = [];
  const client = syncWithRelay(log, relay, states);
  cleanups.push(() => client.close());
  return { client, states };
}

async function connected(
  url: string,
  logId: string,
  token: string,
): Promise<RawPeer> {
  const peer = await openPeer(url);
  cleanups.push(() => peer.ws.terminate());
  peer.ws.send(helloFrame(logId, token));
  expect(await peer.next()).toMatchObject({ message: { type: 'welcome' } });
  return peer;
}

/** `count` events of about `size` bytes each, by one writer. */
async function eventsOf(actor: string, count: number, size: number) {
  const log = await openLog({ actor });
  for (let i = 0; i < count; i++)
    await log.append('doc/load', {
      type: 'test.load',
      data: { i, pad: 'x'.repeat(size) },
    });
  return collect(log.since({}));
}

const until = (check: () => boolean | Promise<boolean>) =>
  expect.poll(check, { timeout: 20_000, interval: 10 }).toBe(true);

/** A well-behaved pair keeps syncing through the relay: a write reaches the reader. */
async function stillServed(relay: {
  url: string;
  logId: string;
  token: string;
}) {
  const writer = await openLog();
  const reader = await openLog();
  const { client } = syncClient(writer, relay);
  syncClient(reader, relay);
  const [appended] = await writer.append('doc/served', {
    type: 'test.ping',
    data: 'still here',
  });
  client.pushLocal();
  await until(async () => (await reader.get(appended!.event.id)) !== undefined);
}

describe('a relay with clients that do not read', () => {
  it('sends each no more than its buffer bound, closes it when it makes no progress, and keeps serving the others', async () => {
    const maxBufferedBytes = 64 * 1024;
    const relay = await relayWith({ maxBufferedBytes, stalledMs: 1000 });
    const sleepers = await Promise.all(
      [1, 2, 3].map(() => connected(relay.url, relay.logId, relay.token)),
    );
    for (const sleeper of sleepers) sleeper.ws.pause();
    const writer = await openLog({ actor: 'writer' });
    const reader = await openLog({ actor: 'reader' });
    const { client } = syncClient(writer, relay);
    syncClient(reader, relay);
    for (let i = 0; i < 100; i++) {
      await writer.append('doc/load', {
        type: 'test.load',
        data: { i, pad: 'x'.repeat(20_000) },
      });
      client.pushLocal();
    }
    await until(async () => {
      const [w, r] = await Promise.all([
        writer.versionVector(),
        reader.versionVector(),
      ]);
      return w.writer === r.writer;
    });
    // The sleepers owe acks and never send them: closed, leaving the two others.
    await until(() => relay.relay.stats().connections === 2);
    const largestEvent = Math.max(
      ...(await collect(writer.since({}))).map((e) =>
        Buffer.byteLength(JSON.stringify(e)),
      ),
    );
    expect(relay.relay.stats().peakBufferedBytes).toBeLessThanOrEqual(
      maxBufferedBytes + 2 * largestEvent,
    );
  });
});

describe('a relay flooded with frames', () => {
  it('stops reading a client past its queue bound, and serves the others meanwhile', async () => {
    const maxQueuedBytes = 128 * 1024;
    const relay = await relayWith({
      messagesPerSecond: 100_000,
      maxQueuedBytes,
      maxQueuedBytesTotal: 1024 * 1024,
    });
    const events = await eventsOf('flooder', 8, 8_000);
    const frame = encodeMessage({ type: 'events', id: 1, events });
    const flooder = await connected(relay.url, relay.logId, relay.token);
    let acks = 0;
    flooder.ws.on('message', (data) => {
      if (String(data).startsWith('{"type":"ack"')) acks++;
    });
    for (let i = 0; i < 150; i++) flooder.ws.send(frame);
    await stillServed(relay);
    await until(() => acks === 150);
    // A paused socket still hands over what ws had already read: one chunk of 64 KiB.
    expect(relay.relay.stats().peakQueuedBytes).toBeLessThanOrEqual(
      maxQueuedBytes + frame.length + 64 * 1024,
    );
    expect(relay.relay.stats().queuedBytes).toBe(0);
  });

  it('reads no faster than the byte rate from a client under the message rate', async () => {
    let clock = 1_000_000;
    const bytesPerSecond = 256 * 1024;
    const relay = await relayWith({ bytesPerSecond, now: () => clock });
    const events = await eventsOf('flooder', 8, 7_000);
    const frame = encodeMessage({ type: 'events', id: 1, events });
    const flooder = await connected(relay.url, relay.logId, relay.token);
    let acks = 0;
    flooder.ws.on('message', (data) => {
      if (String(data).startsWith('{"type":"ack"')) acks++;
    });
    // 40 frames of 56 KB: under the 200-message burst, twice the 1 MiB byte burst.
    for (let i = 0; i < 40; i++) flooder.ws.send(frame);
    const burst = Math.floor((4 * bytesPerSecond) / frame.length);
    // Past the frame that overdrew the bucket, a paused socket still hands over what
    // ws had already read (one chunk of 64 KiB, as above): on a loaded machine that
    // chunk completes a frame or two more.
    const read = Math.ceil((64 * 1024) / frame.length);
    const throttledAfter = async (least: number) => {
      await until(
        () => acks >= least && relay.relay.stats().throttledConnections === 1,
      );
      expect(relay.relay.stats().queuedBytes).toBe(0);
    };
    // A burst's worth, and the frame that overdrew the bucket; then nothing while the clock stands.
    await throttledAfter(burst);
    expect(acks).toBeLessThanOrEqual(burst + 1 + read);
    await stillServed(relay);
    expect(acks).toBeLessThanOrEqual(burst + 1 + read);
    // A minute refills the bucket to its burst, never beyond.
    clock += 60_000;
    await throttledAfter(2 * burst - 1);
    expect(acks).toBeLessThanOrEqual(2 * burst + 2 + read);
    clock += 60_000;
    await until(() => acks === 40);
    expect(flooder.ws.readyState).toBe(WebSocket.OPEN);
  });
});

describe('a relay receiving many connections', () => {
  it('refuses connections past its caps, per address and overall, at the upgrade', async () => {
    const relay = await relayWith({
      maxConnections: 5,
      maxConnectionsPerAddress: 3,
    });
    const from = (localAddress: string) =>
      openPeer(relay.url, { localAddress }).then((peer) => {
        cleanups.push(() => peer.ws.terminate());
        return peer;
      });
    for (let i = 0; i < 3; i++) await from('127.0.0.1');
    await expect(from('127.0.0.1')).rejects.toMatchObject({ statusCode: 503 });
    await from('127.0.0.2');
    const last = await from('127.0.0.2');
    await expect(from('127.0.0.3')).rejects.toMatchObject({ statusCode: 503 });
    expect(relay.relay.stats().connections).toBe(5);
    last.ws.close();
    await until(() => relay.relay.stats().connections === 4);
    await from('127.0.0.3');
  });

  it('counts the clients a trusted proxy names, and believes no one else', async () => {
    const relay = await relayWith({
      maxConnectionsPerAddress: 2,
      trustedProxies: ['127.0.0.1'],
    });
    const from = (localAddress: string, forwardedFor: string) =>
      openPeer(relay.url, {
        localAddress,
        headers: { 'x-forwarded-for': forwardedFor },
      }).then((peer) => {
        cleanups.push(() => peer.ws.terminate());
        return peer;
      });
    // Through the proxy (127.0.0.1), each client is its own address...
    for (const client of ['198.51.100.1', '198.51.100.2', '198.51.100.3'])
      for (let i = 0; i < 2; i++) await from('127.0.0.1', client);
    await expect(from('127.0.0.1', '198.51.100.1')).rejects.toMatchObject({
      statusCode: 503,
    });
    // ...and one that writes a header of its own is still counted by the
    // address the proxy appended.
    await expect(
      from('127.0.0.1', '203.0.113.50, 198.51.100.2'),
    ).rejects.toMatchObject({ statusCode: 503 });
    // A peer that is not the proxy is itself, whatever it claims.
    await from('127.0.0.2', '203.0.113.1');
    await from('127.0.0.2', '203.0.113.2');
    await expect(from('127.0.0.2', '203.0.113.3')).rejects.toMatchObject({
      statusCode: 503,
    });
    expect(relay.relay.stats().connections).toBe(8);
  });

  it('refuses a trusted proxy that is not an IP address, before opening anything', async () => {
    await expect(
      relayWith({ trustedProxies: ['proxy.internal'] }),
    ).rejects.toThrow(/trusted-proxy.*IP address/);
  });
});

describe('a relay log that nobody uses', () => {
  it('is closed once idle, and reopened with everything in it when a client comes back', async () => {
    const relay = await relayWith({ idleLogMs: 20 });
    const writer = await openLog({ actor: 'writer' });
    await writer.append('doc/a', [
      { type: 't', data: 1 },
      { type: 't', data: 2 },
    ]);
    const first = syncClient(writer, relay);
    await until(() => first.states.at(-1)?.kind === 'synced');
    expect(relay.relay.stats().openLogs).toBe(1);
    first.client.close();
    await until(() => relay.relay.stats().openLogs === 0);
    const reader = await openLog({ actor: 'reader' });
    const second = syncClient(reader, relay);
    await until(() => second.states.at(-1)?.kind === 'synced');
    expect(await reader.versionVector()).toEqual({ writer: 2 });
    expect(relay.relay.stats().openLogs).toBe(1);
  });
});

describe.each(['files', 'postgres'] as const)(
  'a relay log at its quota (%s)',
  (store) => {
    /** The ids the relay stored in the log, read from its file or its rows. */
    async function storedIds(relay: {
      dataDir: string;
      logId: string;
    }): Promise<string[]> {
      if (store === 'files')
        return readFileSync(join(relay.dataDir, `${relay.logId}.jsonl`), 'utf8')
          .split('\n')
          .filter((l) => l.length > 0)
          .map((l) => (JSON.parse(l) as LogEvent).id);
      const pool = new pg.Pool({ connectionString: database, max: 1 });
      try {
        const log = await openLog({
          store: pgStore(pool, relay.logId),
          actor: 'check',
        });
        const ids = (await collect(log.since({}))).map((e) => e.id);
        await log.close();
        return ids;
      } finally {
        await dropLog(pool, relay.logId);
        await pool.end();
      }
    }

    it.each([
      ['events', { maxLogEvents: 5 }, 'log full: it may hold at most 5 events'],
      [
        'bytes',
        { maxLogBytes: 3 * 2_300 },
        'log full: it may hold at most 6900 bytes',
      ],
    ] as const)(
      'refuses a batch past its %s with 4007, storing none of it',
      async (_what, quota, reason) => {
        const said: string[] = [];
        const relay = await relayWith({
          ...quota,
          ...(store === 'postgres' ? { database } : {}),
          say: (message) => said.push(message),
        });
        const events = await eventsOf('writer', 6, 2_000);
        const peer = await connected(relay.url, relay.logId, relay.token);
        peer.ws.send(
          encodeMessage({ type: 'events', id: 1, events: events.slice(0, 3) }),
        );
        expect(await peer.next()).toMatchObject({ message: { type: 'ack' } });
        peer.ws.send(
          encodeMessage({ type: 'events', id: 2, events: events.slice(3) }),
        );
        expect(await peer.next()).toEqual({ closed: CLOSE.logFull, reason });
        // The operator hears of it once, however often its clients come back.
        const again = await connected(relay.url, relay.logId, relay.token);
        again.ws.send(
          encodeMessage({ type: 'events', id: 1, events: events.slice(3) }),
        );
        expect(await again.closed).toEqual({ closed: CLOSE.logFull, reason });
        expect(said.filter((line) => line.includes(' is full '))).toEqual([
          expect.stringMatching(
            new RegExp(
              `^log ${relay.logId} is full \\(at most .*\\): batches past it are refused with 4007 until --relay-limit raises maxLog(Events|Bytes)$`,
            ),
          ),
        ]);
        expect(await storedIds(relay)).toEqual(
          events.slice(0, 3).map((e) => e.id),
        );
      },
    );
  },
);

describe("the app's sync client, refused after the relay's welcome", () => {
  const waits = (states: SyncState[], kind: SyncState['kind']) =>
    states.flatMap((s) =>
      s.kind === kind && 'retryInMs' in s ? [s.retryInMs] : [],
    );

  it('backs off from a full log as from an unreachable relay, and says what the relay said', async () => {
    const relay = await relayWith({ maxLogEvents: 3 });
    const log = await openLog();
    cleanups.push(() => log.close());
    for (let i = 0; i < 5; i++)
      await log.append('doc/full', { type: 'test.full', data: { i } });
    const { states } = syncClient(log, relay);
    await until(() => waits(states, 'interrupted').length >= 5);
    // Bounds of 20, 40, 80, 160 and 200 ms, each wait a random 0.5–1 of its bound:
    // before, every welcome started the bound over, and the client asked again
    // within 20 ms, with the same refused batch, for as long as it ran.
    const [, second, , fourth, fifth] = waits(states, 'interrupted');
    expect(second).toBeGreaterThanOrEqual(20);
    expect(fourth).toBeGreaterThanOrEqual(80);
    expect(fifth).toBeGreaterThanOrEqual(100);
    expect(states.find((s) => s.kind === 'interrupted')).toMatchObject({
      reason: 'log full: it may hold at most 3 events',
    });
    expect(states.some((s) => s.kind === 'offline')).toBe(false);
  });

  it('connects at once when asked to retry now, and only while a retry waits', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'forkline-retry-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    let server = await startRelayServer({ dataDir });
    const { logId, token } = await server.relay.createLog();
    const port = server.port;
    await server.stop();
    const log = await openLog();
    cleanups.push(() => log.close());
    const states: SyncState[] = [];
    let sockets = 0;
    const client = connectToRelay(log, {
      url: server.url,
      logId,
      token,
      createSocket: (url) => {
        sockets++;
        return new WebSocket(url) as unknown as SocketLike;
      },
      onState: (s) => states.push(s),
      // Far longer than the test: only retryNow can bring the next try.
      minDelayMs: 600_000,
      maxDelayMs: 600_000,
    });
    cleanups.push(() => client.close());
    await until(() => states.some((s) => s.kind === 'offline'));
    expect(sockets).toBe(1);
    server = await startRelayServer({ dataDir }, port);
    cleanups.push(() => server.stop());
    client.retryNow();
    await until(() => states.some((s) => s.kind === 'synced'));
    expect(sockets).toBe(2);
    // Connected: nothing waits, so asking again opens nothing.
    client.retryNow();
    expect(sockets).toBe(2);
  });

  it('starts its backoff over once a connection has synced', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'forkline-backoff-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    let server = await startRelayServer({ dataDir });
    const { logId, token } = await server.relay.createLog();
    const port = server.port;
    const log = await openLog();
    cleanups.push(() => log.close());
    await log.append('doc/backoff', { type: 'test.backoff', data: {} });
    const { states } = syncClient(log, { url: server.url, logId, token });
    cleanups.push(() => server.stop());
    const synced = () => states.filter((s) => s.kind === 'synced').length;
    await until(() => synced() >= 1);
    // Down long enough for the bound to grow, then back, and synced again.
    await server.stop();
    await until(() => waits(states, 'offline').length >= 4);
    server = await startRelayServer({ dataDir }, port);
    const before = states.length;
    await until(() => states.slice(before).some((s) => s.kind === 'synced'));
    const grown = waits(states, 'offline').at(-1)!;
    expect(grown).toBeGreaterThanOrEqual(40);
    const seen = states.length;
    await server.stop();
    await until(() => states.slice(seen).some((s) => s.kind === 'offline'));
    const [first] = waits(states.slice(seen), 'offline');
    expect(first).toBeLessThanOrEqual(20);
  });
});
