import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { piecesOfUpdate } from '../../src/doc/update-pieces.ts';
import { assertProperty } from '../support/property.ts';

/** Units that a cut may fall between: pairs, lone halves, accents, plain letters. */
const chunk = fc
  .array(
    fc.constantFrom('a', 'bc', 'é', '中', '😀', '\ud83d', '\ude00', '\n'),
    {
      maxLength: 30,
    },
  )
  .map((parts) => parts.join(''));

/** One local transaction's edits, positions as a fraction of the text's length. */
const edits = fc.array(
  fc.record({
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    remove: fc.nat(12),
    insert: chunk,
  }),
  { minLength: 1, maxLength: 6 },
);

/** A replica holding `base`, and one local transaction's update made on it. */
function transaction(
  base: string,
  steps: { at: number; remove: number; insert: string }[],
) {
  const writer = new Y.Doc();
  const text = writer.getText('body');
  text.insert(0, base);
  const before = Y.encodeStateAsUpdate(writer);
  let update: Uint8Array | undefined;
  writer.on('update', (u: Uint8Array) => (update = u));
  writer.transact(() => {
    for (const { at, remove, insert } of steps) {
      const index = Math.floor(at * text.length);
      text.delete(index, Math.min(remove, text.length - index));
      text.insert(index, insert);
    }
  });
  return { before, update, after: text.toString() };
}

function replay(before: Uint8Array, updates: Uint8Array[]): string {
  const reader = new Y.Doc();
  Y.applyUpdate(reader, before);
  for (const update of updates) Y.applyUpdate(reader, update);
  return reader.getText('body').toString();
}

describe('piecesOfUpdate (src/doc/update-pieces.ts)', () => {
  it('cuts a transaction into updates within the limit that, applied in order, leave the same text', async () => {
    await assertProperty(
      fc.asyncProperty(
        chunk,
        edits,
        fc.integer({ min: 80, max: 300 }),
        async (base, steps, limit) => {
          const { before, update, after } = transaction(base, steps);
          if (!update) return; // the edits changed nothing
          const pieces = piecesOfUpdate(update, limit);
          const whole = replay(before, [update]);
          // Yjs sends text as UTF-8: a lone surrogate arrives as U+FFFD, even one
          // that the writer's text pairs with a half inserted apart.
          const lone = (text: string) => /\p{Cs}/u.test(text);
          if (!lone(base) && !steps.some(({ insert }) => lone(insert)))
            expect(whole).toBe(after);
          expect(replay(before, pieces)).toBe(whole);
          for (const piece of pieces)
            // Only the delete set, kept whole, may be over (it holds few ranges here).
            if (Y.decodeUpdate(piece).structs.length > 0)
              expect(piece.length).toBeLessThanOrEqual(limit);
          if (update.length <= limit) expect(pieces).toEqual([update]);
        },
      ),
      1000,
    );
  });

  it('cuts nothing between the halves of a surrogate pair: every replica reads the same characters', async () => {
    const emoji = '😀'.repeat(5000);
    const { before, update, after } = transaction('x', [
      { at: 1, remove: 0, insert: emoji },
    ]);
    // Odd limits put a naive cut inside a pair on every piece.
    for (const limit of [101, 1001, 4099]) {
      const pieces = piecesOfUpdate(update!, limit);
      expect(pieces.length).toBeGreaterThan(1);
      expect(replay(before, pieces)).toBe(after);
      expect(replay(before, pieces)).not.toContain('\ufffd');
    }
  });

  it('cuts the redo of a large paste, which Yjs makes as one transaction', () => {
    const doc = new Y.Doc();
    const text = doc.getText('body');
    const undo = new Y.UndoManager(text);
    const paste = 'lorem ipsum 😀 '.repeat(50_000);
    text.insert(0, paste);
    undo.stopCapturing();
    const pasted = Y.encodeStateAsUpdate(doc);
    const updates: Uint8Array[] = [];
    doc.on('update', (u: Uint8Array) => updates.push(u));
    undo.undo();
    undo.redo();
    const redo = updates.at(-1)!;
    expect(redo.length).toBeGreaterThan(500_000);
    const pieces = piecesOfUpdate(redo, 64 * 1024);
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThanOrEqual(
      64 * 1024,
    );
    expect(replay(pasted, [...updates.slice(0, -1), ...pieces])).toBe(paste);
  });

  it('leaves an update it cannot cut as it is: several writers’ items', () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    a.getText('body').insert(0, 'x'.repeat(500));
    b.getText('body').insert(0, 'y'.repeat(500));
    const both = Y.mergeUpdates([
      Y.encodeStateAsUpdate(a),
      Y.encodeStateAsUpdate(b),
    ]);
    expect(piecesOfUpdate(both, 100)).toEqual([both]);
  });
});
