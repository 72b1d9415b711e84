import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { openLog, toCloudEvent, type LogEvent } from '../../src/index.ts';
import { openFileLog } from '../../server/file-log.ts';
import { dropLog } from '../../server/pg-store.ts';
import { createRelay, type Relay } from '../../server/relay.ts';
import { collect } from '../support/records.ts';
import { helloFrame, openPeer } from '../support/relay-peer.ts';
import { PROTOCOL } from '../../src/sync/messages.ts';

let relay: Relay;
let server: Server;
let url: string;
let dataDir: string;
let logId: string;
let token: string;
let other: { logId: string; token: string };

/** Opens a raw connection, sends `frames`, and resolves with how the relay closed it. */
function attempt(
  frames: (string | Buffer)[],
): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.on('open', () => {
      ws.send(helloFrame(logId, token));
      for (const frame of frames) ws.send(frame);
    });
    ws.on('close', (code, reason) =>
      resolve({ code, reason: reason.toString() }),
    );
    ws.on('error', () => undefined);
  });
}

async function validEvents(): Promise<LogEvent[]> {
  const log = await openLog({ actor: 'attacker' });
  await log.append('doc/x', [
    { type: 't', data: 1 },
    { type: 't', data: 2 },
  ]);
  return collect(log.since({}));
}

const eventsFrame = (events: unknown[]) =>
  JSON.stringify({ type: 'events', id: 1, events });

// The same refusals over each store a relay keeps logs in.
const database = inject('databaseUrl');
describe.each(['files', 'postgres'] as const)(
  'the relay under hostile input (%s)',
  (store) => {
    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'forkline-hostile-'));
      relay = await createRelay({
        dataDir,
        ...(store === 'postgres' ? { database } : {}),
        say: () => undefined,
        messagesPerSecond: 20,
      });
      server = createServer();
      relay.attach(server);
      await new Promise<void>((resolve) =>
        server.listen(0, '127.0.0.1', resolve),
      );
      url = `ws://127.0.0.1:${(server.address() as { port: number }).port}/sync`;
      ({ logId, token } = await relay.createLog());
      other = await relay.createLog();
    });
    afterAll(async () => {
      await relay.close();
      server.closeAllConnections();
      server.close();
      rmSync(dataDir, { recursive: true, force: true });
      if (store === 'postgres') {
        const pool = new pg.Pool({ connectionString: database, max: 1 });
        for (const id of [logId, other.logId]) await dropLog(pool, id);
        await pool.end();
      }
    });

    it.each([
      ['malformed JSON', async () => ['{"type":'], 4000, /malformed JSON/],
      [
        'an unknown message type',
        async () => [JSON.stringify({ type: 'shell', cmd: 'rm -rf /' })],
        4000,
        /unknown message type/,
      ],
      ['a binary frame', async () => [Buffer.from([1, 2, 3])], 4000, /binary/],
      [
        'a forged id',
        async () => {
          const [a, b] = await validEvents();
          return [
            eventsFrame([toCloudEvent(a!), { ...toCloudEvent(b!), data: 666 }]),
          ];
        },
        4003,
        /ID_MISMATCH/,
      ],
      [
        'an unknown parent',
        async () => {
          const [, b] = await validEvents();
          return [eventsFrame([toCloudEvent(b!)])];
        },
        4003,
        /MISSING_DEPENDENCY/,
      ],
      [
        'an event with a __proto__ key',
        async () => {
          const [a] = await validEvents();
          return [
            eventsFrame([
              {
                ...toCloudEvent(a!),
                data: JSON.parse('{"__proto__":{"admin":true}}'),
              },
            ]),
          ];
        },
        4003,
        /__proto__/,
      ],
      [
        'an oversized message',
        async () => [eventsFrame([{ pad: 'x'.repeat(5 * 1024 * 1024) }])],
        1009,
        /.*/,
      ],
      [
        'a flood of messages',
        async () =>
          Array.from({ length: 200 }, (_, i) =>
            JSON.stringify({ type: 'events', id: i + 1, events: [] }),
          ),
        4004,
        /too many messages/,
      ],
      [
        // Each is answered, and counts against the rate like any message.
        'a flood of pings',
        async () =>
          Array.from({ length: 200 }, () => JSON.stringify({ type: 'ping' })),
        4004,
        /too many messages/,
      ],
    ] as const)(
      'closes only the connection that sent %s, storing nothing',
      async (_what, frames, code, reason) => {
        const closed = await attempt(await frames());
        expect(
          closed.code === code || (code === 4004 && closed.code === 4000),
        ).toBe(true);
        expect(closed.reason).toMatch(reason);
        // Still serving, and nothing was stored.
        const probe = await openLog({ actor: 'probe' });
        const welcome = await new Promise<{ vector: Record<string, number> }>(
          (resolve) => {
            const ws = new WebSocket(url);
            ws.on('open', async () =>
              ws.send(helloFrame(logId, token, await probe.versionVector())),
            );
            ws.on('message', (data) => {
              resolve(JSON.parse(String(data)));
              ws.close();
            });
          },
        );
        expect(welcome.vector).toEqual({});
      },
    );

    /** How the relay closes a connection whose hello names `log` with `token`. */
    const refusal = (log: string, token: string) =>
      new Promise<{ code: number; reason: string }>((resolve) => {
        const ws = new WebSocket(url);
        ws.on('open', () => ws.send(helloFrame(log, token)));
        ws.on('close', (code, r) => resolve({ code, reason: r.toString() }));
      });

    it('refuses a client that names another log with its own token', async () => {
      expect(await refusal(other.logId, token)).toEqual({
        code: 4001,
        reason: 'unknown log or wrong token',
      });
    });

    it('gives the same close code and reason for an unknown log as for a wrong token', async () => {
      const wrongToken = await refusal(logId, 'not-the-token');
      const unknownLog = await refusal('nosuchlog', 'not-the-token');
      const unknownWithRealToken = await refusal('nosuchlog', token);
      expect(wrongToken).toEqual({
        code: 4001,
        reason: 'unknown log or wrong token',
      });
      expect(unknownLog).toEqual(wrongToken);
      expect(unknownWithRealToken).toEqual(wrongToken);
    });

    it('sends a client whose hello claims odd actors and impossible seqs exactly what its claims leave out, and serves others as before', async () => {
      const target = await relay.createLog();
      const writers = await Promise.all(
        ['w1', 'w2'].map((actor) => openLog({ actor })),
      );
      for (const [i, w] of writers.entries())
        await w.append(
          'doc/x',
          Array.from({ length: 3 + i }, (_, k) => ({ type: 't', data: k })),
        );
      const stored = (
        await Promise.all(writers.map((w) => collect(w.since({}))))
      ).flat();
      const writer = await openPeer(url);
      writer.ws.send(helloFrame(target.logId, target.token));
      expect(await writer.next()).toMatchObject({
        message: { type: 'welcome' },
      });
      writer.ws.send(eventsFrame(stored.map((e) => toCloudEvent(e))));
      expect(await writer.next()).toMatchObject({ message: { type: 'ack' } });
      writer.ws.close();

      /** Event ids a client that says hello with `vector` (as JSON text) is sent. */
      const sentFor = async (vector: string, count: number) => {
        const peer = await openPeer(url);
        peer.ws.send(
          `{"type":"hello","protocol":${PROTOCOL},"log":"${target.logId}","token":"${target.token}","vector":${vector}}`,
        );
        const ids: string[] = [];
        while (ids.length < count) {
          const reply = await peer.next();
          if (!('message' in reply))
            throw new Error(`closed: ${JSON.stringify(reply)}`);
          const { type, events } = reply.message as {
            type: string;
            events?: { id: string }[];
          };
          if (type === 'events') ids.push(...events!.map((e) => e.id));
        }
        peer.ws.close();
        return ids;
      };
      const byActor = (actor: string, from: number) =>
        stored
          .filter((e) => e.actor === actor && e.seq > from)
          .map((e) => e.id);
      // It claims all of w2 and more, w1 up to 1, and actors the log never had
      // (prototype names, a seq past any real one).
      expect(
        await sentFor(
          `{"__proto__":7,"constructor":3,"w1":1,"w2":${Number.MAX_SAFE_INTEGER},"ghost":5}`,
          2,
        ),
      ).toEqual(byActor('w1', 1));
      // A client claiming nothing is sent everything, in the order stored.
      expect(await sentFor('{}', stored.length)).toEqual(
        stored.map((e) => e.id),
      );
      await Promise.all(writers.map((w) => w.close()));
      if (store === 'postgres') {
        const pool = new pg.Pool({ connectionString: database, max: 1 });
        await dropLog(pool, target.logId);
        await pool.end();
      }
    });

    it.runIf(store === 'files')(
      'cuts a torn last line at start and keeps everything before it',
      async () => {
        const path = join(dataDir, 'torn.jsonl');
        const events = await validEvents();
        appendFileSync(
          path,
          events.map((e) => JSON.stringify(toCloudEvent(e)) + '\n').join('') +
            '{"specversion":"1.0","id":"tor',
        );
        const said: string[] = [];
        const file = await openFileLog(path, (m) => said.push(m));
        expect(await file.log.versionVector()).toEqual({ attacker: 2 });
        expect(said[0]).toMatch(/cut a torn last line/);
        await file.close();
        expect(readFileSync(path, 'utf8').endsWith('\n')).toBe(true);
      },
    );

    it.runIf(store === 'files')(
      'keeps the conflicts of merges peers sent, and lists the same ones after a restart',
      async () => {
        const path = join(dataDir, 'merges.jsonl');
        const a = await openLog({ actor: 'peer-a' });
        const b = await openLog({ actor: 'peer-b' });
        const [base] = await a.append('doc/x', { type: 't', data: 0 });
        await b.ingest(await collect(a.since({})));
        await a.append('doc/x', { type: 't', data: 1 });
        await b.append('doc/x', { type: 't', data: 2 });
        await a.ingest(await collect(b.since(await a.versionVector())));
        await a.append('doc/x', { type: 't', data: 'merge' });
        // One peer's fork is left open: a second, unresolved conflict.
        await b.append(
          'doc/x',
          { type: 't', data: 3 },
          { expected: [base!.event.id] },
        );
        const events = [
          ...(await collect(a.since({}))),
          ...(await collect(b.since(await a.versionVector()))),
        ];
        const expected = await (async () => {
          const reference = await openLog({ actor: 'reference' });
          await reference.ingest(events);
          return reference.conflicts('doc/x');
        })();
        expect(expected.map((c) => c.state)).toEqual([
          'resolved',
          'unresolved',
        ]);
        const first = await openFileLog(path, () => undefined);
        await first.log.ingest(events);
        expect(await first.log.conflicts('doc/x')).toEqual(expected);
        await first.close();
        const reopened = await openFileLog(path, () => undefined);
        expect(await reopened.log.conflicts('doc/x')).toEqual(expected);
        await reopened.close();
      },
    );
  },
);
