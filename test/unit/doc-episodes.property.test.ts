// A document's text episodes group the log's concurrent groups (DESIGN §7 conflicts)
// that share an event, or that forked from within an episode (an event, or a merge
// that ended a group) while its writers went on (no pause longer than
// EPISODE_PAUSE_MS). It was written as comparisons of every episode with every
// other, which at 40k conflicts held a log worker for over 20 s. It is held here to
// that brute-force definition.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EPISODE_PAUSE_MS, episodesOf } from '../../src/doc/doc-conflicts.ts';
import type { Conflict } from '../../src/index.ts';
import { assertProperty } from '../support/property.ts';

/**
 * The definition, as first written: each group against every episode so far,
 * linked by an event it shares with the episode's groups, or by its fork point (one
 * of those events, or a merge that ended one of its groups) when it began within the
 * pause after the event it forked from (by `wall`). A merge is not shared: two
 * concurrent merges of one collision, a pause later, are a collision of their own.
 */
function episodesByDefinition(
  groups: Conflict[],
  wall: (id: string) => number,
) {
  const episodes: {
    events: Set<string>;
    members: Set<string>;
    last: Conflict;
  }[] = [];
  for (const group of groups) {
    const start = Math.min(...group.events.map(wall));
    const forked = group.forkPoint.filter(
      (id) => start - wall(id) <= EPISODE_PAUSE_MS,
    );
    // An event shared with an episode's groups; a fork point among its groups'
    // events or the merges that ended them (members).
    const touching = episodes.filter(
      (ep) =>
        group.events.some((id) => ep.events.has(id)) ||
        forked.some((id) => ep.members.has(id)),
    );
    const merged = {
      events: new Set(group.events),
      members: new Set([
        ...group.events,
        ...(group.resolvedBy ? [group.resolvedBy] : []),
      ]),
      last: group,
    };
    for (const ep of touching) {
      ep.events.forEach((id) => merged.events.add(id));
      ep.members.forEach((id) => merged.members.add(id));
    }
    episodes.splice(
      0,
      episodes.length,
      ...episodes.filter((ep) => !touching.includes(ep)),
      merged,
    );
  }
  return episodes;
}

const shape = (episodes: { events: Set<string>; last: Conflict }[]) =>
  episodes.map((ep) => ({ events: [...ep.events].sort(), last: ep.last }));

// Ids from a small alphabet, so that groups share events, fork points and merges.
const id = fc.constantFrom(...'abcdefghijklmnopqrst'.split(''));
const group: fc.Arbitrary<Conflict> = fc
  .record({
    events: fc.uniqueArray(id, { minLength: 2, maxLength: 4 }),
    forkPoint: fc.uniqueArray(id, { maxLength: 2 }),
    resolvedBy: fc.option(id, { nil: undefined }),
  })
  .map(({ events, forkPoint, resolvedBy }) => ({
    stream: 'doc/x',
    kind: 'concurrent',
    events,
    forkPoint,
    state: resolvedBy ? 'resolved' : 'unresolved',
    ...(resolvedBy ? { resolvedBy } : {}),
  }));

describe('text episodes', () => {
  it('are the groups joined as by their definition, in the same order', async () => {
    // Each id written at some second: forks from an episode within the pause, or past it.
    const walls = fc.dictionary(
      id,
      fc.nat(20).map((s) => s * 1000),
    );
    await assertProperty(
      fc.asyncProperty(
        fc.array(group, { maxLength: 40 }),
        walls,
        async (groups, walls) => {
          const wall = (i: string) => walls[i] ?? 0;
          expect(shape(await episodesOf(groups, async (i) => wall(i)))).toEqual(
            shape(episodesByDefinition(groups, wall)),
          );
        },
      ),
      500,
    );
  });

  it('are joined across a fork from where one ended only while the writers went on', async () => {
    const at = (seconds: number) => seconds * 1000;
    // One tab's own rename and typing, merged by m; then two tabs collide from m.
    const first: Conflict = {
      stream: 'doc/x',
      kind: 'concurrent',
      events: ['title', 'typed'],
      forkPoint: ['created'],
      state: 'resolved',
      resolvedBy: 'm',
    };
    const next = (pause: number): [Conflict, Record<string, number>] => [
      {
        stream: 'doc/x',
        kind: 'concurrent',
        events: ['a', 'b'],
        forkPoint: ['m'],
        state: 'unresolved',
      },
      {
        created: 0,
        title: at(1),
        typed: at(1),
        m: at(1),
        a: at(1) + pause,
        b: at(1) + pause,
      },
    ];
    for (const [pause, episodes] of [
      [at(1), 1],
      [EPISODE_PAUSE_MS, 1],
      [EPISODE_PAUSE_MS + 1, 2],
      [at(600), 2],
    ] as const) {
      const [group, walls] = next(pause);
      const found = await episodesOf([first, group], async (i) => walls[i]);
      expect(found).toHaveLength(episodes);
    }
  });
});
