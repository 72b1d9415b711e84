import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import vectors from '../fixtures/event-id-vectors.json' with { type: 'json' };
import { fromBase64Url } from '../../src/log/base64url.ts';
import { canonicalJson } from '../../src/log/canonical-json.ts';
import { computeEventId, encodeForId } from '../../src/log/event-id.ts';
import type { LogEvent } from '../../src/index.ts';
import { assertProperty } from '../support/property.ts';

type Vector = (typeof vectors)[number];
const eventOf = (v: Vector) =>
  ('dataBytesBase64url' in v
    ? { ...v.event, data: fromBase64Url(v.dataBytesBase64url as string) }
    : v.event) as Omit<LogEvent, 'id'>;

describe('event ids (docs/event-encoding.md)', () => {
  /** The documented preimage: the JSON text, then the raw bytes for byte data. */
  const preimageOf = (v: Vector) => {
    const text = new TextEncoder().encode(v.preimage);
    const bytes =
      'dataBytesBase64url' in v
        ? fromBase64Url(v.dataBytesBase64url as string)
        : new Uint8Array();
    return new Uint8Array([...text, ...bytes]);
  };

  it.each(vectors)('matches the published vector: $name', (vector) => {
    const event = eventOf(vector);
    expect(encodeForId(event)).toEqual(preimageOf(vector));
    expect(computeEventId(event)).toBe(vector.id);
  });

  it.each(vectors)(
    'can be recomputed from the documented preimage alone: $name',
    (vector) => {
      const digest = createHash('sha256').update(preimageOf(vector)).digest();
      expect(digest.subarray(0, 16).toString('base64url')).toBe(vector.id);
    },
  );

  it('changes when any hashed field changes', () => {
    const base = eventOf(vectors[1]!);
    const id = computeEventId(base);
    const variants: Partial<Omit<LogEvent, 'id'>>[] = [
      { stream: 'doc/other' },
      { type: 'x' },
      { data: { z: [1e21, 0.1, 0, 4] } },
      { parents: ['AAAAAAAAAAAAAAAAAAAAAA'] },
      { actor: 'tab-A2' },
      { seq: 3 },
      { hlc: '0193a1b2c3d4.0002' },
      { time: '2026-01-02T03:04:05.680+01:00' },
      { author: 'Tab 2' },
    ];
    for (const change of variants)
      expect(computeEventId({ ...base, ...change })).not.toBe(id);
    const { author: _author, ...withoutAuthor } = base;
    expect(computeEventId(withoutAuthor)).not.toBe(id);
  });

  it('does not depend on the order of keys in data', () => {
    const base = eventOf(vectors[0]!);
    expect(computeEventId({ ...base, data: { a: 1, b: 2 } })).toBe(
      computeEventId({ ...base, data: { b: 2, a: 1 } }),
    );
  });

  it('tells JSON data and bytes apart', () => {
    const base = eventOf(vectors[0]!);
    const bytes = new Uint8Array([104, 105]);
    expect(computeEventId({ ...base, data: bytes })).not.toBe(
      computeEventId({ ...base, data: 'aGk' }),
    );
  });

  it('writes every event exactly as the documented encoding, whatever its strings hold', async () => {
    // The oracle is docs/event-encoding.md read literally: JSON.stringify writes the
    // fixed fields as RFC 8785 does, canonicalJson the data; UTF-8; raw bytes after.
    const documented = (event: Omit<LogEvent, 'id'>): Uint8Array => {
      const bytes = event.data instanceof Uint8Array ? event.data : undefined;
      const fixed = JSON.stringify([
        'forkline/event/v1',
        event.stream,
        event.type,
        event.parents,
        event.actor,
        event.seq,
        event.hlc,
        event.time,
        event.author ?? null,
        bytes ? 'bytes' : 'json',
      ]);
      const data = bytes ? String(bytes.byteLength) : canonicalJson(event.data);
      const text = new TextEncoder().encode(`${fixed.slice(0, -1)},${data}]`);
      return new Uint8Array([...text, ...(bytes ?? [])]);
    };
    // Mostly plain ASCII (the fast path); one field in a few needs escaping or
    // UTF-8's multi-byte forms: quotes, backslashes, control characters, DEL,
    // non-ASCII, lone surrogates (the general path).
    const plain = fc.string({
      unit: fc.constantFrom(...'azAZ09/_-.:+ ~!'.split('')),
    });
    const hostile = fc.oneof(
      fc.string({ unit: 'grapheme-ascii' }),
      fc.string({ unit: 'binary' }),
      fc.string({
        unit: fc.constantFrom(
          '"',
          '\\',
          '\n',
          '\u001f',
          '\u007f',
          'é',
          '\ud800',
          'a',
        ),
        minLength: 1,
      }),
    );
    const text = fc.oneof(
      { arbitrary: plain, weight: 12 },
      { arbitrary: hostile, weight: 1 },
    );
    const event = fc.record(
      {
        stream: text,
        type: text,
        parents: fc.array(text, { maxLength: 4 }),
        actor: text,
        seq: fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER)),
        hlc: text,
        time: text,
        author: text,
        data: fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.jsonValue({ maxDepth: 3 }),
        ),
      },
      {
        requiredKeys: [
          'stream',
          'type',
          'parents',
          'actor',
          'seq',
          'hlc',
          'time',
          'data',
        ],
      },
    );
    await assertProperty(
      fc.asyncProperty(event, async (candidate) => {
        const e = candidate as Omit<LogEvent, 'id'>;
        let expected: Uint8Array;
        try {
          expected = documented(e);
        } catch (refusal) {
          // Data without an id (a "__proto__" key): refused the same way.
          expect(() => encodeForId(e)).toThrow((refusal as Error).message);
          expect(() => computeEventId(e)).toThrow((refusal as Error).message);
          return;
        }
        expect(encodeForId(e)).toEqual(expected);
        const digest = createHash('sha256').update(expected).digest();
        expect(computeEventId(e)).toBe(
          digest.subarray(0, 16).toString('base64url'),
        );
      }),
      2000,
    );
  });

  it('grows its buffer for an event larger than any before it', () => {
    const base = eventOf(vectors[0]!);
    // 20,000 parents: ~500 KB of preimage, more than every earlier test wrote.
    const parents = Array.from({ length: 20_000 }, (_, i) =>
      String(i).padStart(22, 'A'),
    );
    const big = { ...base, parents, data: new Uint8Array(1000).fill(7) };
    const fixed = JSON.stringify([
      'forkline/event/v1',
      big.stream,
      big.type,
      parents,
      big.actor,
      big.seq,
      big.hlc,
      big.time,
      big.author ?? null,
      'bytes',
    ]);
    const text = new TextEncoder().encode(`${fixed.slice(0, -1)},1000]`);
    expect(encodeForId(big)).toEqual(new Uint8Array([...text, ...big.data]));
  });
});
