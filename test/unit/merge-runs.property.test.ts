// Reads in position order take a page's items from several sources at once (hot
// records and segments of streams written in turns), in runs: the result must be
// exactly the positions in (after, bound], in order, however they interleave.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeRuns, type Positioned } from '../../src/log/merge-runs.ts';
import { assertProperty } from '../support/property.ts';

/** Positions 1..n dealt to `sources` sources, in runs of random length. */
const dealt = fc
  .record({
    sources: fc.integer({ min: 1, max: 5 }),
    runs: fc.array(
      fc.record({ source: fc.nat(4), length: fc.integer({ min: 1, max: 6 }) }),
      { maxLength: 30 },
    ),
  })
  .map(({ sources, runs }) => {
    const lists: number[][] = Array.from({ length: sources }, () => []);
    let pos = 0;
    for (const { source, length } of runs)
      for (let i = 0; i < length; i++) lists[source % sources]!.push(++pos);
    return { lists, last: pos };
  });

/**
 * A source whose items are its positions as strings, a run as one string joining
 * them (as a run of export lines is one buffer), recording every run asked for.
 */
function source(
  positions: number[],
  asked: [number, number][],
): Positioned<string> {
  return {
    positions,
    run(from, to) {
      asked.push([from, to]);
      return [positions.slice(from, to).join(',')];
    },
  };
}

describe('merging positioned runs', () => {
  it('yields exactly the positions in (after, bound], in order, a run per stretch of one source', async () => {
    await assertProperty(
      fc.asyncProperty(
        dealt.chain((d) =>
          fc.record({
            d: fc.constant(d),
            after: fc.integer({ min: 0, max: d.last + 1 }),
            span: fc.integer({ min: 0, max: d.last + 1 }),
          }),
        ),
        async ({ d, after, span }) => {
          const bound = after + span;
          const asked: [number, number][] = [];
          const merged = [
            ...mergeRuns(
              d.lists.map((list) => source(list, asked)),
              after,
              bound,
            ),
          ].flat();
          const expected = Array.from(
            { length: Math.max(0, Math.min(bound, d.last) - after) },
            (_, i) => after + 1 + i,
          );
          expect(
            merged.join(',').split(',').filter(Boolean).map(Number),
          ).toEqual(expected);
          // As few runs as the interleaving allows: no two consecutive runs from one source.
          const stretches = expected.filter(
            (pos, i) =>
              i === 0 ||
              d.lists.findIndex((l) => l.includes(pos)) !==
                d.lists.findIndex((l) => l.includes(expected[i - 1]!)),
          ).length;
          expect(asked).toHaveLength(stretches);
          // Lazy: a reader that takes the first run has had only it made.
          const first: [number, number][] = [];
          mergeRuns(
            d.lists.map((list) => source(list, first)),
            after,
            bound,
          ).next();
          expect(first).toHaveLength(Math.min(1, stretches));
        },
      ),
      500,
    );
  });
});
