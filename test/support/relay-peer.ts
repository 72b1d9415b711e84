import { createServer } from 'node:http';
import WebSocket from 'ws';
import { encodeMessage, PROTOCOL } from '../../src/sync/messages.ts';
import type { Log, VersionVector } from '../../src/log/types.ts';
import {
  connectToRelay,
  type RelayClient,
  type RelayClientOptions,
  type SocketLike,
  type SyncState,
} from '../../src/sync/relay-client.ts';
import {
  createRelay,
  type Relay,
  type RelayOptions,
} from '../../server/relay.ts';

export type PeerReply =
  { message: Record<string, unknown> } | { closed: number; reason: string };

/** A raw protocol connection: the test writes the frames and reads every reply. */
export interface RawPeer {
  ws: WebSocket;
  /** The next message, or how the connection closed (which every later call sees too). */
  next(): Promise<PeerReply>;
  /** Resolves with how the connection closed. */
  closed: Promise<{ closed: number; reason: string }>;
}

/** Opens a connection to `url`; rejects when the relay refuses the upgrade (its HTTP status). */
export function openPeer(
  url: string,
  options: WebSocket.ClientOptions = {},
): Promise<RawPeer> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    const inbox: PeerReply[] = [];
    let waiting: (() => void) | undefined;
    let closedWith!: (c: { closed: number; reason: string }) => void;
    const closed = new Promise<{ closed: number; reason: string }>(
      (r) => (closedWith = r),
    );
    const put = (item: PeerReply) => {
      inbox.push(item);
      waiting?.();
    };
    ws.on('message', (data) => put({ message: JSON.parse(String(data)) }));
    ws.on('close', (code, reason) => {
      const c = { closed: code, reason: String(reason) };
      closedWith(c);
      put(c);
    });
    ws.on('error', () => undefined);
    ws.on('unexpected-response', (_request, response) =>
      reject(
        Object.assign(new Error(`upgrade refused: ${response.statusCode}`), {
          statusCode: response.statusCode,
        }),
      ),
    );
    ws.on('open', () =>
      resolve({
        ws,
        closed,
        async next() {
          while (inbox.length === 0)
            await new Promise<void>((r) => (waiting = r));
          return 'closed' in inbox[0]! ? inbox[0]! : inbox.shift()!;
        },
      }),
    );
  });
}

export const helloFrame = (
  logId: string,
  token: string,
  vector: VersionVector = {},
) =>
  encodeMessage({
    type: 'hello',
    protocol: PROTOCOL,
    log: logId,
    token,
    vector,
  });

export interface RelayServer {
  relay: Relay;
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** A relay behind an HTTP server on 127.0.0.1, in this process. */
export async function startRelayServer(
  options: RelayOptions,
  port = 0,
): Promise<RelayServer> {
  const relay = await createRelay({ say: () => undefined, ...options });
  const server = createServer();
  relay.attach(server);
  await new Promise<void>((resolve) =>
    server.listen(port, '127.0.0.1', resolve),
  );
  const bound = (server.address() as { port: number }).port;
  return {
    relay,
    port: bound,
    url: `ws://127.0.0.1:${bound}/sync`,
    async stop() {
      await relay.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The app's own sync client for `log`, through a `ws` socket, with short backoff so a
 * test sees reconnects quickly; every state it reports is pushed onto `states`.
 */
export function syncWithRelay(
  log: Log,
  relay: { url: string; logId: string; token: string },
  states: SyncState[] = [],
  /** Options of the test's own, over these. */
  overrides: Partial<RelayClientOptions> = {},
): RelayClient {
  return connectToRelay(log, {
    ...relay,
    createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
    onState: (s) => states.push(s),
    minDelayMs: 20,
    maxDelayMs: 200,
    ...overrides,
  });
}
