import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Duplex } from 'node:stream';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { parseTrustedProxies, requestAddress } from './client-address.ts';
import { creationLimiter, type CreationLimits } from './creation-limit.ts';
import { createRelay, type Relay } from './relay.ts';
import type { RelayLimits } from './relay-limits.ts';
import {
  bearerMatches,
  contentSecurityPolicy,
  hostAllowList,
  isLoopback,
  originAllowed,
  parsePublicHosts,
  parseRelayOrigins,
  ServerOptionError,
  withPolicyMeta,
} from './request-policy.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
};

/** Shorter admin secrets are refused: one that can be guessed protects nothing. */
const MIN_SECRET_LENGTH = 16;

export interface AppServerOptions {
  /** The built app (vite build's outDir). */
  root: string;
  /** Where the relay keeps logs as files, when no database is given. */
  dataDir: string;
  /** A PostgreSQL connection URL: the relay keeps logs and tokens there instead. */
  database?: string;
  /**
   * With a database: where other relays reach this server (`ws://host:port`), so
   * that it may write a log for them (RelayOptions.peerUrl). Its host is one this
   * server answers to.
   */
  peerUrl?: string;
  host?: string;
  port?: number;
  /**
   * Relays on other servers the page may connect to (`ws://host[:port]` or
   * `wss://host[:port]`): the CSP's connect-src holds 'self' and these, nothing else.
   */
  relayOrigins?: readonly string[];
  /** Names the server is reached by besides loopback and `host` (`name` or `name:port`). */
  publicHosts?: readonly string[];
  /**
   * Let pages compile WebAssembly ('wasm-unsafe-eval'). The app has none; only the
   * benchmarks' peer page, which runs Automerge beside it, asks for this.
   */
  wasm?: boolean;
  /** When set, POST /api/logs needs `Authorization: Bearer <adminSecret>`. */
  adminSecret?: string;
  creationLimits?: CreationLimits;
  /** The relay's limits where they differ from RELAY_DEFAULTS (server/relay.ts). */
  relayLimits?: RelayLimits;
  /**
   * Proxies (IP addresses) whose X-Forwarded-For names the client: the per-address
   * limits (connections, log creation) then count clients, not the load balancer.
   */
  trustedProxies?: readonly string[];
  /** The clock the creation limits run on (milliseconds); tests pass their own. */
  now?: () => number;
  say?: (message: string) => void;
}

export interface AppServer {
  url: string;
  server: Server;
  relay: Relay;
  close(): Promise<void>;
}

const json = (response: ServerResponse, status: number, body: object) =>
  response
    .writeHead(status, { 'content-type': 'application/json' })
    .end(JSON.stringify(body));

/**
 * One process for `npm start`: the built page, the relay's WebSocket at /sync, and
 * POST /api/logs to create a shared log (its token is in the answer, once).
 *
 * Every response carries the page's security headers (CSP with frame-ancestors
 * 'none', X-Frame-Options, Referrer-Policy, nosniff). A request whose Host is not a
 * name this server answers to is refused (421), WebSocket upgrades included, which
 * stops DNS rebinding. Creating a log refuses another site's Origin (403), is rate
 * limited (429 with Retry-After) and, with an admin secret, needs it (401).
 * @throws ServerOptionError for a relay origin, public host, trusted proxy or admin secret that cannot be used
 */
export async function startAppServer(
  options: AppServerOptions,
): Promise<AppServer> {
  const root = resolve(options.root);
  const say = options.say ?? ((m: string) => console.log(m));
  const listenHost = options.host ?? '127.0.0.1';
  const relayOrigins = parseRelayOrigins(options.relayOrigins ?? []);
  const publicHosts = parsePublicHosts([
    ...(options.publicHosts ?? []),
    // Checked as a URL by createRelay, below.
    ...(options.peerUrl && URL.canParse(options.peerUrl)
      ? [new URL(options.peerUrl).host]
      : []),
  ]);
  const adminSecret = options.adminSecret || undefined;
  if (adminSecret !== undefined && adminSecret.length < MIN_SECRET_LENGTH)
    throw new ServerOptionError(
      'admin-secret',
      '…',
      `an admin secret has at least ${MIN_SECRET_LENGTH} characters`,
    );
  const policy = contentSecurityPolicy(relayOrigins, {
    wasm: options.wasm ?? false,
  });
  const securityHeaders = {
    'content-security-policy': policy.header,
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
  };
  const mayCreate = creationLimiter(options.creationLimits, options.now);
  const trustedProxies = parseTrustedProxies(options.trustedProxies ?? []);
  const relay = await createRelay({
    ...options.relayLimits,
    dataDir: options.dataDir,
    trustedProxies: options.trustedProxies ?? [],
    ...(options.database ? { database: options.database } : {}),
    ...(options.peerUrl ? { peerUrl: options.peerUrl } : {}),
    ...(options.say ? { say: options.say } : {}),
  });
  // Known once listening: the port is part of every loopback name.
  let hostAllowed: (host: string | undefined) => boolean = () => false;

  async function serveFile(
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    const path = decodeURIComponent(
      new URL(request.url ?? '/', 'http://app').pathname,
    );
    let file = normalize(join(root, path));
    // Never outside the built app, whatever ../ or encoded tricks the path holds.
    if (file !== root && !file.startsWith(root + sep)) {
      response.writeHead(403).end();
      return;
    }
    let info = await stat(file).catch(() => undefined);
    if (info?.isDirectory()) {
      file = join(file, 'index.html');
      info = await stat(file).catch(() => undefined);
    }
    if (!info) {
      // The app has one page: unknown paths get it, as the service worker's navigation fallback does.
      file = join(root, 'index.html');
      info = await stat(file).catch(() => undefined);
      if (!info) {
        response.writeHead(404).end('not built: run npm start');
        return;
      }
    }
    const html = file.endsWith('.html');
    const headers = {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control':
        html || file.endsWith('sw.js')
          ? 'no-cache'
          : 'public, max-age=31536000, immutable',
    };
    if (html) {
      // The page's meta policy says what the header says, and the page reads its
      // connect-src to know which relays it may offer to join.
      const page = Buffer.from(
        withPolicyMeta(await readFile(file, 'utf8'), policy.meta),
      );
      response
        .writeHead(200, { ...headers, 'content-length': page.length })
        .end(page);
      return;
    }
    response.writeHead(200, { ...headers, 'content-length': info.size });
    createReadStream(file).pipe(response);
  }

  function createLogFor(request: IncomingMessage, response: ServerResponse) {
    const origin = request.headers.origin;
    // Browsers send Origin with every POST; a request without one is not from a
    // web page (curl, a script), which the admin secret, when set, governs.
    if (origin !== undefined && !originAllowed(origin, hostAllowed)) {
      json(response, 403, {
        error: `cross-site request refused: a page on ${origin} may not create logs on this relay`,
      });
      return;
    }
    const verdict = mayCreate(requestAddress(request, trustedProxies));
    if (!verdict.allowed) {
      response.setHeader('retry-after', String(verdict.retryAfterSeconds));
      json(response, 429, {
        error: `${verdict.reason}; try again in ${verdict.retryAfterSeconds} s`,
      });
      return;
    }
    if (
      adminSecret !== undefined &&
      !bearerMatches(request.headers.authorization, adminSecret)
    ) {
      response.setHeader('www-authenticate', 'Bearer realm="forkline"');
      json(response, 401, {
        error: 'this relay needs its admin secret to create logs',
      });
      return;
    }
    relay.createLog().then(
      (created) => json(response, 201, created),
      () => response.writeHead(500).end(),
    );
  }

  const server = createServer((request, response) => {
    for (const [name, value] of Object.entries(securityHeaders))
      response.setHeader(name, value);
    if (!hostAllowed(request.headers.host)) {
      json(response, 421, {
        error: `this server does not answer to the host "${request.headers.host ?? ''}"; its operator can add the name with --public-host`,
      });
      return;
    }
    const path = new URL(request.url ?? '/', 'http://app').pathname;
    if (request.method === 'POST' && path === '/api/logs') {
      createLogFor(request, response);
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405).end();
      return;
    }
    serveFile(request, response).catch(() => response.writeHead(500).end());
  });
  relay.attach(server, '/sync');
  // The relay's upgrade handler runs only for a Host this server answers to: it is
  // moved behind this check (relay.attach takes a whole server, not a gate).
  const relayUpgrade = server.listeners('upgrade') as ((
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
  ) => void)[];
  server.removeAllListeners('upgrade');
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head) => {
    if (hostAllowed(request.headers.host)) {
      for (const listener of relayUpgrade)
        listener.call(server, request, socket, head);
      return;
    }
    socket.on('error', () => socket.destroy());
    socket.end(
      'HTTP/1.1 421 Misdirected Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n',
    );
  });
  await new Promise<void>((done) =>
    server.listen(options.port ?? 4173, listenHost, done),
  );
  const address = server.address() as { address: string; port: number };
  hostAllowed = hostAllowList({
    listenHost,
    port: address.port,
    publicHosts,
  });
  if (!isLoopback(listenHost) && adminSecret === undefined)
    say(
      `warning: forkline listens on ${listenHost}, beyond this machine, without an admin secret: ` +
        'anyone who reaches it can create logs on it. Set --admin-secret or FORKLINE_ADMIN_SECRET.',
    );
  const host = address.address.includes(':')
    ? `[${address.address}]`
    : address.address;
  return {
    url: `http://${host}:${address.port}`,
    server,
    relay,
    async close() {
      await relay.close();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}
