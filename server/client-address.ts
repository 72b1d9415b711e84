// Who a request comes from, for the per-address limits (connections, log creation):
// the socket's peer, or, when that peer is a proxy the operator named, the client
// address the proxy wrote into X-Forwarded-For.
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { ServerOptionError } from './request-policy.ts';

/** An address as compared: IPv4-mapped IPv6 (`::ffff:1.2.3.4`) as its IPv4 form. */
function canonical(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return (mapped ? mapped[1]! : address).toLowerCase();
}

/**
 * An X-Forwarded-For entry as an address: `1.2.3.4`, `1.2.3.4:port`, `2001:db8::1`
 * or `[2001:db8::1]:port`; undefined for anything else (a name, "unknown", junk).
 */
function entryAddress(entry: string): string | undefined {
  let text = entry.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed) text = bracketed[1]!;
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(text))
    text = text.slice(0, text.lastIndexOf(':'));
  return isIP(text) ? canonical(text) : undefined;
}

/**
 * The proxies whose X-Forwarded-For is believed (`--trusted-proxy`): IP addresses.
 * @throws ServerOptionError for anything that is not one (a name, a range)
 */
export function parseTrustedProxies(values: readonly string[]): Set<string> {
  const proxies = new Set<string>();
  for (const value of values) {
    if (!isIP(value))
      throw new ServerOptionError(
        'trusted-proxy',
        value,
        'a trusted proxy is an IP address (the address the relay sees it connect from)',
      );
    proxies.add(canonical(value));
  }
  return proxies;
}

/**
 * The address a request is counted against. A peer that is not a trusted proxy is
 * the client, whatever headers it sends. Through trusted proxies, X-Forwarded-For is
 * read from the right (each proxy appends the address it was reached from, after
 * whatever the client itself wrote): the first entry that is not a trusted proxy is
 * the client. An entry that is not an address stops the walk at the hop before it,
 * so a client can never choose the address it is counted as.
 */
export function clientAddress(
  socketAddress: string,
  forwardedFor: string | readonly string[] | undefined,
  trusted: ReadonlySet<string>,
): string {
  let hop = canonical(socketAddress);
  if (!trusted.has(hop) || forwardedFor === undefined) return hop;
  const entries = (
    typeof forwardedFor === 'string' ? [forwardedFor] : forwardedFor
  ).flatMap((header) => header.split(','));
  for (let i = entries.length - 1; i >= 0; i--) {
    const address = entryAddress(entries[i]!);
    if (address === undefined) return hop;
    hop = address;
    if (!trusted.has(hop)) return hop;
  }
  return hop;
}

/** The address `request` is counted against (clientAddress of its socket and header). */
export const requestAddress = (
  request: IncomingMessage,
  trusted: ReadonlySet<string>,
): string =>
  clientAddress(
    request.socket.remoteAddress ?? 'unknown',
    request.headers['x-forwarded-for'],
    trusted,
  );
