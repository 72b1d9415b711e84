import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecentMap } from '../../src/log/recent-map.ts';
import { assertProperty } from '../support/property.ts';

describe('a map of recent entries within a budget', () => {
  it('holds exactly what a list of entries in the order they were put in holds, trimmed from its start to the budget', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 40 }),
        // Keys from a small space, so that entries are set again, and set again
        // after they left; costs up to past the budget itself.
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 30 }),
            fc.integer({ min: 0, max: 12 }),
          ),
          { maxLength: 3000 },
        ),
        async (budget, sets) => {
          const map = new RecentMap<number, number>(budget, (cost) => cost);
          const model: [number, number][] = [];
          for (const [key, cost] of sets) {
            map.set(key, cost);
            const at = model.findIndex(([k]) => k === key);
            if (at >= 0) model[at]![1] = cost;
            else model.push([key, cost]);
            let used = model.reduce((sum, [, c]) => sum + c, 0);
            while (used > budget && model.length > 0) used -= model.shift()![1];
            expect(map.size).toBe(model.length);
          }
          for (let key = 0; key <= 30; key++)
            expect(map.get(key)).toBe(model.find(([k]) => k === key)?.[1]);
        },
      ),
      200,
    );
  });
});
