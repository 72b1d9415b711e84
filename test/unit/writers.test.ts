// A document's writers as the page names them: a label, and where one label stands
// for several replicas (every profile counts its tabs from "Tab 1"; a hostile replica
// may copy another's label), as much of each actor id as tells them apart.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writerKey, writerNames } from '../../src/doc/writers.ts';
import { assertProperty } from '../support/property.ts';

describe("a document's writers", () => {
  it('are named by their label alone when no other replica wrote under it', () => {
    const keys = [
      writerKey({ actor: 'a1', author: 'Tab 1 (Swift Otter)' }),
      writerKey({ actor: 'a1', author: 'Tab 2 (Swift Otter)' }),
      writerKey({ actor: 'b2', author: 'Tab 1 (Calm Heron)' }),
      writerKey({ actor: 'c3' }),
    ];
    expect([...writerNames(keys).values()]).toEqual([
      'Tab 1 (Swift Otter)',
      'Tab 2 (Swift Otter)',
      'Tab 1 (Calm Heron)',
      'c3',
    ]);
  });

  it('keep a label’s bidi controls to the label: isolated, so the words after it read as written', () => {
    const names = writerNames([
      writerKey({ actor: 'm1', author: 'Mallory \u202Eevil' }),
      writerKey({ actor: 'a1', author: 'Ana' }),
      writerKey({ actor: 'r1', author: 'رامي' }),
    ]);
    expect([...names.values()]).toEqual([
      '\u2068Mallory \u202Eevil\u2069',
      'Ana',
      // Right-to-left letters are no control: the name is left as it is.
      'رامي',
    ]);
  });

  it('are told apart by as much of their actor as it takes, however alike the actors', () => {
    const same = 'x'.repeat(100);
    const names = writerNames([
      writerKey({ actor: `${same}A`, author: 'Tab 1' }),
      writerKey({ actor: `${same}B`, author: 'Tab 1' }),
    ]);
    expect([...names.values()]).toEqual([
      `Tab 1 (actor ${same}A)`,
      `Tab 1 (actor ${same}B)`,
    ]);
  });

  it('cannot be taken by a label made to look like another writer’s name', () => {
    const laptop = writerKey({ actor: 'laptop-9f2k', author: 'Tab 1' });
    const phone = writerKey({ actor: 'phone-4xq1', author: 'Tab 1' });
    const copycat = writerKey({
      actor: 'mallory',
      author: 'Tab 1 (actor laptop)',
    });
    const names = writerNames([laptop, phone, copycat]);
    expect(new Set(names.values()).size).toBe(3);
    expect(names.get(laptop)).toBe('Tab 1 (actor laptop-9f2k)');
    expect(names.get(copycat)).toBe('Tab 1 (actor laptop) (actor mallory)');
    // Even a label and an actor cut to meet another pair's: numbered apart.
    const a = writerKey({ actor: 'a) (actor b', author: 'x' });
    const b = writerKey({ actor: 'b', author: 'x (actor a)' });
    const c = writerKey({ actor: 'c', author: 'x' });
    expect(new Set(writerNames([a, b, c]).values()).size).toBe(3);
  });

  it('never share a name, whatever the actors and labels', async () => {
    // Actors as the log admits them: no control characters, so no newline.
    const actor = fc.oneof(
      fc.stringMatching(/^[a-z0-9-]{1,12}$/),
      fc.constantFrom('a', 'b', 'a) (actor b', 'laptop-1', 'laptop-2'),
    );
    const label = fc.oneof(
      fc.constantFrom(
        'Tab 1',
        'Tab 1 (actor a)',
        'Tab 1 (actor laptop)',
        'x (actor a)',
        'x',
        'a\nb',
      ),
      fc.string({ minLength: 1, maxLength: 8 }),
    );
    await assertProperty(
      fc.asyncProperty(
        fc.array(fc.record({ actor, author: label }), { maxLength: 12 }),
        async (writers) => {
          const keys = [...new Set(writers.map(writerKey))];
          const names = writerNames(keys);
          expect(names.size).toBe(keys.length);
          expect(new Set(names.values()).size).toBe(keys.length);
        },
      ),
      500,
    );
  });
});
