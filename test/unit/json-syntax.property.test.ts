// An import says where a line stops being JSON in its own words (json-syntax.ts),
// called once JSON.parse refused the line. The property: it refuses exactly what
// JSON.parse refuses, on JSON and on JSON with characters put in, taken out or
// changed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonSyntaxError } from '../../src/log/json-syntax.ts';
import { assertProperty } from '../support/property.ts';

const parses = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

/** JSON as a file's line holds it, then altered here and there. */
const line = fc
  .tuple(
    fc.json({ maxDepth: 4 }),
    fc.array(
      fc.tuple(
        fc.constantFrom('insert', 'delete', 'replace'),
        fc.nat(),
        fc.constantFrom(
          ...'{}[]",:\\-+.0123456789eEtrufalsn u\t\n\u0001ü😀'.split(''),
          'true',
          '\\u12',
          '\\x',
        ),
      ),
      { maxLength: 3 },
    ),
  )
  .map(([json, edits]) => {
    let text = json;
    for (const [kind, at, what] of edits) {
      const i = text.length === 0 ? 0 : at % (text.length + 1);
      if (kind === 'insert') text = text.slice(0, i) + what + text.slice(i);
      else if (kind === 'delete') text = text.slice(0, i) + text.slice(i + 1);
      else text = text.slice(0, i) + what + text.slice(i + 1);
    }
    return text;
  });

describe('where a line stops being JSON', () => {
  it('is found exactly when JSON.parse refuses the line', async () => {
    await assertProperty(
      fc.asyncProperty(fc.oneof(line, fc.string()), async (text) => {
        const error = jsonSyntaxError(text);
        expect(error === undefined).toBe(parses(text));
        if (error) {
          expect(error.column).toBeGreaterThanOrEqual(1);
          expect(error.column).toBeLessThanOrEqual(text.length + 1);
        }
      }),
      2000,
    );
  });

  it('names the place and the problem in the line’s own terms (QA pass 15)', () => {
    const cases: [text: string, column: number, problem: string][] = [
      // V8: "Unterminated string in JSON at position 19 (line 1 column 20)".
      [
        '{"id":"abc","data":"cut sho',
        20,
        'a string that opens there is not closed',
      ],
      // V8: `Unexpected token 'h', "this is not"... is not valid JSON`.
      [
        'this is not json',
        1,
        '“this” is not a JSON value; strings are in double quotes',
      ],
      ['{"a":1 "b":2}', 8, '“"” where “,” or “}” should be'],
      ['{"a":1}}', 8, '“}” after the end of the JSON value'],
      ['{"a":', 6, 'the line ends where a value should be'],
      ['"tab\there"', 5, 'U+0009 inside a string: write it as an escape'],
      [
        `${'['.repeat(600)}${']'.repeat(600)}`,
        514,
        'nested more than 512 deep',
      ],
    ];
    for (const [text, column, problem] of cases)
      expect(jsonSyntaxError(text), text.slice(0, 40)).toEqual({
        column,
        problem,
      });
    expect(jsonSyntaxError('{"a":[1,2,{"b":null}],"c":"\\u00e9\\n"}')).toBe(
      undefined,
    );
  });
});
