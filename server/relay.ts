import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import type { IncomingMessage, Server } from 'node:http';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  CLOSE,
  decodeMessage,
  encodeMessage,
  MAX_MESSAGE_BYTES,
  ProtocolError,
} from '../src/sync/messages.ts';
import { SyncSession } from '../src/sync/sync-session.ts';
import { openFileLog, type FileLog } from './file-log.ts';

export interface RelayOptions {
  dataDir: string;
  /** Messages a connection may send per second, sustained (bursts of 4x allowed). */
  messagesPerSecond?: number;
  /** How long a connection may take to say hello. */
  helloTimeoutMs?: number;
  say?: (message: string) => void;
}

export interface Relay {
  /** Creates a log; the token is returned once and only its hash is kept. */
  createLog(): Promise<{ logId: string; token: string }>;
  /** Serves the sync protocol on `path` of an HTTP server. */
  attach(server: Server, path?: string): void;
  /** Closes every connection and log file. */
  close(): Promise<void>;
}

interface OpenLog {
  file: FileLog;
  sessions: Set<SyncSession>;
}

const hashToken = (token: string) =>
  createHash('sha256').update(token, 'utf8').digest();

/**
 * The relay: just another replica. Each log is a verified, append-only JSON Lines
 * file loaded into the same engine the browser runs; clients sync with it by
 * version vector and receive each other's events live.
 */
export async function createRelay(options: RelayOptions): Promise<Relay> {
  const say = options.say ?? ((m: string) => console.log(`relay: ${m}`));
  await mkdir(options.dataDir, { recursive: true });
  const logs = new Map<string, Promise<OpenLog>>();
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
  });
  const metaPath = (logId: string) =>
    join(options.dataDir, `${logId}.meta.json`);

  const openLogFile = (logId: string) => {
    let entry = logs.get(logId);
    if (!entry) {
      entry = openFileLog(join(options.dataDir, `${logId}.jsonl`), say).then(
        (file) => ({ file, sessions: new Set() }),
      );
      logs.set(logId, entry);
      entry.catch(() => logs.delete(logId));
    }
    return entry;
  };

  async function authorize(logId: string, token: string): Promise<void> {
    let meta: { tokenHash: string };
    try {
      meta = JSON.parse(await readFile(metaPath(logId), 'utf8'));
    } catch {
      throw new ProtocolError(
        CLOSE.unknownLog,
        `no log "${logId}" on this relay`,
      );
    }
    const expected = Buffer.from(meta.tokenHash, 'hex');
    const given = hashToken(token);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw new ProtocolError(CLOSE.unauthorized, 'wrong token for this log');
    }
  }

  function serve(ws: WebSocket, request: IncomingMessage): void {
    sockets.add(ws);
    const rate = options.messagesPerSecond ?? 50;
    let allowance = rate * 4;
    let last = Date.now();
    let session: SyncSession | undefined;
    let entry: OpenLog | undefined;
    let queue: Promise<void> = Promise.resolve();
    const refuse = (error: unknown) => {
      const e =
        error instanceof ProtocolError
          ? error
          : new ProtocolError(1011, 'internal error');
      if (!(error instanceof ProtocolError))
        say(`internal error: ${(error as Error).stack ?? error}`);
      ws.close(e.closeCode, e.message.slice(0, 120));
    };
    const helloTimer = setTimeout(
      () => refuse(new ProtocolError(CLOSE.badMessage, 'no hello')),
      options.helloTimeoutMs ?? 10_000,
    );

    ws.on('message', (data, isBinary) => {
      const now = Date.now();
      allowance = Math.min(rate * 4, allowance + ((now - last) / 1000) * rate);
      last = now;
      if (--allowance < 0)
        return refuse(new ProtocolError(CLOSE.tooFast, 'too many messages'));
      if (isBinary)
        return refuse(
          new ProtocolError(
            CLOSE.badMessage,
            'binary frames are not part of the protocol',
          ),
        );
      const text = data.toString();
      if (session) {
        void session.receive(text);
        return;
      }
      queue = queue
        .then(async () => {
          if (session) return void session.receive(text);
          const hello = decodeMessage(text);
          if (hello.type !== 'hello')
            throw new ProtocolError(CLOSE.badMessage, 'say hello first');
          await authorize(hello.log, hello.token);
          clearTimeout(helloTimer);
          entry = await openLogFile(hello.log);
          const log = entry.file.log;
          const mine: SyncSession = new SyncSession(
            log,
            {
              send: (t) => ws.send(t),
              close: (code, reason) => ws.close(code, reason),
            },
            hello.vector,
            {
              // Stored and durable: every other client of this log gets it now.
              onIngested: () =>
                entry!.sessions.forEach(
                  (other) => other !== mine && void other.push(),
                ),
            },
          );
          session = mine;
          entry.sessions.add(mine);
          ws.send(
            encodeMessage({
              type: 'welcome',
              vector: await log.versionVector(),
            }),
          );
          await mine.push();
        })
        .catch(refuse);
    });
    ws.on('close', () => {
      clearTimeout(helloTimer);
      sockets.delete(ws);
      if (session) {
        session.close();
        entry?.sessions.delete(session);
      }
    });
    ws.on('error', (error) =>
      say(`connection from ${request.socket.remoteAddress}: ${error.message}`),
    );
  }

  return {
    async createLog() {
      const logId = randomBytes(12).toString('base64url');
      const token = randomBytes(24).toString('base64url');
      await writeFile(
        metaPath(logId),
        JSON.stringify({
          tokenHash: hashToken(token).toString('hex'),
          createdAt: new Date().toISOString(),
        }),
        { flag: 'wx' },
      );
      return { logId, token };
    },
    attach(server, path = '/sync') {
      server.on('upgrade', (request, socket, head) => {
        if (new URL(request.url ?? '/', 'http://relay').pathname !== path)
          return socket.destroy();
        wss.handleUpgrade(request, socket, head, (ws) => serve(ws, request));
      });
    },
    async close() {
      for (const ws of sockets)
        ws.close(CLOSE.shuttingDown, 'relay shutting down');
      wss.close();
      for (const entry of logs.values())
        await (await entry.catch(() => undefined))?.file.close();
      logs.clear();
    },
  };
}
