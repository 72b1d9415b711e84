// A stream's heads after more of its events, as a document's opening and its history
// index keep them: compared in a short array, or in a Set once they are many. Either
// way, exactly the heads of the definition: the events no later event names.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addHead, dropNamed, headsAfter } from '../../src/log/heads.ts';
import { assertProperty } from '../support/property.ts';

/** The definition, as first written: each event replaces the parents it names. */
function byDefinition(heads: string[], events: [string, string[]][]) {
  const now = new Set(heads);
  for (const [id, parents] of events) {
    for (const p of parents) now.delete(p);
    now.add(id);
  }
  return [...now].sort();
}

/**
 * Heads before, and events after them in an order where parents come first: each
 * names some of what came before (heads, earlier events, even ids never stored),
 * many at once now and then, so that both ways of comparing are taken.
 */
const history = fc
  .record({
    heads: fc.uniqueArray(fc.integer({ min: 0, max: 200 }), { maxLength: 12 }),
    events: fc.array(
      fc.record({
        picks: fc.array(fc.nat(), { maxLength: 3 }),
        many: fc.boolean(),
        unknown: fc.boolean(),
      }),
      { maxLength: 120 },
    ),
  })
  .map(({ heads, events }) => {
    const before = heads.map((h) => `h${h}`);
    const known = [...before];
    const made: [string, string[]][] = [];
    for (const [i, { picks, many, unknown }] of events.entries()) {
      const parents = new Set(picks.map((k) => known[k % known.length]!));
      if (known.length === 0) parents.clear();
      // A merge of many sides: every id so far.
      if (many) for (const k of known.slice(-80)) parents.add(k);
      if (unknown) parents.add(`never-stored-${i}`);
      const id = `e${i}`;
      made.push([id, [...parents]]);
      known.push(id);
    }
    return { before, made };
  });

describe('headsAfter', () => {
  it('gives the heads of the definition, however many there are and whatever the events name', async () => {
    await assertProperty(
      fc.asyncProperty(history, async ({ before, made }) => {
        expect(
          headsAfter(
            before,
            made.length,
            (i) => made[i]![0],
            (i) => made[i]![1],
          ),
        ).toEqual(byDefinition(before, made));
      }),
      300,
    );
  });

  it('counts an id given twice, in the heads before and again as an event, once', () => {
    expect(
      headsAfter(
        ['a', 'b'],
        2,
        (i) => ['b', 'c'][i]!,
        (i) => [['a'], ['b']][i]!,
      ),
    ).toEqual(['c']);
  });
});

describe('dropNamed and addHead', () => {
  /** A fold's heads as the insights keep them: objects in an array, changed in place. */
  function folded(before: string[], made: [string, string[]][]) {
    const heads = before.map((id) => ({ id }));
    for (const [id, parents] of made) {
      dropNamed(heads, parents, (h) => h.id);
      addHead(heads, { id }, (h) => h.id);
    }
    return heads.map((h) => h.id).sort();
  }

  it('keep the heads of the definition, compared one by one or looked up by id', async () => {
    await assertProperty(
      fc.asyncProperty(history, async ({ before, made }) => {
        expect(folded(before, made)).toEqual(byDefinition(before, made));
      }),
      300,
    );
  });

  it('keep them as they grow past the index and fall back below it, twice', () => {
    // 150 writers who saw only the first event, a merge of 100 of them, then 80
    // more, and a merge of all: indexed, then compared one by one, then again.
    const made: [string, string[]][] = [['root', []]];
    const wide = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => `w${from + i}`);
    for (const id of wide(0, 150)) made.push([id, ['root']]);
    made.push(['m1', wide(0, 100)]);
    made.push(['m2', [...wide(100, 50), 'm1']]);
    for (const id of wide(150, 80)) made.push([id, ['m2']]);
    made.push(['m3', wide(150, 80)]);
    for (let i = 1; i <= made.length; i++)
      expect(folded([], made.slice(0, i))).toEqual(
        byDefinition([], made.slice(0, i)),
      );
    expect(folded([], made)).toEqual(['m3']);
  });
});
