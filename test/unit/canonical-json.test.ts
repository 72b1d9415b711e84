import { describe, expect, it } from 'vitest';
import { canonicalJson, NotJsonError } from '../../src/log/canonical-json.ts';

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
