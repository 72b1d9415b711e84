import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readTextAt } from '../../src/doc/document.ts';
import { visibleRuns, type TextRun } from '../../src/doc/text-restore.ts';
import {
  InvalidEditError,
  openDocument,
  openLog,
  type EventId,
} from '../../src/index.ts';
import { assertProperty, propertyTimeout } from '../support/property.ts';

/** Each visible character's Yjs id, as `client:clock`. */
const idsOf = (runs: TextRun[]) =>
  new Set(
    runs.flatMap(({ client, clock, text }) =>
      [...Array(text.length).keys()].map((i) => `${client}:${clock + i}`),
    ),
  );

const step = fc.record({
  writer: fc.integer({ min: 0, max: 2 }),
  /** Which version the edit is made at: 0 the current one, else that many back. */
  back: fc.integer({ min: 0, max: 3 }),
  at: fc.nat(),
  remove: fc.nat({ max: 6 }),
  insert: fc.constantFrom('', 'a', 'bc', 'def ', '😀', 'x😀y', '.'),
  restore: fc.boolean(),
});

type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

/**
 * Makes the edits and restores of `steps` with three writers, restores one of the
 * versions made (`pick`), and checks the text is exactly that version's.
 */
async function restoresExactly(steps: Step[], pick: number): Promise<void> {
  const log = await openLog({ actor: 'restorer' });
  const writers = await Promise.all(
    [0, 1, 2].map((i) => openDocument(log, 'd', { author: `writer ${i}` })),
  );
  const versions: EventId[][] = [];
  for (const s of steps) {
    const doc = writers[s.writer]!;
    const at =
      s.back === 0 || versions.length === 0
        ? await log.heads('doc/d')
        : versions[Math.max(0, versions.length - s.back)]!;
    if (s.restore && versions.length > 0) {
      const results = await doc.restore(at);
      versions.push([results.at(-1)!.event.id]);
      continue;
    }
    const { text } = await doc.view({ at });
    const index = s.at % (text.length + 1);
    const remove = Math.min(s.remove, text.length - index);
    if (remove === 0 && s.insert === '') continue;
    try {
      const { event } = await doc.editText(index, remove, s.insert, {
        at,
      });
      versions.push([event.id]);
    } catch (error) {
      // A position inside an emoji's surrogate pair is refused.
      if (!(error instanceof InvalidEditError)) throw error;
    }
  }
  if (versions.length === 0) return;
  const target = versions[pick % versions.length]!;
  const doc = writers[0]!;
  const wanted = await readTextAt(doc, target, visibleRuns);
  const before = idsOf(await readTextAt(doc, undefined, visibleRuns));
  await doc.restore(target);
  const after = await readTextAt(doc, undefined, visibleRuns);
  expect(after.map((r) => r.text).join('')).toBe(
    wanted.map((r) => r.text).join(''),
  );
  // Every character of the version the text held is kept; every character
  // kept is the version's; the rest is written anew.
  const version = idsOf(wanted);
  for (const id of idsOf(after))
    if (before.has(id)) expect(version.has(id)).toBe(true);
  for (const id of version)
    if (before.has(id)) expect(idsOf(after).has(id)).toBe(true);
  await log.close();
}

describe('restoring a version', () => {
  it(
    'gives exactly its text, keeping each of its characters the text still holds and no other',
    () =>
      assertProperty(
        fc.asyncProperty(
          fc.array(step, { minLength: 1, maxLength: 25 }),
          fc.nat(),
          restoresExactly,
        ),
        150,
      ),
    propertyTimeout(60_000),
  );

  // CI's seed 1762298940, shrunk. The version read back was folded from the start,
  // where a restore's update went on with a Yjs client whose clock 0 no event folded
  // yet: a claim with no owner refused every writer, and the restore was dropped
  // ("ef 😀.." read for "def 😀.").
  it('gives a restored version back when a restore goes on with a Yjs history nobody began in the fold', () =>
    restoresExactly(
      [
        { writer: 0, back: 0, at: 0, remove: 0, insert: '😀', restore: false },
        {
          writer: 0,
          back: 0,
          at: 363880101,
          remove: 0,
          insert: 'def ',
          restore: false,
        },
        { writer: 0, back: 0, at: 0, remove: 1, insert: '', restore: false },
        {
          writer: 0,
          back: 2,
          at: 1451913448,
          remove: 0,
          insert: '.',
          restore: false,
        },
        {
          writer: 0,
          back: 0,
          at: 107937177,
          remove: 0,
          insert: '.',
          restore: false,
        },
        { writer: 0, back: 2, at: 0, remove: 0, insert: '', restore: true },
        { writer: 0, back: 0, at: 0, remove: 0, insert: '', restore: true },
        { writer: 1, back: 0, at: 0, remove: 0, insert: '', restore: true },
      ],
      21475429,
    ));
});
