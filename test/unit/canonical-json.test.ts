import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, NotJsonError } from '../../src/log/canonical-json.ts';
import { assertProperty } from '../support/property.ts';

/** RFC 8785 written the plain way: every object's keys sorted, everything else by JSON.stringify. */
const reference = (value: unknown): string =>
  Array.isArray(value)
    ? `[${value.map(reference).join(',')}]`
    : value !== null && typeof value === 'object'
      ? `{${Object.keys(value)
          .sort()
          .map(
            (k) =>
              `${JSON.stringify(k)}:${reference((value as Record<string, unknown>)[k])}`,
          )
          .join(',')}}`
      : JSON.stringify(value);

/** Keys that V8 orders apart from insertion: integer-like ones, and their neighbours in code-unit order. */
const key = fc.oneof(
  fc.constantFrom(
    '0',
    '1',
    '9',
    '10',
    '2',
    '01',
    '-1',
    'a',
    'B',
    '_',
    '\u00e9',
    '\ud83d\ude00',
  ),
  fc.string({ maxLength: 3 }),
);

describe('canonical JSON (RFC 8785)', () => {
  it('sorts keys by UTF-16 code units and drops whitespace', () => {
    expect(
      canonicalJson({
        b: 1,
        a: [true, null, 'x'],
        A: {},
        é: 0,
        '\u{1F600}': 1,
        '\uFFFF': 2,
      }),
    ).toBe('{"A":{},"a":[true,null,"x"],"b":1,"é":0,"\u{1F600}":1,"\uFFFF":2}');
  });

  it('writes any JSON value as the plain definition does, whatever its key order', async () => {
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.string(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('value')),
        fc
          .array(fc.tuple(key, tie('value')), { maxLength: 6 })
          .map((entries) => Object.fromEntries(entries)),
      ),
    }));
    await assertProperty(
      fc.asyncProperty(value, async (v) => {
        // As sent (any insertion order) and as parsed back from canonical text.
        expect(canonicalJson(v)).toBe(reference(v));
        const parsed: unknown = JSON.parse(reference(v));
        expect(canonicalJson(parsed)).toBe(reference(v));
      }),
      500,
    );
  });

  it('writes numbers as ECMAScript does', () => {
    expect(canonicalJson([1e21, 1e-7, -0, 0.1 + 0.2, 5e-324])).toBe(
      '[1e+21,1e-7,0,0.30000000000000004,5e-324]',
    );
  });

  it('escapes lone surrogates so distinct strings never encode alike', () => {
    expect(canonicalJson('\ud800')).toBe('"\\ud800"');
    expect(canonicalJson('\ud800')).not.toBe(canonicalJson('\ufffd'));
  });

  it.each([
    ['undefined', { a: undefined }, '/a'],
    ['a function', [() => 1], '/0'],
    ['NaN', { n: Number.NaN }, '/n'],
    ['Infinity', [Infinity], '/0'],
    ['a Date', { d: new Date(0) }, '/d'],
    ['a Map', new Map(), ''],
    [
      'a __proto__ key',
      JSON.parse('{"x":{"__proto__":{"polluted":true}}}'),
      '/x',
    ],
  ])('refuses %s and names where it is', (_what, value, path) => {
    let error: unknown;
    try {
      canonicalJson(value);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NotJsonError);
    expect((error as NotJsonError).path).toBe(path);
  });

  it('refuses nesting deeper than 64 levels, without overflowing the stack', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() => canonicalJson(deep)).toThrow(/nested deeper than 64/);
  });
});
