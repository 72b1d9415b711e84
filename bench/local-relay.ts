import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { openLog, type Log, type VersionVector } from '../src/index.ts';
import {
  connectToRelay,
  type RelayClient,
  type SocketLike,
  type SyncState,
} from '../src/sync/relay-client.ts';
import { createRelay } from '../server/relay.ts';
import { cleanUp } from './browser-session.ts';
import { withTimeout } from './browser/bench-data.ts';

/**
 * The relay refuses a connection sending more than 50 messages/s by default. A
 * benchmark client acks every batch the relay sends it, so with many writers its
 * acks alone exceed that: the limit is raised out of the way.
 */
export const BENCH_MESSAGES_PER_SECOND = 1_000_000;

/** The relay's acks start like this (encodeMessage keeps `type` first). */
const ACK_PREFIX = Buffer.from('{"type":"ack"');

/** A relay on a free loopback port, with its data in a temporary directory. */
export interface LocalRelay {
  createLog(): Promise<{ logId: string; token: string }>;
  /** A client writing as `actor` to `logId`, connected and past its first sync. */
  connect(
    target: { logId: string; token: string; actor: string },
    hooks: ClientHooks,
  ): Promise<BenchClient>;
  /** Closes the relay and its server, then deletes the data directory. */
  close(): Promise<void>;
}

export interface ClientHooks {
  /** The client stored events from the relay (connectToRelay's onIngested). */
  onIngested(log: Log): void;
  /** The relay acknowledged a batch and said what it holds. */
  onRelayVector(vector: VersionVector): void;
}

export interface BenchClient {
  log: Log;
  sync: RelayClient;
  close(): Promise<void>;
}

/** Connections and first syncs are fast on loopback; this only bounds a hang. */
const CONNECT_TIMEOUT = 10_000;

/**
 * Starts `createRelay` behind an HTTP server on 127.0.0.1, in this process.
 * @throws whatever the relay or the server threw; what did start is closed first.
 */
export async function startLocalRelay(
  note: (message: string) => void,
): Promise<LocalRelay> {
  const dataDir = await mkdtemp(join(tmpdir(), 'forkline-bench-relay-'));
  const server = createServer();
  const closing: (() => Promise<unknown>)[] = [];
  const close = () =>
    cleanUp(note, ...closing.splice(0), () =>
      rm(dataDir, { recursive: true, force: true }),
    );
  try {
    const relay = await createRelay({
      dataDir,
      messagesPerSecond: BENCH_MESSAGES_PER_SECOND,
      say: (message) => note(`relay: ${message}`),
    });
    closing.push(
      () => relay.close(),
      async () => {
        server.closeAllConnections();
        if (server.listening)
          await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    );
    relay.attach(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as { port: number };
    const url = `ws://127.0.0.1:${port}/sync`;
    return {
      createLog: () => relay.createLog(),
      connect: (target, hooks) =>
        connectClient({ url, ...target }, hooks, note),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

async function connectClient(
  target: { url: string; logId: string; token: string; actor: string },
  hooks: ClientHooks,
  note: (message: string) => void,
): Promise<BenchClient> {
  const { actor, ...relay } = target;
  const log = await openLog({ actor });
  let synced!: () => void;
  let refused!: (error: Error) => void;
  const firstSync = new Promise<void>((resolve, reject) => {
    synced = resolve;
    refused = reject;
  });
  // A benchmark's connections never drop on their own: say so when one does.
  const onState = (state: SyncState) => {
    if (state.kind === 'synced') synced();
    if (state.kind === 'refused') refused(new Error(state.reason));
    if (state.kind === 'offline' || state.kind === 'refused')
      note(`${actor} is ${state.kind}: ${state.reason}`);
  };
  let socket: WebSocket | undefined;
  const sync = connectToRelay(log, {
    ...relay,
    createSocket(url) {
      socket = new WebSocket(url);
      // A second listener, beside the client's own: only acks are parsed here.
      socket.on('message', (data: Buffer) => {
        if (data.subarray(0, ACK_PREFIX.length).equals(ACK_PREFIX))
          hooks.onRelayVector(JSON.parse(data.toString()).vector);
      });
      return socket as unknown as SocketLike;
    },
    onState,
    onIngested: () => hooks.onIngested(log),
  });
  const client: BenchClient = {
    log,
    sync,
    async close() {
      sync.close();
      // A closing socket may still deliver a message, which the client would
      // handle with its log: the log closes after the socket does.
      if (socket && socket.readyState !== WebSocket.CLOSED)
        await withTimeout(once(socket, 'close'), CONNECT_TIMEOUT, 'closing');
      await log.close();
    },
  };
  try {
    await withTimeout(firstSync, CONNECT_TIMEOUT, 'connecting to the relay');
    return client;
  } catch (error) {
    await client.close();
    throw error;
  }
}
