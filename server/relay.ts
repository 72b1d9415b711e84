import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { LogClosedError } from '../src/log/errors.ts';
import {
  CLOSE,
  MAX_MESSAGE_BYTES,
  ProtocolError,
} from '../src/sync/messages.ts';
import { parseTrustedProxies, requestAddress } from './client-address.ts';
import { ByteBudget, ConnectionCount } from './flow-control.ts';
import { LogRegistry, type LogSlot } from './log-registry.ts';
import { LogQuotaError, StorageFailedError } from './relay-errors.ts';
import { fileStorage, postgresStorage } from './relay-storage.ts';
import { SharedBatches } from './shared-batches.ts';
import { isPeerUrl } from './log-writers.ts';
import { MAX_PEER_FRAME_BYTES, PEER_PATH } from './peer-link.ts';
import { ServerOptionError } from './request-policy.ts';
import {
  serveConnection,
  type ConnectionLimits,
  type ConnectionGauges,
} from './relay-connection.ts';

/** A full log is reported to the operator at most this often. */
const FULL_NOTICE_MS = 10 * 60_000;
/** Full logs whose last report is remembered. */
const NOTICE_LOGS = 1024;

export interface RelayOptions {
  /** Where logs are kept as files, when no database is given. */
  dataDir: string;
  /**
   * A PostgreSQL connection URL: logs and tokens are kept there instead, and any
   * number of relays over the same database serve the same logs.
   */
  database?: string;
  /**
   * Where other relays over the same database reach this one (ws://host:port or
   * wss://), or a function giving it once the relay listens. Given, this relay may
   * become the one relay that writes a log several relays serve, the others sending
   * it their clients' batches (docs/scaling.md, "One writer per log"). Without it,
   * it sends its batches to a log's writer all the same, or writes them itself.
   */
  peerUrl?: string | (() => string | undefined);
  /** Messages a connection may send per second, sustained (bursts of 4x allowed); more closes it (4004). */
  messagesPerSecond?: number;
  /**
   * Bytes a connection may send per second, sustained (bursts of 4x); past that the
   * relay stops reading from it until time pays the debt back.
   */
  bytesPerSecond?: number;
  /** Bytes received from one connection and not yet handled: past this its reading pauses. */
  maxQueuedBytes?: number;
  /** The same over every connection. */
  maxQueuedBytesTotal?: number;
  /** Bytes waiting in a connection's send buffer past which nothing more is sent, or read, until it drains. */
  maxBufferedBytes?: number;
  /** How long a send buffer may stay past maxBufferedBytes before the connection is closed (4006). */
  stalledMs?: number;
  /** Open connections, overall; more are refused at the upgrade with HTTP 503. */
  maxConnections?: number;
  /** Open connections from one remote address; more are refused with HTTP 503. */
  maxConnectionsPerAddress?: number;
  /**
   * Proxies (IP addresses) whose X-Forwarded-For names the client, so that the
   * per-address limit counts clients rather than the load balancer in front.
   */
  trustedProxies?: readonly string[];
  /** Bytes one log's file may hold; a batch past it is refused (4007). */
  maxLogBytes?: number;
  /** Events one log may hold; a batch past it is refused (4007). */
  maxLogEvents?: number;
  /** A log no client has used for this long is closed and leaves memory (reopened on demand). */
  idleLogMs?: number;
  /** How long a connection may take to say hello. */
  helloTimeoutMs?: number;
  /**
   * The relay pings each connection this often; one that has said nothing since
   * the last ping (not even the pong every WebSocket sends by itself) is dropped.
   */
  pingIntervalMs?: number;
  /** The clock rate limits run on (ms since the epoch); tests pass their own. */
  now?: () => number;
  say?: (message: string) => void;
}

/** Defaults of RelayOptions (docs/sync-protocol.md, "Limits"). */
export const RELAY_DEFAULTS = {
  messagesPerSecond: 50,
  bytesPerSecond: 4 * 1024 * 1024,
  maxQueuedBytes: 2 * MAX_MESSAGE_BYTES,
  maxQueuedBytesTotal: 64 * 1024 * 1024,
  maxBufferedBytes: 1024 * 1024,
  stalledMs: 30_000,
  maxConnections: 1024,
  maxConnectionsPerAddress: 128,
  maxLogBytes: 256 * 1024 * 1024,
  maxLogEvents: 1_000_000,
  idleLogMs: 60_000,
  helloTimeoutMs: 10_000,
  pingIntervalMs: 30_000,
} as const;

/** What the relay holds now: for operators and for tests of its bounds. */
export interface RelayStats {
  connections: number;
  openLogs: number;
  /** Received, not yet handled, over every connection. */
  queuedBytes: number;
  /** Waiting in send buffers, over every connection. */
  bufferedBytes: number;
  /** The most ever received and unhandled at once, over every connection. */
  peakQueuedBytes: number;
  /** The largest send buffer any one connection ever had. */
  peakBufferedBytes: number;
  /** Connections not read from now, being over their byte rate. */
  throttledConnections: number;
  /** Batches of this relay's clients stored by the relay that writes their log. */
  forwardedBatches: number;
  /** Batches other relays sent here, as the writer of their log, and stored. */
  peerBatches: number;
}

export interface Relay {
  /** Creates a log; the token is returned once and only its hash is kept. */
  createLog(): Promise<{ logId: string; token: string }>;
  /** Serves the sync protocol on `path` of an HTTP server. */
  attach(server: Server, path?: string): void;
  stats(): RelayStats;
  /** Closes every connection and log file. */
  close(): Promise<void>;
}

const hashToken = (token: string) =>
  createHash('sha256').update(token, 'utf8').digest();

/** Compared against when a log does not exist, so that case takes the same work. */
const NO_LOG_HASH = hashToken(randomBytes(24).toString('base64url'));

/**
 * The relay: just another replica. Its logs are verified, append-only JSON Lines
 * files loaded into the same engine the browser runs, or, given `database`, rows in
 * PostgreSQL that the engine reads through (any number of relays over one database
 * serve the same logs). Clients sync with it by version vector and receive each
 * other's events live. Everything a client can make it hold is bounded
 * (RelayOptions): what it queues to read and to send, its rates, the connections,
 * the logs' sizes and how long an unused log stays open.
 * @throws ServerOptionError for a trusted proxy that is not an IP address; whatever
 *   creating the data directory, or connecting to and migrating the database, throws
 */
export async function createRelay(options: RelayOptions): Promise<Relay> {
  const say = options.say ?? ((m: string) => console.log(`relay: ${m}`));
  const limits = { ...RELAY_DEFAULTS, ...definedOnly(options) };
  const trustedProxies = parseTrustedProxies(options.trustedProxies ?? []);
  const logLimits = {
    maxBytes: limits.maxLogBytes,
    maxEvents: limits.maxLogEvents,
  };
  const { peerUrl } = options;
  if (typeof peerUrl === 'string' && !isPeerUrl(peerUrl))
    throw new ServerOptionError(
      'peer-url',
      peerUrl,
      'give the ws:// or wss:// URL other relays reach this one at, with no path',
    );
  if (peerUrl !== undefined && !options.database)
    say(
      'a peer URL is for relays over one database (--database): over files, this relay is the only one, and it is not used',
    );
  const storage = options.database
    ? await postgresStorage(
        options.database,
        logLimits,
        say,
        typeof peerUrl === 'function' ? peerUrl : () => peerUrl,
      )
    : await fileStorage(options.dataDir, logLimits, say);
  const registry = new LogRegistry({
    open: (logId, stored) => storage.open(logId, stored),
    idleMs: limits.idleLogMs,
    say,
  });
  // Another relay over the same database stored events: this one's sessions of the
  // log are sent what they lack.
  await storage.watch((logId, at) => void registry.moved(logId, at));
  const budget = new ByteBudget(limits.maxQueuedBytesTotal);
  const gauges: ConnectionGauges = { peakBufferedBytes: 0, throttled: 0 };
  const batches = new SharedBatches();
  const count = new ConnectionCount(
    limits.maxConnections,
    limits.maxConnectionsPerAddress,
  );
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
  });
  const peers = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_PEER_FRAME_BYTES,
  });

  /**
   * An unknown log and a wrong token are one answer, reached by the same work, so a
   * stranger cannot learn which log ids exist.
   * @throws ProtocolError 4001; an error reading the log's metadata otherwise
   */
  async function authorize(logId: string, token: string): Promise<void> {
    const expected = await storage.tokenHash(logId);
    const given = hashToken(token);
    const known = expected?.length === given.length;
    const same = timingSafeEqual(known ? expected! : NO_LOG_HASH, given);
    if (!known || !same)
      throw new ProtocolError(CLOSE.unauthorized, 'unknown log or wrong token');
  }

  /**
   * When each full log was last reported to the operator: its clients retry (with
   * backoff) as long as they are open, and each refusal said was a line a minute
   * or more per client. At most NOTICE_LOGS are remembered, the oldest forgotten.
   */
  const fullSaid = new Map<string, number>();
  const sayFull = (logId: string, error: LogQuotaError) => {
    const now = (options.now ?? Date.now)();
    const last = fullSaid.get(logId);
    if (last !== undefined && now - last < FULL_NOTICE_MS) return;
    fullSaid.delete(logId);
    fullSaid.set(logId, now);
    if (fullSaid.size > NOTICE_LOGS)
      fullSaid.delete(fullSaid.keys().next().value!);
    say(
      `log ${logId} is full (at most ${error.max} ${error.limit}): batches past it are refused with 4007 until --relay-limit raises ${error.limit === 'events' ? 'maxLogEvents' : 'maxLogBytes'}`,
    );
  };

  /** A failed ingest as the client is told it: storage and quota are not its fault. */
  function refusalOf(error: unknown, slot: LogSlot): unknown {
    if (error instanceof StorageFailedError) {
      say(error.message);
      // The file holds a fragment: drop the log, whose next load cuts it off.
      if (!error.recovered)
        registry.retire(
          slot,
          CLOSE.storageFailed,
          'relay storage failed, retry later',
        );
      return new ProtocolError(
        CLOSE.storageFailed,
        'relay storage failed, retry later',
      );
    }
    if (error instanceof LogQuotaError) {
      sayFull(slot.logId, error);
      return new ProtocolError(
        CLOSE.logFull,
        `log full: it may hold at most ${error.max} ${error.limit}`,
      );
    }
    if (error instanceof LogClosedError)
      return new ProtocolError(CLOSE.shuttingDown, 'log closed, reconnect');
    return error;
  }

  const connectionLimits: ConnectionLimits = limits;

  return {
    async createLog() {
      const logId = randomBytes(12).toString('base64url');
      const token = randomBytes(24).toString('base64url');
      await storage.createLog(logId, hashToken(token));
      return { logId, token };
    },
    attach(server, path = '/sync') {
      server.on(
        'upgrade',
        (request: IncomingMessage, socket: Duplex, head: Buffer) => {
          const at = new URL(request.url ?? '/', 'http://relay').pathname;
          const peer = at === PEER_PATH && storage.servePeer !== undefined;
          if (at !== path && !peer) return socket.destroy();
          socket.on('error', () => socket.destroy());
          const address = requestAddress(request, trustedProxies);
          const refused = count.admit(address);
          if (refused !== undefined) {
            socket.end(
              `HTTP/1.1 503 Service Unavailable\r\nretry-after: 10\r\nconnection: close\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(refused)}\r\n\r\n${refused}`,
            );
            return;
          }
          // Counted until the socket closes, whether the upgrade succeeds or not.
          socket.once('close', () => count.release(address));
          (peer ? peers : wss).handleUpgrade(request, socket, head, (ws) => {
            sockets.add(ws);
            ws.once('close', () => sockets.delete(ws));
            if (peer)
              return storage.servePeer!(
                ws,
                (logId) => registry.pushTo(logId),
                (message) => say(`peer link from ${address}: ${message}`),
              );
            serveConnection(ws, socket, {
              limits: connectionLimits,
              budget,
              gauges,
              batches,
              now: options.now ?? Date.now,
              registry,
              authorize,
              refusalOf,
              say: (message) => say(`connection from ${address}: ${message}`),
            });
          });
        },
      );
    },
    stats() {
      let bufferedBytes = 0;
      for (const ws of sockets) bufferedBytes += ws.bufferedAmount;
      const peers = storage.peerCounts();
      return {
        connections: count.size,
        openLogs: registry.size,
        queuedBytes: budget.bytes,
        bufferedBytes,
        peakQueuedBytes: budget.peak,
        peakBufferedBytes: gauges.peakBufferedBytes,
        throttledConnections: gauges.throttled,
        forwardedBatches: peers.forwarded,
        peerBatches: peers.forPeers,
      };
    },
    async close() {
      const closed = [...sockets].map((ws) =>
        once(ws, 'close').catch(() => undefined),
      );
      for (const ws of sockets)
        ws.close(CLOSE.shuttingDown, 'relay shutting down');
      wss.close();
      peers.close();
      // A client that does not read never answers the close: it is cut off after a grace.
      let grace: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all(closed),
        new Promise((resolve) => (grace = setTimeout(resolve, 1000))),
      ]);
      clearTimeout(grace);
      for (const ws of sockets) ws.terminate();
      await registry.closeAll();
      await storage.close();
    },
  };
}

/** Options given as undefined keep their defaults. */
function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}
