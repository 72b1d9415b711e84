import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  concurrentWith,
  forkOf,
  type DagNode,
  type NodeLookup,
} from '../../src/log/dag.ts';
import type { EventId, LogEvent } from '../../src/log/types.ts';
import { assertProperty, propertyTimeout } from '../support/property.ts';
import { ancestorsBruteForce } from '../support/convergence.ts';

const TIMEOUT = propertyTimeout(60_000);

/**
 * A random DAG: node i names 1–3 parents among nodes before it (node 0 is the
 * root), so every node descends from the root, as every event of a stream does
 * from its first. Wide when `width` is large: each node's parents are drawn from
 * the last `width` nodes, so many heads stay open at once.
 */
const dagArbitrary = fc
  .record({
    size: fc.integer({ min: 1, max: 120 }),
    width: fc.integer({ min: 1, max: 60 }),
    seeds: fc.array(fc.nat(), { minLength: 360, maxLength: 360 }),
  })
  .map(({ size, width, seeds }) => {
    const nodes: DagNode[] = [];
    let s = 0;
    const next = () => seeds[s++ % seeds.length]!;
    for (let i = 0; i < size; i++) {
      const parents = new Set<number>();
      if (i > 0) {
        const count = 1 + (next() % 3);
        for (let k = 0; k < count; k++)
          parents.add(i - 1 - (next() % Math.min(i, width)));
      }
      const ids = [...parents].map((p) => nodes[p]!.event.id);
      const event = {
        id: `n${i}`,
        parents: ids.sort(),
      } as unknown as LogEvent;
      const gen = 1 + Math.max(0, ...[...parents].map((p) => nodes[p]!.gen));
      nodes.push({ event, pos: i + 1, recordedAt: 0, gen });
    }
    return nodes;
  });

/** Some of the DAG's ids, in some order, none twice. */
const pick = (nodes: DagNode[], seeds: number[], count: number): EventId[] => [
  ...new Set(
    seeds.slice(0, count).map((s) => nodes[s % nodes.length]!.event.id),
  ),
];

/** A look-up answering at once or, as a store's read does, with a promise. */
function lookupOf(nodes: DagNode[], reads: boolean[]): NodeLookup {
  const byId = new Map(nodes.map((n, i) => [n.event.id, [n, i] as const]));
  return (id) => {
    const found = byId.get(id);
    if (!found) return undefined;
    const [node, i] = found;
    return reads[i % reads.length] ? Promise.resolve(node) : node;
  };
}

const sorted = (ids: Iterable<EventId>) => [...ids].sort();
const idsOf = (nodes: DagNode[]) => sorted(nodes.map((n) => n.event.id));

describe('DAG walks against brute force', () => {
  it(
    'forkOf: the fork point is the latest common ancestors, the sides what some tips reach and not all, for any number of tips',
    async () => {
      await assertProperty(
        fc.asyncProperty(
          dagArbitrary,
          // Up to 40 tips: past the widest a walk's flags hold in a small integer.
          fc.integer({ min: 1, max: 40 }),
          fc.array(fc.nat(), { minLength: 40, maxLength: 40 }),
          fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
          async (nodes, count, seeds, reads) => {
            const events = new Map(nodes.map((n) => [n.event.id, n.event]));
            const tips = pick(nodes, seeds, count);
            const reach = tips.map((t) => ancestorsBruteForce(events, [t]));
            const common = [...reach[0]!].filter((id) =>
              reach.every((r) => r.has(id)),
            );
            const union = new Set(reach.flatMap((r) => [...r]));
            const latest = common.filter(
              (c) =>
                !common.some(
                  (d) => d !== c && ancestorsBruteForce(events, [d]).has(c),
                ),
            );
            const fork = await forkOf(lookupOf(nodes, reads), tips);
            expect(idsOf(fork.forkPoint)).toEqual(sorted(latest));
            expect(idsOf(fork.sides)).toEqual(
              sorted([...union].filter((id) => !common.includes(id))),
            );
          },
        ),
        200,
      );
    },
    TIMEOUT,
  );

  it(
    'concurrentWith: what the heads reach and the seen ids do not',
    async () => {
      await assertProperty(
        fc.asyncProperty(
          dagArbitrary,
          fc.integer({ min: 1, max: 8 }),
          fc.integer({ min: 1, max: 8 }),
          fc.array(fc.nat(), { minLength: 40, maxLength: 40 }),
          fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
          async (nodes, headCount, seenCount, seeds, reads) => {
            const events = new Map(nodes.map((n) => [n.event.id, n.event]));
            const heads = pick(nodes, seeds, headCount);
            const seen = pick(nodes, seeds.slice(20), seenCount);
            const seenAll = ancestorsBruteForce(events, seen);
            const expected = [...ancestorsBruteForce(events, heads)].filter(
              (id) => !seenAll.has(id),
            );
            const found = await concurrentWith(
              lookupOf(nodes, reads),
              heads,
              seen,
            );
            expect(idsOf(found)).toEqual(sorted(expected));
          },
        ),
        200,
      );
    },
    TIMEOUT,
  );

  it('names the id a walk reaches that is not stored', async () => {
    const root = {
      event: { id: 'a', parents: [] },
      gen: 1,
    } as unknown as DagNode;
    const child = {
      event: { id: 'b', parents: ['gone'] },
      gen: 2,
    } as unknown as DagNode;
    const lookup = lookupOf([root, child], [false]);
    await expect(forkOf(lookup, ['a', 'b'])).rejects.toThrow(
      'event gone is referenced but not stored',
    );
  });
});
