import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { createRelay, type Relay } from './relay.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
};

export interface AppServerOptions {
  /** The built app (vite build's outDir). */
  root: string;
  dataDir: string;
  host?: string;
  port?: number;
  say?: (message: string) => void;
}

export interface AppServer {
  url: string;
  server: Server;
  relay: Relay;
  close(): Promise<void>;
}

/**
 * One process for `npm start`: the built page, the relay's WebSocket at /sync, and
 * POST /api/logs to create a shared log (its token is in the answer, once).
 */
export async function startAppServer(
  options: AppServerOptions,
): Promise<AppServer> {
  const root = resolve(options.root);
  const relay = await createRelay({
    dataDir: options.dataDir,
    ...(options.say ? { say: options.say } : {}),
  });

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
    const noStore = file.endsWith('.html') || file.endsWith('sw.js');
    response.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': info.size,
      'cache-control': noStore
        ? 'no-cache'
        : 'public, max-age=31536000, immutable',
      'x-content-type-options': 'nosniff',
    });
    createReadStream(file).pipe(response);
  }

  const server = createServer((request, response) => {
    if (request.method === 'POST' && request.url === '/api/logs') {
      relay.createLog().then(
        (created) =>
          response
            .writeHead(201, { 'content-type': 'application/json' })
            .end(JSON.stringify(created)),
        () => response.writeHead(500).end(),
      );
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405).end();
      return;
    }
    serveFile(request, response).catch(() => response.writeHead(500).end());
  });
  relay.attach(server, '/sync');
  await new Promise<void>((done) =>
    server.listen(options.port ?? 4173, options.host ?? '127.0.0.1', done),
  );
  const address = server.address() as { address: string; port: number };
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
