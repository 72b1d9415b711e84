import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { openLog, type EventId } from '../../src/index.ts';
import { conflictChanges } from '../../src/doc/conflict-changes.ts';
import { takeBackSplices, visibleRuns } from '../../src/doc/text-restore.ts';
import type { DiffPart } from '../../src/doc/text-diff.ts';
import { assertProperty, propertyTimeout } from '../support/property.ts';
import {
  appendTextEdit,
  yjsWriter,
  type YjsWriter,
} from '../support/yjs-writer.ts';

const STREAM = 'doc/compare';

const chunk = fc
  .array(fc.constantFrom('a', 'bc', 'é', '中', ' ', '\n', 'xyz'), {
    minLength: 1,
    maxLength: 12,
  })
  .map((parts) => parts.join(''));

/** One event's edits, positions as a fraction of the text's length. */
const edits = fc.array(
  fc.record({
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    remove: fc.nat(15),
    insert: fc.option(chunk, { nil: '' }),
  }),
  { minLength: 1, maxLength: 4 },
);
type Edits = fc.Arbitrary<
  typeof edits extends fc.Arbitrary<infer T> ? T : never
>;
type Steps = Edits extends fc.Arbitrary<infer T> ? T : never;

function apply(text: Y.Text, steps: Steps): void {
  for (const { at, remove, insert } of steps) {
    const index = Math.floor(at * text.length);
    text.delete(index, Math.min(remove, text.length - index));
    text.insert(index, insert);
  }
}

/** Everything but `drop`, joined: a diff's old side (drop 'added') or new side. */
const sideOf = (parts: DiffPart[], drop: DiffPart['kind']) =>
  parts
    .filter((p) => p.kind !== drop)
    .map((p) => p.text)
    .join('');

/**
 * Before the fork: the first writer's events (some deleting), which the others take
 * in. After it: each of two or three writers' events, seeing no one else's.
 */
const beforeFork = fc.array(edits, { minLength: 1, maxLength: 4 });
const afterFork = fc.array(fc.array(edits, { minLength: 1, maxLength: 3 }), {
  minLength: 2,
  maxLength: 3,
});

/**
 * A fork: the first writer's events `before` (which the others take in), then each
 * writer's events `after` it, seeing no one else's. Returns the log, the writers,
 * the fork point's heads and Yjs state, and each writer's last event if it wrote one.
 */
async function forked(before: Steps[], after: Steps[][]) {
  const log = await openLog();
  const append = (w: YjsWriter, update: Uint8Array, expected: EventId[]) =>
    appendTextEdit(log, STREAM, w, update, expected);
  const writers = after.map((_, i) => yjsWriter(`W${i}`));
  const first = writers[0]!;
  let base: EventId[] = [];
  for (const steps of before) {
    apply(first.text, steps);
    base = [await append(first, first.take(), base)];
  }
  const forkState = Y.encodeStateAsUpdate(first.doc);
  for (const w of writers.slice(1)) {
    Y.applyUpdate(w.doc, forkState);
    w.take();
  }
  const tips = new Map<YjsWriter, EventId>();
  for (const [i, events] of after.entries()) {
    const w = writers[i]!;
    let tip = base;
    for (const steps of events) {
      apply(w.text, steps);
      const update = w.take();
      if (update.length > 2) tip = [await append(w, update, tip)];
    }
    if (tip !== base) tips.set(w, tip[0]!);
  }
  return { log, append, writers, base, forkState, tips };
}

describe('conflictChanges (src/doc/conflict-changes.ts)', () => {
  it(
    'shows each concurrent writer the fork text with only its own insertions and deletions, and the merge as both',
    async () => {
      await assertProperty(
        fc.asyncProperty(beforeFork, afterFork, async (before, after) => {
          const { log, append, writers, base, forkState, tips } = await forked(
            before,
            after,
          );
          const first = writers[0]!;
          const fork = new Y.Doc();
          Y.applyUpdate(fork, forkState);
          const forkText = fork.getText('body').toString();
          const heads = [...tips.values()];
          const own = new Map(
            [...tips.keys()].map((w) => [w.name, w.text.toString()]),
          );
          if (heads.length === 0) return;
          // The first writer saw both sides: a side too, with nothing of its own
          // if it wrote nothing since the fork.
          const mergedAt = [await append(first, new Uint8Array([0, 0]), heads)];
          own.set(first.name, first.text.toString());
          const mergedDoc = new Y.Doc();
          for (const w of writers)
            Y.applyUpdate(mergedDoc, Y.encodeStateAsUpdate(w.doc));

          const changes = await conflictChanges(log, STREAM, base, mergedAt);
          expect(sideOf(changes.merged, 'added')).toBe(forkText);
          expect(sideOf(changes.merged, 'removed')).toBe(
            mergedDoc.getText('body').toString(),
          );
          expect(new Map(changes.sides.map((s) => [s.writer, true]))).toEqual(
            new Map([...own.keys()].map((name) => [name, true])),
          );
          for (const { writer, parts } of [
            ...changes.sides,
            { writer: 'merged', parts: changes.merged },
          ]) {
            if (writer !== 'merged') {
              expect(sideOf(parts, 'added')).toBe(forkText);
              expect(sideOf(parts, 'removed')).toBe(own.get(writer));
            }
            // Runs are whole: no two neighbours of one kind, none empty.
            parts.forEach((p, i) => {
              expect(p.text).not.toBe('');
              expect(p.kind).not.toBe(parts[i - 1]?.kind);
            });
          }
        }),
        300,
      );
    },
    propertyTimeout(60_000),
  );

  it(
    'takes one writer’s change back by Yjs id: the text as the others alone left it, their characters kept',
    async () => {
      await assertProperty(
        fc.asyncProperty(
          beforeFork,
          afterFork,
          fc.nat(),
          async (before, after, pick) => {
            const { log, writers, base, forkState, tips } = await forked(
              before,
              after,
            );
            const heads = [...tips.values()];
            if (heads.length < 2) return;
            const changes = await conflictChanges(
              log,
              STREAM,
              base,
              [...heads].sort(),
            );
            const side = changes.sides[pick % changes.sides.length]!;
            // The others' docs merged: the fork and every writer's change but its.
            const others = new Y.Doc();
            Y.applyUpdate(others, forkState);
            const merged = new Y.Doc();
            for (const w of writers) {
              Y.applyUpdate(merged, Y.encodeStateAsUpdate(w.doc));
              if (w.name !== side.writer)
                Y.applyUpdate(others, Y.encodeStateAsUpdate(w.doc));
            }
            const text = merged.getText('body');
            const splices = takeBackSplices(text, side.edits);
            expect(splices).toBeDefined();
            merged.transact(() => {
              for (const { index, deleteCount, insert } of splices!) {
                if (deleteCount > 0) text.delete(index, deleteCount);
                if (insert) text.insert(index, insert);
              }
            });
            const expected = others.getText('body');
            expect(text.toString()).toBe(expected.toString());
            // Every character the others' text holds is still theirs (same Yjs id),
            // except what the taken-back writer deleted, which is written anew.
            const key = ({
              client,
              clock,
              text,
            }: {
              client: number;
              clock: number;
              text: string;
            }) => [...text].map((_, i) => `${client}:${clock + i}`);
            const now = new Set(visibleRuns(text).flatMap(key));
            const rewritten = new Set(
              side.edits.deleted.flatMap(([client, clock, run]) =>
                key({ client, clock, text: run }),
              ),
            );
            for (const id of visibleRuns(expected).flatMap(key))
              if (!rewritten.has(id)) expect(now).toContain(id);
          },
        ),
        300,
      );
    },
    propertyTimeout(60_000),
  );
});
