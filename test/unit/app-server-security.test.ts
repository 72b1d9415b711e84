import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  startAppServer,
  type AppServer,
  type AppServerOptions,
} from '../../server/app-server.ts';
import { parseRelayLimits } from '../../server/relay-limits.ts';
import { ServerOptionError } from '../../server/request-policy.ts';
import { openPeer } from '../support/relay-peer.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The app server over a tiny build: the real index.html and one script. */
async function start(
  options: Partial<AppServerOptions> = {},
): Promise<AppServer & { port: number }> {
  const root = mkdtempSync(join(tmpdir(), 'forkline-headers-root-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'forkline-headers-data-'));
  copyFileSync(
    new URL('../../index.html', import.meta.url),
    join(root, 'index.html'),
  );
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'assets', 'app.js'), 'export {};\n');
  cleanups.push(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });
  const app = await startAppServer({
    root,
    dataDir,
    port: 0,
    say: () => undefined,
    ...options,
  });
  cleanups.push(() => app.close());
  return { ...app, port: Number(new URL(app.url).port) };
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP request to 127.0.0.1:port with exactly these headers (Host included). */
function send(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: { host: `127.0.0.1:${port}`, ...headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** A WebSocket handshake to /sync with the given Host: 101 when upgraded, else the refusal's status. */
function upgradeStatus(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      path: '/sync',
      headers: {
        host,
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode!);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.end();
  });
}

/** One directive of a Content-Security-Policy, e.g. "frame-ancestors 'none'". */
const directive = (policy: unknown, name: string) =>
  String(policy ?? '')
    .split(';')
    .map((d) => d.trim())
    .find((d) => d.startsWith(`${name} `));

describe('the headers on every response', () => {
  it('forbid framing, referrers, sniffing and foreign scripts on the page, its assets and refusals', async () => {
    const { port } = await start();
    for (const answer of [
      await send(port, 'GET', '/'),
      await send(port, 'GET', '/assets/app.js'),
      await send(port, 'DELETE', '/'),
    ]) {
      const policy = answer.headers['content-security-policy'];
      expect(directive(policy, 'frame-ancestors')).toBe(
        "frame-ancestors 'none'",
      );
      expect(directive(policy, 'base-uri')).toBe("base-uri 'none'");
      expect(directive(policy, 'object-src')).toBe("object-src 'none'");
      expect(directive(policy, 'script-src')).toBe("script-src 'self'");
      expect(directive(policy, 'worker-src')).toBe("worker-src 'self'");
      expect(directive(policy, 'connect-src')).toBe("connect-src 'self'");
      expect(answer.headers['x-frame-options']).toBe('DENY');
      expect(answer.headers['referrer-policy']).toBe('no-referrer');
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it("let the page connect to itself and to the relay origins its operator names, and the page's meta says the same", async () => {
    const { port } = await start({
      relayOrigins: ['wss://relay.example.org', 'ws://127.0.0.1:9999'],
    });
    const page = await send(port, 'GET', '/');
    const connect =
      "connect-src 'self' wss://relay.example.org ws://127.0.0.1:9999";
    expect(
      directive(page.headers['content-security-policy'], 'connect-src'),
    ).toBe(connect);
    const meta = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(
      page.body,
    )?.[1];
    expect(directive(meta, 'connect-src')).toBe(connect);
    // frame-ancestors only works as a header; in a meta tag it is an error.
    expect(meta).not.toContain('frame-ancestors');
  });

  it('refuses to start with a relay origin that is not ws(s)://host[:port]', async () => {
    for (const origin of [
      'https://relay.example.org',
      'wss://relay.example.org/sync',
      'wss://user:pw@relay.example.org',
      'wss://*.example.org',
      "wss://relay.example.org; script-src 'unsafe-inline'",
    ])
      await expect(start({ relayOrigins: [origin] })).rejects.toMatchObject({
        code: 'SERVER_OPTION',
        option: 'relay-origin',
        value: origin,
      });
  });
});

describe('the Host a request names (DNS rebinding)', () => {
  it('refuses a name the server does not answer to, for the page, the API and the WebSocket at /sync', async () => {
    const { port } = await start();
    const evil = { host: `rebound.evil.example:${port}` };
    expect((await send(port, 'GET', '/', evil)).status).toBe(421);
    expect((await send(port, 'POST', '/api/logs', evil)).status).toBe(421);
    expect(await upgradeStatus(port, evil.host)).toBe(421);
    // The names it does answer to still work.
    expect(await upgradeStatus(port, `localhost:${port}`)).toBe(101);
    expect(
      (await send(port, 'GET', '/', { host: `[::1]:${port}` })).status,
    ).toBe(200);
  });

  it('answers to the public names its operator gives', async () => {
    const { port } = await start({ publicHosts: ['forkline.example.org'] });
    const named = { host: 'forkline.example.org' };
    expect((await send(port, 'GET', '/', named)).status).toBe(200);
    expect(await upgradeStatus(port, 'forkline.example.org')).toBe(101);
    expect(
      (await send(port, 'GET', '/', { host: 'other.example.org' })).status,
    ).toBe(421);
  });
});

describe('creating a log (POST /api/logs)', () => {
  it("refuses another site's Origin and says why; its own page and clients without an Origin may", async () => {
    const { port } = await start();
    const answer = await send(port, 'POST', '/api/logs', {
      origin: 'https://evil.example',
    });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body).error).toMatch(
      /cross-site request refused: a page on https:\/\/evil\.example/,
    );
    for (const origin of ['null', `http://127.0.0.1:${port + 1}`])
      expect((await send(port, 'POST', '/api/logs', { origin })).status).toBe(
        403,
      );
    const own = await send(port, 'POST', '/api/logs', {
      origin: `http://127.0.0.1:${port}`,
    });
    expect(own.status).toBe(201);
    expect(JSON.parse(own.body)).toMatchObject({
      logId: expect.any(String),
      token: expect.any(String),
    });
    // curl, a script: not a web page, so no page can make it send this.
    expect((await send(port, 'POST', '/api/logs')).status).toBe(201);
  });

  it('limits one address to its burst, then one more per refill period, with Retry-After', async () => {
    let now = 1_000_000;
    const { port } = await start({
      creationLimits: { burst: 3, refillMs: 60_000 },
      now: () => now,
    });
    for (let i = 0; i < 3; i++)
      expect((await send(port, 'POST', '/api/logs')).status).toBe(201);
    const limited = await send(port, 'POST', '/api/logs');
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('60');
    expect(JSON.parse(limited.body).error).toMatch(/too many logs/);
    now += 60_000;
    expect((await send(port, 'POST', '/api/logs')).status).toBe(201);
    expect((await send(port, 'POST', '/api/logs')).status).toBe(429);
  });

  it('counts each client behind a trusted proxy on its own, by the address the proxy appended', async () => {
    const { port } = await start({
      creationLimits: { burst: 1, refillMs: 60_000 },
      trustedProxies: ['127.0.0.1'],
      now: () => 1_000_000,
    });
    const from = (forwardedFor: string) =>
      send(port, 'POST', '/api/logs', { 'x-forwarded-for': forwardedFor });
    expect((await from('198.51.100.1')).status).toBe(201);
    expect((await from('198.51.100.2')).status).toBe(201);
    expect((await from('198.51.100.1')).status).toBe(429);
    // A client's own X-Forwarded-For entry does not make it someone new.
    expect((await from('203.0.113.7, 198.51.100.2')).status).toBe(429);
  });

  it('caps the logs everyone together creates in a window', async () => {
    let now = 1_000_000;
    const { port } = await start({
      creationLimits: { burst: 100, maxPerWindow: 2, windowMs: 3_600_000 },
      now: () => now,
    });
    expect((await send(port, 'POST', '/api/logs')).status).toBe(201);
    expect((await send(port, 'POST', '/api/logs')).status).toBe(201);
    now += 600_000;
    const capped = await send(port, 'POST', '/api/logs');
    expect(capped.status).toBe(429);
    expect(capped.headers['retry-after']).toBe('3000');
    now += 3_000_000;
    expect((await send(port, 'POST', '/api/logs')).status).toBe(201);
  });

  it('needs the admin secret, when one is set, as a Bearer token', async () => {
    const adminSecret = 'correct horse battery staple';
    const { port } = await start({ adminSecret });
    const without = await send(port, 'POST', '/api/logs', {
      origin: `http://127.0.0.1:${port}`,
    });
    expect(without.status).toBe(401);
    expect(JSON.parse(without.body).error).toBe(
      'this relay needs its admin secret to create logs',
    );
    for (const authorization of [
      'Bearer correct horse battery stapl',
      `Basic ${adminSecret}`,
      `Bearer${adminSecret}`,
      'Bearer ',
    ])
      expect(
        (await send(port, 'POST', '/api/logs', { authorization })).status,
      ).toBe(401);
    const admitted = await send(port, 'POST', '/api/logs', {
      authorization: `Bearer ${adminSecret}`,
    });
    expect(admitted.status).toBe(201);
  });

  it('warns at start when it listens beyond loopback without an admin secret', async () => {
    const said: string[] = [];
    await start({ host: '0.0.0.0', say: (m) => said.push(m) });
    expect(said.join('\n')).toMatch(
      /listens on 0\.0\.0\.0, beyond this machine, without an admin secret/,
    );
    said.length = 0;
    await start({ say: (m) => said.push(m) });
    expect(said).toEqual([]);
  });
});

describe('relay limits an operator sets', () => {
  it('reach the relay: one connection per address refuses the second with 503', async () => {
    const { port } = await start({
      relayLimits: parseRelayLimits(['maxConnectionsPerAddress=1']).relay,
    });
    const url = `ws://127.0.0.1:${port}/sync`;
    const first = await openPeer(url);
    cleanups.push(() => first.ws.terminate());
    await expect(openPeer(url)).rejects.toMatchObject({ statusCode: 503 });
  });

  it('are named limits with whole values, or start is refused saying which', () => {
    expect(
      parseRelayLimits([
        'maxConnectionsPerAddress=4096',
        'maxLogEvents=5',
        'logCreationBurst=100',
        'logCreationsPerWindow=1000',
      ]),
    ).toEqual({
      relay: { maxConnectionsPerAddress: 4096, maxLogEvents: 5 },
      creation: { burst: 100, maxPerWindow: 1000 },
    });
    for (const [entry, reason] of [
      ['maxConections=2', /the limits are .*maxConnections,.*logCreationBurst/],
      ['maxConnections=0', /whole number above zero/],
      ['maxConnections=1.5', /whole number above zero/],
      ['maxConnections', /name=value/],
      ['__proto__=1', /the limits are/],
    ] as const) {
      const error = (() => {
        try {
          parseRelayLimits([entry]);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(ServerOptionError);
      expect(error).toMatchObject({ option: 'relay-limit', value: entry });
      expect((error as Error).message).toMatch(reason);
    }
  });
});
