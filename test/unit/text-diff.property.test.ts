import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffText, type DiffPart } from '../../src/doc/text-diff.ts';
import { assertProperty } from '../support/property.ts';

const side = (parts: DiffPart[], drop: DiffPart['kind']) =>
  parts
    .filter((p) => p.kind !== drop)
    .map((p) => p.text)
    .join('');

const codePoints = (parts: DiffPart[], kind: DiffPart['kind']) =>
  parts
    .filter((p) => p.kind === kind)
    .reduce((n, p) => n + Array.from(p.text).length, 0);

/** Some text with emoji (surrogate pairs) in it, and a few edits to it. */
const text = fc.array(fc.constantFrom('a', 'b', 'c', ' ', '😀', '😁', 'é'), {
  maxLength: 60,
});
const edits = fc.array(
  fc.record({
    at: fc.nat(),
    remove: fc.nat(3),
    insert: fc.array(fc.constantFrom('x', 'y', '😀', 'a'), { maxLength: 4 }),
  }),
  { maxLength: 5 },
);

describe('diffText', () => {
  it('gives back both texts, never splits a code point, and finds no more edits than were made', async () => {
    await assertProperty(
      fc.asyncProperty(text, edits, async (chars, changes) => {
        const after: string[] = [...chars];
        let made = 0;
        for (const c of changes) {
          const at = c.at % (after.length + 1);
          made += Math.min(c.remove, after.length - at) + c.insert.length;
          after.splice(at, c.remove, ...c.insert);
        }
        const before = chars.join('');
        const parts = diffText(before, after.join(''));
        expect(side(parts, 'added')).toBe(before);
        expect(side(parts, 'removed')).toBe(after.join(''));
        for (const p of parts) {
          expect(p.text).not.toBe('');
          expect(p.text).toBe(Array.from(p.text).join(''));
          expect(p.text.isWellFormed()).toBe(true);
        }
        for (let i = 1; i < parts.length; i++)
          expect(parts[i]!.kind).not.toBe(parts[i - 1]!.kind);
        expect(
          codePoints(parts, 'added') + codePoints(parts, 'removed'),
        ).toBeLessThanOrEqual(made);
      }),
      500,
    );
  });

  it('marks what one side typed into a sentence', () => {
    expect(diffText('Hello world.', 'Hello brave new world.')).toEqual([
      { kind: 'same', text: 'Hello ' },
      { kind: 'added', text: 'brave new ' },
      { kind: 'same', text: 'world.' },
    ]);
    expect(diffText('one two three', 'one three!')).toEqual([
      { kind: 'same', text: 'one t' },
      { kind: 'removed', text: 'wo t' },
      { kind: 'same', text: 'hree' },
      { kind: 'added', text: '!' },
    ]);
  });

  it('reports the middle whole past its edit budget', () => {
    expect(diffText('abcdef', 'aXYZWf', 2)).toEqual([
      { kind: 'same', text: 'a' },
      { kind: 'removed', text: 'bcde' },
      { kind: 'added', text: 'XYZW' },
      { kind: 'same', text: 'f' },
    ]);
  });
});
