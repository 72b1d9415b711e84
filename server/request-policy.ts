import { createHash, timingSafeEqual } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { ForklineError } from '../src/log/errors.ts';

/** A server option (flag or environment variable) that cannot be used as given. */
export class ServerOptionError extends ForklineError {
  readonly code = 'SERVER_OPTION';
  constructor(
    readonly option: string,
    readonly value: string,
    readonly reason: string,
  ) {
    super(`--${option} ${JSON.stringify(value)}: ${reason}.`);
  }
}

/**
 * Splits comma-separated option values (a flag given several times, or one
 * environment variable) into trimmed, non-empty entries.
 */
export function listOption(values: readonly (string | undefined)[]): string[] {
  return values
    .flatMap((value) => (value ?? '').split(','))
    .map((entry) => entry.trim())
    .filter(Boolean);
}

const HOST_NAME = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)$/;

/**
 * Relay origins the page may connect to besides its own: `ws://host[:port]` or
 * `wss://host[:port]`, nothing else (no path, no credentials, no wildcard), so
 * each one is a CSP source that names exactly one server.
 * @throws ServerOptionError naming the entry that is not such an origin
 */
export function parseRelayOrigins(entries: readonly string[]): string[] {
  return entries.map((entry) => {
    const refuse = (reason: string) =>
      new ServerOptionError('relay-origin', entry, reason);
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw refuse('not a URL; give ws://host[:port] or wss://host[:port]');
    }
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:')
      throw refuse('a relay origin starts with ws:// or wss://');
    if (url.username || url.password)
      throw refuse('a relay origin carries no user name or password');
    if (!HOST_NAME.test(url.hostname) || url.hostname.includes('*'))
      throw refuse('the host must be one plain name or address');
    if (url.pathname !== '/' || url.search || url.hash || entry.endsWith('/'))
      throw refuse('an origin has no path, query or fragment');
    return `${url.protocol}//${url.host}`;
  });
}

/** A name this server answers to; `port` undefined means any port. */
interface HostName {
  name: string;
  port: string | undefined;
}

const HOST_HEADER = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/;

function splitHost(value: string): HostName | undefined {
  const match = HOST_HEADER.exec(value);
  if (!match) return undefined;
  return { name: match[1]!.toLowerCase(), port: match[2] };
}

/**
 * Public names (`--public-host`) for a server behind a proxy or a DNS name:
 * `name` (any port) or `name:port`.
 * @throws ServerOptionError naming the entry that is not a host name
 */
export function parsePublicHosts(entries: readonly string[]): HostName[] {
  return entries.map((entry) => {
    const host = splitHost(entry);
    if (!host)
      throw new ServerOptionError(
        'public-host',
        entry,
        'give a host name, optionally with :port (no scheme, no path)',
      );
    return host;
  });
}

const bracketed = (address: string) =>
  address.includes(':') ? `[${address}]` : address;

/** True for the names and addresses that reach only this machine. */
export function isLoopback(host: string): boolean {
  const name = host.replace(/^\[|\]$/g, '').toLowerCase();
  return name === 'localhost' || name === '::1' || /^127\./.test(name);
}

/**
 * Which `Host` headers this server answers: a page that reached it under another
 * name is a DNS-rebinding attack (a hostile name resolved to this machine), so
 * every other name is refused. Loopback names, the listening address (every
 * interface's address when it listens on all of them) on the listening port, and
 * the operator's public names.
 */
export function hostAllowList(options: {
  listenHost: string;
  port: number;
  publicHosts: readonly HostName[];
}): (host: string | undefined) => boolean {
  const port = String(options.port);
  const names = new Set(['localhost', '127.0.0.1', '[::1]']);
  const wildcard = ['', '0.0.0.0', '::', '[::]'].includes(options.listenHost);
  if (wildcard)
    for (const addresses of Object.values(networkInterfaces()))
      for (const { address } of addresses ?? [])
        names.add(bracketed(address).toLowerCase());
  else names.add(bracketed(options.listenHost).toLowerCase());
  return (value) => {
    const host = value === undefined ? undefined : splitHost(value);
    if (!host) return false;
    // A browser leaves the port out when it is the scheme's default.
    const given = host.port ?? '80';
    if (names.has(host.name) && given === port) return true;
    return options.publicHosts.some(
      (allowed) =>
        allowed.name === host.name &&
        (allowed.port === undefined ||
          allowed.port === host.port ||
          (host.port === undefined && ['80', '443'].includes(allowed.port))),
    );
  };
}

/**
 * True when an `Origin` header names a page this server serves (one of the hosts
 * it answers to). `null` (sandboxed frames, file: pages) and other sites are not.
 */
export function originAllowed(
  origin: string,
  hostAllowed: (host: string) => boolean,
): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return hostAllowed(`${url.hostname}:${port}`);
}

/** Constant-time comparison of an `Authorization: Bearer` header with the admin secret. */
export function bearerMatches(
  authorization: string | undefined,
  secret: string,
): boolean {
  const given = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1] ?? '';
  // Hashing first gives equal lengths, so the comparison time says nothing about the secret.
  const digest = (text: string) =>
    createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(secret)) && given.length > 0;
}

/** The page's directives apart from where it may connect and who may frame it. */
const PAGE_DIRECTIVES = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
];

/**
 * The Content-Security-Policy the server sends with every response, and the same
 * policy for the page's `<meta>` (which must not be narrower: the browser enforces
 * both). `frame-ancestors` only works as a header; in a meta tag Chromium ignores
 * it with a console error, so the meta leaves it out.
 */
export function contentSecurityPolicy(
  relayOrigins: readonly string[],
  { wasm = false }: { wasm?: boolean } = {},
): {
  header: string;
  meta: string;
} {
  const connect = ["connect-src 'self'", ...relayOrigins].join(' ');
  const directives = wasm
    ? PAGE_DIRECTIVES.map((d) =>
        d.startsWith('script-src') ? `${d} 'wasm-unsafe-eval'` : d,
      )
    : PAGE_DIRECTIVES;
  const meta = [...directives, connect].join('; ');
  return { header: `${meta}; frame-ancestors 'none'`, meta };
}

const CSP_META =
  /<meta\s+http-equiv=["']Content-Security-Policy["']\s+content=(?:"[^"]*"|'[^']*')\s*\/?>/i;

/** The page with its CSP meta tag replaced by the server's policy (if it has one). */
export function withPolicyMeta(html: string, meta: string): string {
  return html.replace(
    CSP_META,
    () => `<meta http-equiv="Content-Security-Policy" content="${meta}" />`,
  );
}
