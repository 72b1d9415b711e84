import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../../src/log/base64url.ts';
import {
  SegmentDirectory,
  type SegmentMeta,
} from '../../src/log/segment-directory.ts';
import { ID_BYTES } from '../../src/log/segment-codec.ts';
import { assertProperty } from '../support/property.ts';

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
