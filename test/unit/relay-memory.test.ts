// The relay's memory under hostile clients, measured honestly: the relay runs in a
// process of its own, and its memory (live heap after a full collection, and its
// peak RSS) is compared with a bound stated from its limits while clients that
// never read, flood it with frames and bytes, open too many connections and leave
// logs idle all act at once, and a well-behaved pair keeps syncing through it.
// `npm test` runs a light load; `npm run fuzz` (RELAY_LOAD=heavy) a heavier one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openLog, type LogEvent } from '../../src/index.ts';
import { encodeMessage } from '../../src/sync/messages.ts';
import {
  connectToRelay,
  type SocketLike,
} from '../../src/sync/relay-client.ts';
import type { RelayOptions } from '../../server/relay.ts';
import { removeRelayBundle, startChildRelay } from '../support/child-relay.ts';
import { helloFrame, openPeer, type RawPeer } from '../support/relay-peer.ts';
import { collect } from '../support/records.ts';
import { seeded } from '../support/seeded.ts';

const MiB = 1024 * 1024;
const heavy = process.env.RELAY_LOAD === 'heavy';
const load = heavy
  ? { logMiB: 48, sleepers: 24, floodFrames: 240, storm: 64 }
  : { logMiB: 16, sleepers: 8, floodFrames: 60, storm: 32 };

const limits: Omit<RelayOptions, 'dataDir'> = {
  maxBufferedBytes: 256 * 1024,
  maxQueuedBytes: 2 * MiB,
  maxQueuedBytesTotal: 8 * MiB,
  bytesPerSecond: 2 * MiB,
  messagesPerSecond: 200,
  maxConnections: 256,
  maxConnectionsPerAddress: 16,
  // The sleepers stay connected while memory is measured: what they cost is the point.
  stalledMs: 120_000,
  helloTimeoutMs: 120_000,
  idleLogMs: 200,
};

/**
 * What the relay may hold beyond its start with `connections` open: each log's events
 * twice (the parsed events and their text), the encoding cache, every connection's
 * send bound plus one event, and the queued total; plus 24 MiB for code, caches and
 * fragments.
 */
function boundFor(connections: number): number {
  const logBytes = load.logMiB * MiB + 2 * MiB;
  return (
    2 * logBytes +
    8 * MiB +
    connections * (limits.maxBufferedBytes! + 300_000) +
    limits.maxQueuedBytesTotal! +
    24 * MiB
  );
}
/** The connections the test holds at most: the pair, the uploader, the sleepers, the
 * 16 of the storm let in, the visitor, the spammer and the flooder. */
const mostConnections = 2 + 1 + load.sleepers + 16 + 3;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(removeRelayBundle);

const until = (check: () => boolean | Promise<boolean>, timeout = 120_000) =>
  expect.poll(check, { timeout, interval: 20 }).toBe(true);

/** Events of about `size` bytes of data each, by `actor`, `count` of them. */
async function bigEvents(actor: string, count: number, size: number) {
  const log = await openLog({ actor });
  for (let i = 0; i < count; i++)
    await log.append('doc/load', {
      type: 'test.load',
      data: { i, pad: String.fromCharCode(97 + (i % 26)).repeat(size) },
    });
  return collect(log.since({}));
}

/** Sends `events` in frames of `per` events, each after the last is acknowledged. */
async function upload(peer: RawPeer, events: LogEvent[], per: number) {
  for (let i = 0; i < events.length; i += per) {
    peer.ws.send(
      encodeMessage({
        type: 'events',
        id: i + 1,
        events: events.slice(i, i + per),
      }),
    );
    for (;;) {
      const reply = await peer.next();
      if ('closed' in reply) throw new Error(`upload closed: ${reply.reason}`);
      if (reply.message.type === 'ack') break;
    }
  }
}

describe('the relay process under hostile clients', () => {
  it(`holds its memory under the bound its limits state (${heavy ? 'heavy' : 'light'} load), and keeps serving a well-behaved pair`, async () => {
    const seed = Number(process.env.FC_SEED ?? Date.now() % 1_000_000);
    const random = seeded(seed);
    const dataDir = mkdtempSync(join(tmpdir(), 'forkline-memory-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    // The relay's heap is capped at the bound plus what it starts with, as an operator
    // caps it: uncapped, V8 lets garbage grow to several times the live heap before a
    // full collection, further on a busy machine (peak RSS 108 to 183 MiB above the
    // start in one seed's runs), and the peak measured V8's pacing, not the relay. A
    // relay that needs more than the bound still fails: it runs out of heap.
    const caps = {
      heapMiB: Math.ceil(boundFor(mostConnections) / MiB) + 32,
      semiSpaceMiB: 4,
    };
    const relay = await startChildRelay({ dataDir, ...limits }, caps);
    cleanups.push(() => relay.stop());
    const shared = await relay.createLog();
    const flooded = await relay.createLog();
    const idle = await relay.createLog();
    const peer = async (
      log: { logId: string; token: string },
      localAddress = '127.0.0.1',
    ) => {
      const p = await openPeer(relay.url, { localAddress });
      cleanups.push(() => p.ws.terminate());
      p.ws.send(helloFrame(log.logId, log.token));
      expect(await p.next()).toMatchObject({ message: { type: 'welcome' } });
      return p;
    };

    // A well-behaved pair, synced once so that every code path is loaded.
    const writer = await openLog({ actor: 'pair-writer' });
    const reader = await openLog({ actor: 'pair-reader' });
    const pair = [writer, reader].map((log) => {
      const client = connectToRelay(log, {
        url: relay.url,
        ...shared,
        createSocket: (u) => new WebSocket(u) as unknown as SocketLike,
        minDelayMs: 20,
        maxDelayMs: 500,
      });
      cleanups.push(() => client.close());
      return client;
    });
    const converged = async () =>
      isDeepStrictEqual(
        await writer.versionVector(),
        await reader.versionVector(),
      );
    await writer.append('doc/pair', { type: 'test.ping', data: 0 });
    pair[0]!.pushLocal();
    await until(converged);
    const before = await relay.memory();

    // The shared log grows by logMiB while the pair keeps syncing.
    const uploader = await peer(shared);
    const events = await bigEvents(
      'uploader',
      Math.round((load.logMiB * MiB) / 100_000),
      100_000,
    );
    // Frames of 1 to 3.9 MB: the relay's batches to the others are cut differently.
    const uploading = upload(uploader, events, 10 + Math.floor(random() * 30));
    const pinging = (async () => {
      for (let i = 1; i <= 20; i++) {
        await writer.append('doc/pair', { type: 'test.ping', data: i });
        pair[0]!.pushLocal();
        if (random() < 0.3) await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await uploading;
    // Clients that never read: they say hello, holding nothing, and stop reading. The
    // relay owes each the whole log.
    const sleepers: RawPeer[] = [];
    for (let i = 0; i < load.sleepers; i++) {
      const sleeper = await peer(shared, `127.0.0.${2 + (i % 4)}`);
      sleeper.ws.pause();
      sleepers.push(sleeper);
    }
    // Too many connections from one address: past 16, refused at the upgrade.
    const storm = await Promise.allSettled(
      Array.from({ length: load.storm }, () =>
        openPeer(relay.url, { localAddress: '127.0.0.9' }).then((p) => {
          cleanups.push(() => p.ws.terminate());
          return p;
        }),
      ),
    );
    expect(storm.filter((s) => s.status === 'fulfilled')).toHaveLength(16);
    // A log used once, then left.
    const visitor = await peer(idle, '127.0.0.6');
    await upload(visitor, await bigEvents('visitor', 20, 100_000), 20);
    visitor.ws.close();
    // A flood of frames: too many messages, closed for it.
    const spammer = await peer(flooded, '127.0.0.7');
    for (let i = 0; i < 2000; i++)
      spammer.ws.send(
        JSON.stringify({ type: 'events', id: i + 1, events: [] }),
      );
    // A byte flood under the message rate: 1 MB frames, read no faster than the byte rate.
    const flood = encodeMessage({
      type: 'events',
      id: 1,
      events: await bigEvents('flooder', 10, 100_000),
    });
    const flooder = await peer(flooded, '127.0.0.8');
    flooder.ws.pause();
    for (let i = 0; i < load.floodFrames; i++) flooder.ws.send(flood);
    await pinging;
    await until(
      async () =>
        (await converged()) &&
        (await reader.versionVector()).uploader === events.length,
    );

    const after = await relay.memory();
    const stats = await relay.stats();
    const connections = stats.connections;
    const bound = boundFor(connections);
    const live =
      after.heapUsed + after.external - (before.heapUsed + before.external);
    console.info(
      `relay memory (seed ${seed}, ${heavy ? 'heavy' : 'light'}): live +${(live / MiB).toFixed(1)} MiB, ` +
        `peak RSS ${(after.maxRss / MiB).toFixed(1)} MiB (from ${(before.rss / MiB).toFixed(1)}), ` +
        `bound +${(bound / MiB).toFixed(1)} MiB live, ${connections} connections`,
    );
    expect(live, `seed ${seed}`).toBeLessThan(bound);
    // Peak RSS also counts garbage not yet collected, which V8 lets fill the heap it
    // is given: the old space up to its cap and the young generation's three
    // semi-spaces. What lives outside the heap (buffers, frames) is within the bound.
    // A busy CI run measured 196.7 MiB above the start against a check of twice the
    // bound (182 MiB), with the young generation at V8's default of 3 x 16 MiB.
    expect(after.maxRss - before.rss, `seed ${seed}`).toBeLessThan(
      (caps.heapMiB + 3 * caps.semiSpaceMiB) * MiB + bound,
    );
    // The idle log left memory; the flood of frames was cut off.
    await until(async () => (await relay.stats()).openLogs === 2);
    expect(await spammer.closed).toMatchObject({ closed: 4004 });
  }, 600_000);
});
