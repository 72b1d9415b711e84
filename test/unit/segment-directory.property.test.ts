import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../../src/log/base64url.ts';
import {
  SegmentDirectory,
  type SegmentMeta,
} from '../../src/log/segment-directory.ts';
import { ID_BYTES } from '../../src/log/segment-codec.ts';
import { assertProperty } from '../support/property.ts';
import { seeded } from '../support/seeded.ts';

/** Segments of random ids, some sharing their first bytes (the look-up's sort key). */
const segmentIds = fc.array(
  fc.array(
    fc.tuple(
      fc.constantFrom(0, 1, 255),
      fc.uint8Array({ minLength: ID_BYTES - 1, maxLength: ID_BYTES - 1 }),
    ),
    { minLength: 1, maxLength: 40 },
  ),
  { minLength: 1, maxLength: 6 },
);

function metaOf(ids: Uint8Array[], firstPos: number): SegmentMeta {
  const packed = new Uint8Array(ids.length * ID_BYTES);
  ids.forEach((id, i) => packed.set(id, i * ID_BYTES));
  return {
    stream: 'doc/a',
    firstPos,
    lastPos: firstPos + ids.length - 1,
    count: ids.length,
    actors: [['desk', firstPos, firstPos + ids.length - 1]],
    ids: packed,
  };
}

describe('the segment directory', () => {
  it('finds every id of every segment it holds, and no other', async () => {
    await assertProperty(
      fc.asyncProperty(
        segmentIds,
        fc.uint8Array({ minLength: ID_BYTES, maxLength: ID_BYTES }),
        fc.nat(),
        async (segments, stranger, dropped) => {
          const directory = new SegmentDirectory();
          const where = new Map<string, { key: number; index: number }>();
          let pos = 1;
          segments.forEach((entries, key) => {
            const ids = entries.map(([first, rest]) =>
              Uint8Array.of(first, ...rest),
            );
            directory.set(key, metaOf(ids, pos));
            pos += ids.length;
            ids.forEach((id, index) => {
              const name = toBase64Url(id);
              if (!where.has(name)) where.set(name, { key, index });
            });
          });
          for (const id of where.keys()) {
            const found = directory.locate(id)!;
            // A repeated id may be found in either place; it is the same id there.
            const meta = directory.meta(found.key)!;
            expect(
              toBase64Url(
                meta.ids.subarray(
                  found.index * ID_BYTES,
                  (found.index + 1) * ID_BYTES,
                ),
              ),
            ).toBe(id);
          }
          const strangerId = toBase64Url(stranger);
          if (!where.has(strangerId))
            expect(directory.locate(strangerId)).toBeUndefined();
          expect(directory.locate('not an id')).toBeUndefined();

          // A deleted segment's ids are gone with it.
          const key = dropped % segments.length;
          directory.delete(key);
          for (const [id] of where) {
            const found = directory.locate(id);
            if (found) expect(found.key).not.toBe(key);
          }
        },
      ),
      300,
    );
  });

  it('finds exactly the ids of the segments it holds through any run of sets, deletes and look-ups', async () => {
    // The look-up's index is built on the first look-up and then kept up to date by
    // each set and delete: look-ups between them check it at every step.
    const step = fc.oneof(
      fc.record({ op: fc.constant('set' as const), ids: segmentIds }),
      fc.record({ op: fc.constant('delete' as const), which: fc.nat() }),
      fc.record({ op: fc.constant('locate' as const) }),
    );
    await assertProperty(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 25 }),
        async (steps) => {
          const directory = new SegmentDirectory();
          const held = new Map<number, string[]>();
          let nextKey = 1;
          let pos = 1;
          const check = () => {
            const owners = new Map<string, Set<number>>();
            for (const [key, ids] of held)
              for (const id of ids) {
                if (!owners.has(id)) owners.set(id, new Set());
                owners.get(id)!.add(key);
              }
            for (const [id, keys] of owners) {
              const found = directory.locate(id);
              expect(found, `id ${id}`).toBeDefined();
              expect(keys.has(found!.key)).toBe(true);
              expect(held.get(found!.key)![found!.index]).toBe(id);
            }
            for (const ids of gone)
              for (const id of ids)
                if (!owners.has(id))
                  expect(directory.locate(id), `deleted ${id}`).toBeUndefined();
          };
          const gone: string[][] = [];
          for (const s of steps) {
            if (s.op === 'set') {
              // One new segment of the first group of ids.
              const ids = s.ids[0]!.map(([first, rest]) =>
                Uint8Array.of(first, ...rest),
              );
              const key = nextKey++;
              directory.set(key, metaOf(ids, pos));
              pos += ids.length;
              held.set(key, ids.map(toBase64Url));
            } else if (s.op === 'delete' && held.size > 0) {
              const key = [...held.keys()][s.which % held.size]!;
              directory.delete(key);
              gone.push(held.get(key)!);
              held.delete(key);
            } else check();
          }
          check();
        },
      ),
      300,
    );
  });

  it('finds each of 30,000 ids in 10 segments, in any order of look-ups', () => {
    const random = seeded(7);
    const byte = () => Math.floor(random() * 256);
    const directory = new SegmentDirectory();
    const all: [string, number, number][] = [];
    for (let key = 0; key < 10; key++) {
      const ids = Array.from({ length: 3000 }, () =>
        Uint8Array.from({ length: ID_BYTES }, byte),
      );
      directory.set(key, metaOf(ids, key * 3000 + 1));
      ids.forEach((id, index) => all.push([toBase64Url(id), key, index]));
    }
    // In order (as a walk through the history asks), then in a random order.
    const shuffled = [...all].sort(() => random() - 0.5);
    for (const [id, key, index] of [...all, ...shuffled])
      expect(directory.locate(id)).toEqual({ key, index });
    // The same bytes spelled otherwise (the last character's unused bits set) are
    // not an id the log could hold.
    const alphabet =
      'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const [id] = all[0]!;
    const spelled = id.slice(0, 21) + alphabet[alphabet.indexOf(id[21]!) | 1];
    expect(directory.locate(spelled)).toBeUndefined();
    expect(directory.locate(id.slice(0, 21))).toBeUndefined();
  });

  it("names the segments whose seq range holds an actor's seq", () => {
    const directory = new SegmentDirectory();
    const id = (n: number) => Uint8Array.from({ length: ID_BYTES }, () => n);
    directory.set(1, metaOf([id(1), id(2)], 1));
    directory.set(2, { ...metaOf([id(3)], 3), actors: [['phone', 5, 9]] });
    expect(directory.holding('desk', 2)).toEqual([1]);
    expect(directory.holding('phone', 7)).toEqual([2]);
    expect(directory.holding('phone', 10)).toEqual([]);
    expect(directory.segments((m) => m.firstPos > 1).map(([k]) => k)).toEqual([
      2,
    ]);
  });
});
