import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { computeEventId, LIMITS, openLog, type Log } from '../../src/index.ts';
import {
  encodeEvent,
  encodeMessage,
  EVENTS_ENVELOPE_BYTES,
  MAX_MESSAGE_BYTES,
  maxEncodedEventBytes,
} from '../../src/sync/messages.ts';
import {
  connectToRelay,
  type SocketLike,
  type SyncState,
} from '../../src/sync/relay-client.ts';
import {
  helloFrame,
  openPeer,
  startRelayServer,
} from '../support/relay-peer.ts';
import { collect } from '../support/records.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const wireBytes = (text: string) => Buffer.byteLength(text, 'utf8');

describe('the largest event a log accepts', () => {
  it('fits in one sync message, by the limits and as encoded', async () => {
    expect(maxEncodedEventBytes() + EVENTS_ENVELOPE_BYTES + 1).toBeLessThan(
      MAX_MESSAGE_BYTES,
    );
    const log = await openLog({ actor: 'a'.repeat(LIMITS.actorLength) });
    // Lone surrogates are written as 6-byte escapes, a CJK character as 3 bytes.
    const name = '\ud800'.repeat(LIMITS.nameLength);
    // As many heads as an event may name: roots by as many writers, all concurrent.
    const hlc = `${Date.now().toString(16).padStart(12, '0')}.0000`;
    const time = new Date().toISOString();
    await log.ingest(
      Array.from({ length: LIMITS.maxParents }, (_, i) => {
        const body = {
          stream: name,
          type: 't',
          data: i,
          parents: [],
          actor: `root-${i}`,
          seq: 1,
          hlc,
          time,
        };
        return { id: computeEventId(body), ...body };
      }),
    );
    const [widest] = await log.append(name, {
      type: name,
      author: name,
      data: '中'.repeat(LIMITS.maxDataBytes - 2),
    });
    const [bytes] = await log.append(name, {
      type: name,
      author: name,
      data: new Uint8Array(LIMITS.maxDataBytes).fill(255),
    });
    expect(widest!.event.parents).toHaveLength(LIMITS.maxParents);
    for (const { event } of [widest!, bytes!]) {
      const encoded = encodeEvent(event);
      expect(encoded.bytes).toBe(wireBytes(encoded.text));
      expect(encoded.bytes).toBeLessThanOrEqual(maxEncodedEventBytes());
      const message = encodeMessage({
        type: 'events',
        id: Number.MAX_SAFE_INTEGER,
        events: [event],
      });
      expect(wireBytes(message)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    }
  });
});

describe('sync of large events through a relay', () => {
  it('completes with equal version vectors, and says synced only once both sides hold everything', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'forkline-large-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const { relay, url, stop } = await startRelayServer({ dataDir });
    cleanups.push(stop);
    const { logId, token } = await relay.createLog();

    const writer = await openLog({ actor: 'writer' });
    // Six events of about 1 MB: bytes (base64 on the wire) and JSON text.
    for (let i = 0; i < 6; i++) {
      const data =
        i % 2 === 0
          ? new Uint8Array(1_000_000).map((_, j) => (i * 7 + j) & 0xff)
          : { i, text: 'é'.repeat(500_000) };
      await writer.append('doc/big', { type: 'test.large', data });
    }
    const everything = await writer.versionVector();

    /** Connects `log`, noting its vector as it was whenever the client said "synced". */
    const connect = (log: Log) => {
      const states: SyncState[] = [];
      const vectorsWhenSynced: Promise<Record<string, number>>[] = [];
      const client = connectToRelay(log, {
        url,
        logId,
        token,
        createSocket: (u) => new WebSocket(u) as unknown as SocketLike,
        onState: (s) => {
          states.push(s);
          if (s.kind === 'synced') vectorsWhenSynced.push(log.versionVector());
        },
        minDelayMs: 20,
        maxDelayMs: 200,
      });
      cleanups.push(() => client.close());
      return { states, vectorsWhenSynced };
    };

    const up = connect(writer);
    await expect
      .poll(() => up.states.some((s) => s.kind === 'synced'), {
        timeout: 20_000,
      })
      .toBe(true);
    // The writer said synced: the relay holds everything.
    const probe = await openPeer(url);
    probe.ws.send(helloFrame(logId, token, everything));
    expect(await probe.next()).toEqual({
      message: { type: 'welcome', vector: everything, ping: true },
    });
    probe.ws.close();
    expect(up.states.filter((s) => s.kind === 'offline')).toEqual([]);

    const reader = await openLog({ actor: 'reader' });
    const down = connect(reader);
    await expect
      .poll(() => down.states.some((s) => s.kind === 'synced'), {
        timeout: 20_000,
      })
      .toBe(true);
    expect(await reader.versionVector()).toEqual(everything);
    for (const vector of await Promise.all(down.vectorsWhenSynced))
      expect(vector).toEqual(everything);
    expect(down.states.filter((s) => s.kind === 'offline')).toEqual([]);
    expect((await collect(reader.read('doc/big'))).map((e) => e.id)).toEqual(
      (await collect(writer.read('doc/big'))).map((e) => e.id),
    );
  }, 60_000);
});
