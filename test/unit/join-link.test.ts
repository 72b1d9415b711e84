import { describe, expect, it } from 'vitest';
import {
  InvalidShareLinkError,
  isJoinFragment,
  parseShareLink,
  planJoin,
  shareLinkFor,
} from '../../src/ui/join-link.ts';
import {
  decodeMessage,
  encodeMessage,
  PROTOCOL,
} from '../../src/sync/messages.ts';

const encoded = (value: unknown) =>
  `https://app.example/#join=${Buffer.from(JSON.stringify(value)).toString('base64url')}`;
const good = {
  url: 'wss://relay.example/sync',
  logId: 'Ab3_-x',
  token: 'c2VjcmV0LXRva2Vu',
};

/** The reason parseShareLink gives for `link`, checking it throws the typed error. */
function refusal(link: string): string {
  try {
    parseShareLink(link);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidShareLinkError);
    expect(error).toMatchObject({ code: 'INVALID_SHARE_LINK' });
    return (error as InvalidShareLinkError).reason;
  }
  throw new Error(`accepted ${link}`);
}

describe('reading a share link', () => {
  it('reads back what shareLinkFor wrote, and drops fields it does not know', () => {
    expect(parseShareLink(shareLinkFor('https://app.example', good))).toEqual(
      good,
    );
    expect(parseShareLink(encoded({ ...good, extra: { a: 1 } }))).toEqual(good);
  });

  it('reads a link as prose and mail leave it: punctuation after it, breaks inside it, #JOIN= or #join%3D', () => {
    const link = shareLinkFor('https://app.example', good);
    const fragment = link.slice(link.indexOf('#join=') + '#join='.length);
    for (const pasted of [
      `${link}.`,
      `<${link}>`,
      `(${link}),`,
      `“${link}”`,
      ` ${link}\n`,
      `${link.slice(0, 40)}\r\n${link.slice(40)}`,
      `https://app.example/#JOIN=${fragment}`,
      `https://app.example/#join%3D${fragment}`,
    ])
      expect(parseShareLink(pasted), pasted).toEqual(good);
    expect(isJoinFragment(`#join%3d${fragment}`)).toBe(true);
    expect(isJoinFragment('#x&join=abc')).toBe(false);
  });

  it('says what is wrong with hostile or broken links, and never throws anything else', () => {
    const cases: [string, RegExp][] = [
      ['https://app.example/', /no #join= part/],
      ['https://app.example/#join=%%%', /not base64url/],
      [`https://app.example/#join=${'A'.repeat(5000)}`, /longer than/],
      [`https://app.example/#join=${'.'.repeat(5000)}A`, /longer than/],
      [`https://app.example/#join=${'.'.repeat(4000)}A`, /not base64url/],
      ['https://app.example/#join=bm90IGpzb24', /not encoded JSON/],
      [encoded([good]), /JSON that is not an object/],
      [encoded(null), /JSON that is not an object/],
      [encoded('wss://relay.example'), /JSON that is not an object/],
      [encoded({ ...good, url: 'https://relay.example/sync' }), /ws:\/\//],
      [encoded({ ...good, url: 'javascript:alert(1)' }), /ws:\/\//],
      [encoded({ ...good, url: 'wss://user:pw@relay.example/' }), /password/],
      [encoded({ ...good, url: 'not a url' }), /not a URL/],
      [encoded({ ...good, url: 42 }), /no relay address/],
      [encoded({ ...good, logId: '../etc/passwd' }), /log id/],
      [encoded({ ...good, logId: 'x'.repeat(65) }), /log id/],
      [encoded({ ...good, token: 'a b' }), /token/],
      [encoded({ ...good, token: 'x'.repeat(257) }), /token/],
      [encoded({ url: good.url, logId: good.logId }), /token/],
    ];
    for (const [link, reason] of cases) expect(refusal(link)).toMatch(reason);
  });
});

describe('a share link and the hello it makes', () => {
  it('accepts no log id or token that the relay would refuse in a hello as malformed', () => {
    // Before, a link took tokens of up to 512 characters and the relay 256: the
    // page then reported a connection closed ("hello.token missing"), and retried.
    for (const length of [1, 43, 256, 257, 512, 513]) {
      for (const [logId, token] of [
        ['L'.repeat(64), 'T'.repeat(length)],
        ['L'.repeat(Math.min(length, 65)), good.token],
      ] as const) {
        let config;
        try {
          config = parseShareLink(encoded({ ...good, logId, token }));
        } catch {
          continue;
        }
        const hello = encodeMessage({
          type: 'hello',
          protocol: PROTOCOL,
          log: config.logId,
          token: config.token,
          vector: {},
        });
        expect(
          () => decodeMessage(hello),
          `${logId.length}/${token.length}`,
        ).not.toThrow();
      }
    }
  });
});

describe('planning a join', () => {
  const page = { protocol: 'https:', host: 'app.example' };
  const policy = (connect: string) =>
    `default-src 'self'; script-src 'self'; connect-src ${connect}`;

  it('needs no extra consent for the relay that served the page', () => {
    const plan = planJoin(
      { ...good, url: 'wss://app.example/sync' },
      page,
      policy("'self'"),
    );
    expect(plan).toEqual({
      config: { ...good, url: 'wss://app.example/sync' },
      host: 'app.example',
      crossOrigin: false,
    });
  });

  it('marks a relay on another origin (host, port or scheme) as needing consent when the policy allows it', () => {
    for (const [url, connect] of [
      ['wss://relay.example/sync', "'self' wss://relay.example"],
      ['wss://app.example:8443/sync', "'self' wss://app.example:8443"],
      ['wss://relay.example/sync', "'self' wss:"],
    ] as const) {
      const plan = planJoin({ ...good, url }, page, policy(connect));
      expect(plan.crossOrigin).toBe(true);
      expect(plan.blocked).toBeUndefined();
    }
  });

  it("blocks a relay the page's policy does not allow, naming the option that would", () => {
    for (const connect of [
      "'self'",
      "'self' wss://other.example",
      "'self' wss://relay.example:444",
      "'self' wss://*.example",
    ]) {
      const plan = planJoin(good, page, policy(connect));
      expect(plan.blocked).toBe(
        "this page's server does not allow connecting to wss://relay.example; ask its operator to add it with --relay-origin",
      );
    }
    // Without a readable policy, only the page's own server is allowed.
    expect(planJoin(good, page, undefined).blocked).toMatch(/does not allow/);
  });

  it("names the scheme when it blocks a relay on this page's own host", () => {
    const plan = planJoin(
      { ...good, url: 'wss://127.0.0.1:4190/sync' },
      { protocol: 'http:', host: '127.0.0.1:4190' },
      policy("'self'"),
    );
    expect(plan.blocked).toBe(
      "this page's server does not allow connecting to wss://127.0.0.1:4190; ask its operator to add it with --relay-origin",
    );
  });

  it("blocks a link to this page's own server at a path where no relay answers", () => {
    for (const path of ['/sync/', '/', '/%3Cb%3Ex%3C/b%3E', '/other/sync']) {
      const plan = planJoin(
        { ...good, url: `wss://app.example${path}` },
        page,
        policy("'self'"),
      );
      expect(plan.blocked).toBe(
        `this page's server has its relay at /sync, not at ${path}; ask for the link again`,
      );
    }
    // A query string reaches the relay at its path: nothing to block.
    expect(
      planJoin(
        { ...good, url: 'wss://app.example/sync?x=1' },
        page,
        policy("'self'"),
      ).blocked,
    ).toBeUndefined();
  });

  it('refuses an unencrypted relay from an https page, except on this machine', () => {
    const plain = { ...good, url: 'ws://relay.example/sync' };
    expect(planJoin(plain, page, policy("'self' ws:")).blocked).toMatch(
      /served over HTTPS.*unencrypted relay relay\.example; ask for a wss:\/\/ link/,
    );
    const local = { ...good, url: 'ws://127.0.0.1:4173/sync' };
    expect(
      planJoin(local, page, policy("'self' ws://127.0.0.1:4173")).blocked,
    ).toBeUndefined();
  });
});
