// What a text edit touched, by Yjs id: the one definition of an overlapping text
// conflict, which the timeline and the insights both read (src/doc/text-touches.ts).
import fc from 'fast-check';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import {
  EDGE_CLIENT,
  END_CLOCK,
  START_CLOCK,
  touchesOf,
  writersShare,
} from '../../src/doc/text-touches.ts';
import { scanUpdate } from '../../src/doc/update-scan.ts';
import { assertProperty } from '../support/property.ts';

type Touch = [client: number, from: number, to: number];

const touches = (update: Uint8Array): Touch[] => {
  const out: Touch[] = [];
  touchesOf(scanUpdate(update), (client, from, to) =>
    out.push([client, from, to]),
  );
  return out;
};

/** The same, from Yjs's own decoding of the update (its skips touch nothing). */
function decodedTouches(update: Uint8Array): Touch[] {
  const { structs, ds } = Y.decodeUpdate(update);
  const out: Touch[] = [];
  const one = (id: Y.ID | null, edge: number): Touch =>
    id ? [id.client, id.clock, id.clock + 1] : [EDGE_CLIENT, edge, edge + 1];
  for (const struct of structs) {
    if (!(struct instanceof Y.Item)) continue;
    const { client, clock } = struct.id;
    out.push(
      [client, clock, clock + struct.length],
      one(struct.origin, START_CLOCK),
      one(struct.rightOrigin, END_CLOCK),
    );
  }
  for (const [client, deletes] of ds.clients)
    for (const d of deletes) out.push([client, d.clock, d.clock + d.len]);
  return out;
}

const edit = fc.record({
  writer: fc.nat(2),
  at: fc.nat(),
  remove: fc.nat(4),
  insert: fc.string({ maxLength: 6, unit: 'grapheme' }),
  sync: fc.boolean(),
});

describe('touchesOf', () => {
  it('names what Yjs decoding each edit names: its characters, their neighbours or the text’s ends, and what it deleted', async () => {
    await assertProperty(
      fc.asyncProperty(fc.array(edit, { maxLength: 40 }), async (edits) => {
        const docs = [0, 1, 2].map((i) => {
          const doc = new Y.Doc();
          doc.clientID = i + 1;
          return doc;
        });
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
          expect(touches(update)).toEqual(decodedTouches(update));
          if (e.sync)
            for (const other of docs)
              if (other !== doc) Y.applyUpdate(other, update);
        }
      }),
      100,
    );
  });

  it('puts two writers typing into one empty text, or both at its end, at one place', () => {
    const typed = (client: number, before: Y.Doc | undefined, s: string) => {
      const doc = new Y.Doc();
      doc.clientID = client;
      if (before) Y.applyUpdate(doc, Y.encodeStateAsUpdate(before));
      const vector = Y.encodeStateVector(doc);
      const text = doc.getText('body');
      text.insert(text.length, s);
      return [touches(Y.encodeStateAsUpdate(doc, vector)).flat()];
    };
    expect(
      writersShare([...typed(1, undefined, 'a'), ...typed(2, undefined, 'b')]),
    ).toBe(true);
    const base = new Y.Doc();
    base.getText('body').insert(0, 'Some text.');
    expect(
      writersShare([...typed(1, base, ' A'), ...typed(2, base, ' B')]),
    ).toBe(true);
  });
});

describe('writersShare', () => {
  it('is true when two writers’ touches share an id, as every pair compared says', async () => {
    const touch = fc
      .tuple(
        fc.constantFrom(1, 2, EDGE_CLIENT),
        fc.nat(60),
        fc.integer({ min: 1, max: 6 }),
      )
      .map(([client, from, length]) => [client, from, from + length]);
    await assertProperty(
      fc.asyncProperty(
        fc.array(fc.array(touch, { maxLength: 8 }), { maxLength: 4 }),
        async (byWriter) => {
          const share = (a: number[], b: number[]) =>
            a[0] === b[0] && a[1]! < b[2]! && b[1]! < a[2]!;
          const pairwise = byWriter.some((mine, i) =>
            byWriter
              .slice(i + 1)
              .some((theirs) =>
                mine.some((a) => theirs.some((b) => share(a, b))),
              ),
          );
          expect(writersShare(byWriter.map((t) => t.flat()))).toBe(pairwise);
        },
      ),
      2000,
    );
  });
});
