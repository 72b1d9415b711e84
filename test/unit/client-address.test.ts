import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  clientAddress,
  parseTrustedProxies,
} from '../../server/client-address.ts';
import { ServerOptionError } from '../../server/request-policy.ts';
import { assertProperty } from '../support/property.ts';

const proxies = parseTrustedProxies(['10.0.0.1', '10.0.0.2', '::1']);
const via = (socket: string, forwarded?: string | string[]) =>
  clientAddress(socket, forwarded, proxies);

describe("a request's client address", () => {
  it('is the socket peer when that is not a trusted proxy, whatever X-Forwarded-For says', () => {
    expect(via('203.0.113.9', '198.51.100.1')).toBe('203.0.113.9');
    expect(clientAddress('10.0.0.1', '198.51.100.1', new Set())).toBe(
      '10.0.0.1',
    );
  });

  it('is the address a trusted proxy appended, not what the client wrote before it', () => {
    expect(via('10.0.0.1', '198.51.100.7')).toBe('198.51.100.7');
    // A client's own X-Forwarded-For is kept by the proxy and added to: the
    // rightmost entry is the proxy's, the rest the client's word.
    expect(via('10.0.0.1', '1.2.3.4, 198.51.100.7')).toBe('198.51.100.7');
    expect(via('10.0.0.1', ['1.2.3.4', '198.51.100.7'])).toBe('198.51.100.7');
  });

  it('passes over trusted proxies in a chain', () => {
    expect(via('10.0.0.2', '198.51.100.7, 10.0.0.1')).toBe('198.51.100.7');
    expect(via('::1', '2001:db8::5, 10.0.0.2')).toBe('2001:db8::5');
  });

  it('reads IPv4-mapped IPv6 addresses, ports and brackets', () => {
    expect(via('::ffff:10.0.0.1', '198.51.100.7')).toBe('198.51.100.7');
    expect(via('::ffff:203.0.113.9', '198.51.100.7')).toBe('203.0.113.9');
    expect(via('10.0.0.1', '198.51.100.7:51234')).toBe('198.51.100.7');
    expect(via('10.0.0.1', '[2001:db8::5]:443')).toBe('2001:db8::5');
    expect(via('10.0.0.1', '::ffff:198.51.100.7')).toBe('198.51.100.7');
  });

  it('falls back to the proxy itself when the entry it would use is not an address', () => {
    for (const bad of [
      '',
      ' ',
      'unknown',
      'evil.example',
      '1.2.3',
      '1.2.3.4, junk',
    ])
      expect(via('10.0.0.1', bad)).toBe('10.0.0.1');
    expect(via('10.0.0.1', undefined)).toBe('10.0.0.1');
    expect(via('10.0.0.1', '10.0.0.2')).toBe('10.0.0.2');
  });

  it('cannot be chosen by a client behind a trusted proxy, whatever it sends', async () => {
    const ipv4 = fc
      .tuple(
        ...Array.from({ length: 4 }, () => fc.integer({ min: 0, max: 255 })),
      )
      .map((parts) => parts.join('.'))
      .filter((a) => !proxies.has(a));
    await assertProperty(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.string(), ipv4, fc.constant('10.0.0.1')), {
          maxLength: 5,
        }),
        ipv4,
        async (written, real) => {
          // What the client wrote, then the real address its proxy appends.
          const header = [...written, real].join(', ');
          expect(via('10.0.0.1', header)).toBe(real);
        },
      ),
      200,
    );
  });
});

describe('--trusted-proxy', () => {
  it('takes IP addresses and refuses anything else, saying which', () => {
    expect([...parseTrustedProxies(['127.0.0.1', '::ffff:10.0.0.3'])]).toEqual([
      '127.0.0.1',
      '10.0.0.3',
    ]);
    expect(() => parseTrustedProxies(['proxy.example'])).toThrow(
      ServerOptionError,
    );
    expect(() => parseTrustedProxies(['10.0.0.0/8'])).toThrow(
      /--trusted-proxy "10.0.0.0\/8": .*an IP address/,
    );
  });
});
