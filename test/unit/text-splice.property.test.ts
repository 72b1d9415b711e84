import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { spliceBetween, type TextSplice } from '../../src/index.ts';
import { assertProperty } from '../support/property.ts';

/**
 * Characters that a code-unit diff gets wrong: 😀 and 😁 share their high surrogate,
 * é is e + a combining accent, the family is three emoji joined by ZWJs, a flag is two
 * regional indicators, CR LF is one character; beside them plain letters, a
 * precomposed é, a CJK character and a lone accent, joiner and regional indicator.
 */
const ALPHABET = [
  'a',
  'b',
  ' ',
  'é',
  '中',
  'e\u0301',
  '\u0301',
  '😀',
  '😁',
  '👩‍👩‍👧',
  '👩',
  '\u200d',
  '🇫🇷',
  '🇫',
  '\r\n',
  '\n',
];

const text = fc
  .array(fc.constantFrom(...ALPHABET), { maxLength: 10 })
  .map((chars) => chars.join(''));

/** Two texts, mostly one an edit of the other, so that they share a start and an end. */
const pair = fc.oneof(
  { weight: 1, arbitrary: fc.tuple(text, text) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.array(fc.constantFrom(...ALPHABET), { maxLength: 10 }),
        fc.nat(),
        fc.nat(3),
        fc.array(fc.constantFrom(...ALPHABET), { maxLength: 3 }),
      )
      .map(([chars, at, remove, insert]): [string, string] => {
        const edited = [...chars];
        edited.splice(at % (chars.length + 1), remove, ...insert);
        return [chars.join(''), edited.join('')];
      }),
  },
);

const apply = (before: string, { index, deleteCount, insert }: TextSplice) =>
  before.slice(0, index) + insert + before.slice(index + deleteCount);

/** Whether `index` cuts a surrogate pair of `s` (a high half ends the left part, a low one starts the right). */
const cutsPair = (s: string, index: number) =>
  /[\ud800-\udbff]$/.test(s.slice(0, index)) &&
  /^[\udc00-\udfff]/.test(s.slice(index));

/** In `u` mode a whole pair is one code point, so \p{Cs} finds only lone halves. */
const wellFormed = (s: string) => !/\p{Cs}/u.test(s);

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });
const graphemeBoundaries = (s: string) =>
  new Set([...segmenter.segment(s)].map((g) => g.index).concat(s.length));

describe('spliceBetween (src/doc/text-splice.ts)', () => {
  it('turns one text into the other, cutting neither between the halves of a surrogate pair nor inside a character', async () => {
    await assertProperty(
      fc.asyncProperty(pair, async ([before, after]) => {
        const splice = spliceBetween(before, after);
        expect(apply(before, splice)).toBe(after);
        const end = splice.index + splice.deleteCount;
        const insertedEnd = splice.index + splice.insert.length;
        for (const [s, at] of [
          [before, splice.index],
          [before, end],
          [after, splice.index],
          [after, insertedEnd],
        ] as const) {
          expect(cutsPair(s, at), `${JSON.stringify(s)} at ${at}`).toBe(false);
          // Every character of the alphabet is short enough to be told from its neighbours.
          expect(graphemeBoundaries(s).has(at)).toBe(true);
        }
        const deleted = before.slice(splice.index, end);
        expect(wellFormed(deleted) && wellFormed(splice.insert)).toBe(true);
      }),
      1000,
    );
  });

  it('on any code units, lone surrogates included, turns one text into the other without cutting a pair', async () => {
    // Halves of 😀, 😁 and 🇫, which pair up, or not, wherever they land.
    const units = fc
      .array(
        fc.constantFrom('a', '\ud83d', '\ude00', '\ude01', '\ud83c', '\uddeb'),
        { maxLength: 12 },
      )
      .map((chars) => chars.join(''));
    await assertProperty(
      fc.asyncProperty(units, units, async (before, after) => {
        const splice = spliceBetween(before, after);
        expect(apply(before, splice)).toBe(after);
        for (const [s, at] of [
          [before, splice.index],
          [before, splice.index + splice.deleteCount],
          [after, splice.index],
          [after, splice.index + splice.insert.length],
        ] as const)
          expect(cutsPair(s, at)).toBe(false);
      }),
      1000,
    );
  });

  it('ends the edit no earlier than the caret, and still turns one text into the other', async () => {
    await assertProperty(
      fc.asyncProperty(pair, fc.nat(), async ([before, after], caret) => {
        const at = caret % (after.length + 1);
        const splice = spliceBetween(before, after, { caret: at });
        expect(apply(before, splice)).toBe(after);
        expect(splice.index + splice.insert.length).toBeGreaterThanOrEqual(at);
        expect(cutsPair(after, splice.index + splice.insert.length)).toBe(
          false,
        );
      }),
      500,
    );
  });

  it('records a typed insertion where it was typed, even beside equal characters', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...ALPHABET), { maxLength: 8 }),
        fc.nat(),
        fc.array(fc.constantFrom(...ALPHABET), { minLength: 1, maxLength: 3 }),
        async (chars, cut, typed) => {
          const at = chars.slice(0, cut % (chars.length + 1)).join('');
          const before = chars.join('');
          const insert = typed.join('');
          const after = at + insert + before.slice(at.length);
          const caret = at.length + insert.length;
          const splice = spliceBetween(before, after, { caret });
          expect(apply(before, splice)).toBe(after);
          expect(splice.index).toBeLessThanOrEqual(at.length);
          expect(splice.index + splice.insert.length).toBeGreaterThanOrEqual(
            caret,
          );
        },
      ),
      500,
    );
  });

  it('as a Yjs edit, leaves the same text on the replica that made it and on one that receives it', async () => {
    await assertProperty(
      fc.asyncProperty(pair, async ([before, after]) => {
        const writer = new Y.Doc();
        const reader = new Y.Doc();
        writer.getText('body').insert(0, before);
        Y.applyUpdate(reader, Y.encodeStateAsUpdate(writer));
        const { index, deleteCount, insert } = spliceBetween(before, after);
        const updates: Uint8Array[] = [];
        writer.on('update', (update: Uint8Array) => updates.push(update));
        writer.transact(() => {
          const body = writer.getText('body');
          if (deleteCount > 0) body.delete(index, deleteCount);
          if (insert) body.insert(index, insert);
        });
        updates.forEach((update) => Y.applyUpdate(reader, update));
        expect(writer.getText('body').toString()).toBe(after);
        expect(reader.getText('body').toString()).toBe(after);
      }),
      300,
    );
  });
});
