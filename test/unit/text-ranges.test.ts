import fc from 'fast-check';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { ItemPositions, type TouchedRange } from '../../src/doc/text-ranges.ts';
import { assertProperty } from '../support/property.ts';

/**
 * What `rangeOf` answers, from Yjs's own decoding of the update, less its skips: a
 * skip marks ids an update made from a document with pending updates does not hold
 * (they are another writer's), which the scan passes over and the decoding touched.
 */
function decodedRange(
  positions: ItemPositions,
  update: Uint8Array,
): TouchedRange | undefined {
  const { structs, ds } = Y.decodeUpdate(update);
  let from = Infinity;
  let to = -Infinity;
  const touch = (client: number, clock: number, length: number) => {
    for (const at of [clock, clock + length - 1]) {
      const position = positions.positionOf(client, at);
      if (position === undefined) continue;
      from = Math.min(from, position);
      to = Math.max(to, position);
    }
  };
  for (const struct of structs)
    if (!(struct instanceof Y.Skip))
      touch(struct.id.client, struct.id.clock, struct.length);
  for (const [client, deletes] of ds.clients)
    for (const d of deletes) touch(client, d.clock, d.len);
  return from <= to ? { from, to } : undefined;
}

const edit = fc.record({
  writer: fc.nat(2),
  at: fc.nat(),
  remove: fc.nat(4),
  insert: fc.string({ maxLength: 6, unit: 'grapheme' }),
  sync: fc.boolean(),
});

describe('ItemPositions.rangeOf', () => {
  it('places each edit where Yjs decoding it does, among every writer’s', async () => {
    await assertProperty(
      fc.asyncProperty(fc.array(edit, { maxLength: 40 }), async (edits) => {
        const docs = [0, 1, 2].map((i) => {
          const doc = new Y.Doc();
          doc.clientID = i + 1;
          return doc;
        });
        const updates: Uint8Array[] = [];
        for (const e of edits) {
          const doc = docs[e.writer]!;
          const text = doc.getText('body');
          const before = Y.encodeStateVector(doc);
          const at = text.length === 0 ? 0 : e.at % (text.length + 1);
          doc.transact(() => {
            text.delete(at, Math.min(e.remove, text.length - at));
            text.insert(at, e.insert);
          });
          const update = Y.encodeStateAsUpdate(doc, before);
          updates.push(update);
          if (e.sync)
            for (const other of docs)
              if (other !== doc) Y.applyUpdate(other, update);
        }
        const merged = new Y.Doc();
        for (const update of updates) Y.applyUpdate(merged, update);
        const positions = new ItemPositions(merged.getText('body'));
        for (const update of updates)
          expect(positions.rangeOf(update)).toEqual(
            decodedRange(positions, update),
          );
      }),
      100,
    );
  });

  it('finds no range in bytes that are not an update', () => {
    const doc = new Y.Doc();
    doc.getText('body').insert(0, 'text');
    const positions = new ItemPositions(doc.getText('body'));
    for (const bytes of [[1, 1, 5, 0, 4, 1, 4, 98], [200, 200, 200], [1]])
      expect(positions.rangeOf(new Uint8Array(bytes))).toBeUndefined();
  });
});
