// log.query newest first: the same events as in arrival order, the other way
// round, page after page, whatever is stored between two pages.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openLog, type EventFilter, type Log } from '../../src/index.ts';
import { assertProperty } from '../support/property.ts';

const STREAMS = ['doc/a', 'doc/b', 'notes/x'];
const TYPES = ['edit', 'title', 'note'];

/** Every page of `filter` in `order`, `limit` at a time; `between` runs after each. */
async function pages(
  log: Log,
  filter: EventFilter,
  limit: number,
  order: 'arrival' | 'newest',
  between: () => Promise<void> = async () => {},
): Promise<string[]> {
  const ids: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await log.query(filter, {
      limit,
      order,
      ...(after ? { after } : {}),
    });
    expect(page.events.length).toBeLessThanOrEqual(limit);
    // A page that says more follow holds as many as it may.
    if (page.next) expect(page.events).toHaveLength(limit);
    ids.push(...page.events.map((e) => e.id));
    if (!page.next) return ids;
    after = page.next;
    await between();
  }
}

describe('log.query newest first', () => {
  it('pages through what arrival order pages through, the other way round, skipping and repeating nothing', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.array(
          fc.record({
            stream: fc.nat(2),
            type: fc.nat(2),
            author: fc.constantFrom(undefined, 'ana', 'bo'),
            count: fc.integer({ min: 1, max: 30 }),
          }),
          { maxLength: 12 },
        ),
        fc.record(
          {
            streams: fc.constantFrom('doc/', 'doc/a', 'notes/', 'none/'),
            types: fc.constantFrom<string[]>(['edit'], ['title', 'note']),
            author: fc.constantFrom('ana', 'bo'),
          },
          { requiredKeys: [] },
        ),
        fc.integer({ min: 1, max: 9 }),
        fc.nat(3),
        async (appends, filter, limit, later) => {
          const log = await openLog();
          for (const a of appends)
            await log.append(
              STREAMS[a.stream]!,
              Array.from({ length: a.count }, (_, n) => ({
                type: TYPES[a.type]!,
                data: n,
                ...(a.author ? { author: a.author } : {}),
              })),
            );
          const arrival = await pages(log, filter, limit, 'arrival');
          // Events stored while paging are newer than the first page: none of
          // them comes in a later one.
          const newest = await pages(log, filter, limit, 'newest', () =>
            log
              .append(STREAMS[later % 3]!, {
                type: TYPES[later % 3]!,
                data: 'later',
                author: 'ana',
              })
              .then(() => undefined),
          );
          expect(newest).toEqual(arrival.reverse());
          await log.close();
        },
      ),
      60,
    );
  });

  it('starts from the newest event stored, and goes on from a cursor of either order', async () => {
    const log = await openLog();
    await log.append(
      'doc/a',
      [1, 2, 3, 4, 5].map((n) => ({ type: 'edit', data: n })),
    );
    const first = await log.query({}, { limit: 2, order: 'newest' });
    expect(first.events.map((e) => e.data)).toEqual([5, 4]);
    const rest = await log.query(
      {},
      { limit: 5, order: 'newest', after: first.next! },
    );
    expect(rest.events.map((e) => e.data)).toEqual([3, 2, 1]);
    expect(rest.next).toBeUndefined();
    // An arrival-order cursor read the other way: what came before it.
    const forward = await log.query({}, { limit: 3 });
    const back = await log.query({}, { order: 'newest', after: forward.next! });
    expect(back.events.map((e) => e.data)).toEqual([2, 1]);
    await expect(
      log.query({}, { order: 'oldest' as 'newest' }),
    ).rejects.toMatchObject({ code: 'INVALID_QUERY', option: 'order' });
    await log.close();
  });
});
