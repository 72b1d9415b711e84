import { fromBase64Url, toBase64Url } from '../log/base64url.ts';
import { ForklineError } from '../log/errors.ts';
import type { RelayConfig } from '../contract/index.ts';
import {
  LOG_ID_PATTERN,
  MAX_TOKEN_LENGTH,
  TOKEN_PATTERN,
} from '../sync/credentials.ts';

const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** Far above a real link (~200 characters): anything longer is not worth decoding. */
const MAX_FRAGMENT = 4096;
const MAX_URL = 2048;

/** Where a link's fragment starts: `#join=`, as some mail and chat apps case or escape it too. */
const JOIN_MARKER = /#join(?:=|%3d)/i;
/** Characters that follow a link in prose: never base64url. */
const TRAILING = new Set('.,;:!?)]}>\'"\u00bb\u201d\u2019');

/** Whether `hash` (location.hash) is a share link's fragment. */
export const isJoinFragment = (hash: string): boolean =>
  JOIN_MARKER.exec(hash)?.index === 0;

/** A share link that cannot be joined as it is: `reason` says what is wrong with it. */
export class InvalidShareLinkError extends ForklineError {
  readonly code = 'INVALID_SHARE_LINK';
  constructor(readonly reason: string) {
    super(`That share link is not valid: ${reason}.`);
  }
}

/** A link another device opens to join this log: relay, log id and token in the fragment, never sent to a server. */
export function shareLinkFor(origin: string, config: RelayConfig): string {
  const { url, logId, token } = config;
  const json = JSON.stringify({ url, logId, token });
  return `${origin}/#join=${toBase64Url(new TextEncoder().encode(json))}`;
}

/**
 * Reads a share link (a whole URL or just its `#join=` fragment). Links come from
 * anywhere, so everything is checked: the relay is a ws:// or wss:// URL with a host
 * and no credentials, the log id and token are bounded base64url; other fields are
 * dropped.
 * @throws InvalidShareLinkError saying what is wrong
 */
export function parseShareLink(link: string): RelayConfig {
  const marker = JOIN_MARKER.exec(link);
  if (!marker) throw new InvalidShareLinkError('it has no #join= part');
  // What a link picks up on its way through prose and mail: a full stop or a
  // bracket after it, line breaks inside it. None is base64url, so none is lost.
  // A loop, not a regular expression anchored at the end: on a long run of these
  // characters followed by others, that backtracks in quadratic time.
  const spaced = link.slice(marker.index + marker[0].length);
  if (spaced.length > 2 * MAX_FRAGMENT)
    throw new InvalidShareLinkError(
      `it is longer than ${MAX_FRAGMENT} characters`,
    );
  let fragment = spaced.replace(/\s+/g, '');
  let end = fragment.length;
  while (end > 0 && TRAILING.has(fragment[end - 1]!)) end--;
  fragment = fragment.slice(0, end);
  if (fragment.length > MAX_FRAGMENT)
    throw new InvalidShareLinkError(
      `it is longer than ${MAX_FRAGMENT} characters`,
    );
  if (!BASE64URL.test(fragment))
    throw new InvalidShareLinkError('what follows #join= is not base64url');
  let value: unknown;
  try {
    value = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(fromBase64Url(fragment)),
    );
  } catch {
    throw new InvalidShareLinkError('what follows #join= is not encoded JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InvalidShareLinkError('it holds JSON that is not an object');
  const field = (name: string) =>
    Object.hasOwn(value, name)
      ? (value as Record<string, unknown>)[name]
      : undefined;
  const logId = field('logId');
  const token = field('token');
  if (typeof logId !== 'string' || !LOG_ID_PATTERN.test(logId))
    throw new InvalidShareLinkError(
      'the log id must be 1 to 64 letters, digits, - or _',
    );
  if (typeof token !== 'string' || !TOKEN_PATTERN.test(token))
    throw new InvalidShareLinkError(
      `the token must be 1 to ${MAX_TOKEN_LENGTH} base64url characters`,
    );
  return { url: relayUrl(field('url')), logId, token };
}

function relayUrl(value: unknown): string {
  if (typeof value !== 'string' || value.length > MAX_URL)
    throw new InvalidShareLinkError('it names no relay address');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidShareLinkError('the relay address is not a URL');
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:')
    throw new InvalidShareLinkError(
      'the relay address must start with ws:// or wss://',
    );
  if (!url.hostname)
    throw new InvalidShareLinkError('the relay address names no host');
  if (url.username || url.password)
    throw new InvalidShareLinkError(
      'the relay address must not carry a user name or password',
    );
  if (url.hash)
    throw new InvalidShareLinkError(
      'the relay address must not have a #fragment',
    );
  return url.href;
}

/** Where the page's own server serves its relay (server/app-server.ts). */
export const RELAY_PATH = '/sync';

/** Where this page is: `location`'s protocol and host. */
export interface PageAddress {
  protocol: string;
  host: string;
}

/** What joining a link would do, for the dialog to say before anything happens. */
export interface JoinPlan {
  config: RelayConfig;
  /** The relay's host[:port], as the user should see it. */
  host: string;
  /** The relay is another server than the one that served this page. */
  crossOrigin: boolean;
  /** Why this page cannot join the link at all; undefined when it can. */
  blocked?: string;
}

const isLoopbackHost = (hostname: string) =>
  hostname === 'localhost' ||
  hostname.endsWith('.localhost') ||
  hostname === '[::1]' ||
  /^127\.\d+\.\d+\.\d+$/.test(hostname);

/**
 * Says whether the page may join `config` and what the user must be told: a relay
 * on another origin needs their explicit consent, and one this page's
 * Content-Security-Policy (its `connect-src`, `policy`) does not allow, or an
 * unencrypted one from an https page, cannot be joined at all.
 */
export function planJoin(
  config: RelayConfig,
  page: PageAddress,
  policy: string | undefined,
): JoinPlan {
  const url = new URL(config.url);
  const host = url.host;
  const crossOrigin = !sameOrigin(url, page);
  const plan = { config, host, crossOrigin };
  if (
    page.protocol === 'https:' &&
    url.protocol === 'ws:' &&
    !isLoopbackHost(url.hostname)
  )
    return {
      ...plan,
      blocked: `this page is served over HTTPS, so the browser will not connect to the unencrypted relay ${host}; ask for a wss:// link`,
    };
  // The scheme too: wss:// to this page's own http:// host is another origin, and
  // "does not allow connecting to <this very host>" made no sense without it.
  if (crossOrigin && !connectSources(policy).some((s) => allows(s, url)))
    return {
      ...plan,
      blocked: `this page's server does not allow connecting to ${url.protocol}//${host}; ask its operator to add it with --relay-origin`,
    };
  // Nothing answers a WebSocket elsewhere on this server: the browser would report
  // only a lost connection, and the page retry it for ever.
  if (!crossOrigin && url.pathname !== RELAY_PATH)
    return {
      ...plan,
      blocked: `this page's server has its relay at ${RELAY_PATH}, not at ${url.pathname}; ask for the link again`,
    };
  return plan;
}

/** ws: goes with http:, wss: with https:, as CSP's 'self' matches them (CSP3). */
function sameOrigin(url: URL, page: PageAddress): boolean {
  const scheme = url.protocol === 'wss:' ? 'https:' : 'http:';
  return scheme === page.protocol && url.host === page.host;
}

/** The sources of the policy's connect-src (or default-src, which it falls back to). */
function connectSources(policy: string | undefined): string[] {
  const directives = new Map(
    (policy ?? '')
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .map(([name = '', ...sources]) => [name.toLowerCase(), sources]),
  );
  return directives.get('connect-src') ?? directives.get('default-src') ?? [];
}

/**
 * Whether one CSP source expression lets the page connect to `url` (another
 * origin). Scheme sources (`wss:`) and `ws(s)://host[:port]` are understood;
 * wildcards are not, so a policy written with them is read as allowing less.
 */
function allows(source: string, url: URL): boolean {
  const scheme = /^(wss?):$/i.exec(source)?.[1]?.toLowerCase();
  if (scheme) return url.protocol === 'wss:' || scheme === 'ws';
  if (!/^wss?:\/\/[^/*]+\/?$/i.test(source)) return false;
  let allowed: URL;
  try {
    allowed = new URL(source);
  } catch {
    return false;
  }
  // A ws: source also allows wss: to the same host (CSP3's secure upgrade).
  const schemeOk =
    allowed.protocol === url.protocol ||
    (allowed.protocol === 'ws:' && url.protocol === 'wss:');
  // URL leaves out a scheme's default port, so '' stands for it on either side.
  return (
    schemeOk && allowed.hostname === url.hostname && allowed.port === url.port
  );
}
