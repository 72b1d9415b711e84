import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import vectors from '../fixtures/event-id-vectors.json' with { type: 'json' };
import { fromBase64Url } from '../../src/log/base64url.ts';
import { computeEventId, encodeForId } from '../../src/log/event-id.ts';
import type { LogEvent } from '../../src/index.ts';

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
});
