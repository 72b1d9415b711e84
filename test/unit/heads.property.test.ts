// A stream's heads after more of its events, as a document's opening and its history
// index keep them: compared in a short array, or in a Set once they are many. Either
// way, exactly the heads of the definition: the events no later event names.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { headsAfter } from '../../src/log/heads.ts';
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
