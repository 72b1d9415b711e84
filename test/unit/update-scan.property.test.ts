import fc from 'fast-check';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import {
  emptyScan,
  scanUpdate,
  type ScannedUpdate,
} from '../../src/doc/update-scan.ts';
import { assertProperty } from '../support/property.ts';

/** What the scan gives, from Yjs's own decoder. */
function fromYjs(update: Uint8Array): ScannedUpdate {
  const decoded = Y.decodeUpdate(update);
  const items: number[] = [];
  let astral = false;
  for (const s of decoded.structs) {
    if (!(s instanceof Y.Item)) continue;
    if (s.content instanceof Y.ContentString)
      astral ||= /[\ud800-\udfff]/.test(s.content.str);
    items.push(
      s.id.client,
      s.id.clock,
      s.length,
      s.content instanceof Y.ContentString ? 1 : 0,
      s.origin?.client ?? -1,
      s.origin?.clock ?? -1,
      s.rightOrigin?.client ?? -1,
      s.rightOrigin?.clock ?? -1,
    );
  }
  const deletes: number[] = [];
  for (const [client, ranges] of decoded.ds.clients)
    for (const d of ranges) deletes.push(client, d.clock, d.len);
  // Every struct but a skip takes up clocks of its client: items and GC runs, from
  // the first one's clock to the end of the last.
  const ranges = new Map<number, [number, number]>();
  for (const s of decoded.structs) {
    if (s instanceof Y.Skip) continue;
    const range = ranges.get(s.id.client);
    const end = s.id.clock + s.length;
    if (!range) ranges.set(s.id.client, [s.id.clock, end]);
    else range[1] = end;
  }
  const claims = [...ranges].flatMap(([client, [from, to]]) => [
    client,
    from,
    to,
  ]);
  return { items, deletes, astral, claims };
}

/** Text with the characters that make UTF-8 and UTF-16 lengths differ, and lone surrogates. */
const text = fc.string({
  unit: fc.constantFrom('a', 'é', '€', '😀', '\ud800', '\udfff', '\n', ' '),
  maxLength: 8,
});

const step = fc.oneof(
  fc.record({
    kind: fc.constant('insert' as const),
    doc: fc.nat(2),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    text,
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    doc: fc.nat(2),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    length: fc.nat(5),
  }),
  fc.record({
    kind: fc.constant('format' as const),
    doc: fc.nat(2),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    length: fc.nat(4),
  }),
  fc.record({
    kind: fc.constant('other types' as const),
    doc: fc.nat(2),
    value: fc.jsonValue({ maxDepth: 2 }),
  }),
  fc.record({ kind: fc.constant('sync' as const), a: fc.nat(2), b: fc.nat(2) }),
);

describe('scanUpdate (src/doc/update-scan.ts)', () => {
  it('reads every update Yjs writes as Y.decodeUpdate does: items, lengths, neighbours, deletions, characters outside the BMP, the clients it writes under', async () => {
    await assertProperty(
      fc.asyncProperty(fc.array(step, { maxLength: 30 }), async (steps) => {
        const docs = [new Y.Doc(), new Y.Doc(), new Y.Doc()];
        const updates: Uint8Array[] = [];
        for (const doc of docs)
          doc.on('update', (u: Uint8Array) => updates.push(u));
        for (const s of steps) {
          if (s.kind === 'sync') {
            Y.applyUpdate(docs[s.a]!, Y.encodeStateAsUpdate(docs[s.b]!));
            continue;
          }
          const doc = docs[s.doc]!;
          const body = doc.getText('body');
          const at = 'at' in s ? Math.floor(s.at * body.length) : 0;
          if (s.kind === 'insert') body.insert(at, s.text);
          else if (s.kind === 'delete')
            body.delete(at, Math.min(s.length, body.length - at));
          else if (s.kind === 'format')
            body.format(at, Math.min(s.length, body.length - at), {
              bold: true,
            });
          else
            doc.transact(() => {
              doc.getMap('fields').set('value', s.value);
              doc.getMap('fields').set('bytes', new Uint8Array([1, 2, 3]));
              const list = new Y.Array<unknown>();
              doc.getMap('fields').set('list', list);
              list.push([s.value, new Y.Text('nested')]);
              body.insertEmbed(0, { image: 'x' });
              // A hook is a fragment's child too; Yjs's types leave it out.
              const hook = new Y.XmlHook('h') as unknown as Y.XmlElement;
              doc.getXmlFragment('xml').push([new Y.XmlElement('p'), hook]);
            });
        }
        // Whole states too, with their deletions and garbage-collected runs.
        updates.push(...docs.map((d) => Y.encodeStateAsUpdate(d)));
        const reused: ScannedUpdate = emptyScan();
        for (const update of updates) {
          const expected = fromYjs(update);
          expect(scanUpdate(update)).toEqual(expected);
          expect(scanUpdate(update, reused)).toEqual(expected);
        }
      }),
      150,
    );
  });

  it('throws on a cut or corrupted update, and never reads past its end', async () => {
    const doc = new Y.Doc();
    doc.getText('body').insert(0, 'Some text 😀 to cut');
    doc.getText('body').delete(2, 3);
    doc.getMap('m').set('k', { a: [1, 'b', null] });
    const whole = Y.encodeStateAsUpdate(doc);
    await assertProperty(
      fc.asyncProperty(
        fc.nat(whole.length - 1),
        fc.array(fc.tuple(fc.nat(whole.length - 1), fc.nat(255)), {
          maxLength: 3,
        }),
        async (cut, flips) => {
          const bytes = whole.slice();
          for (const [at, value] of flips) bytes[at] = value;
          for (const input of [whole.subarray(0, cut), bytes]) {
            try {
              const { items, deletes } = scanUpdate(input);
              for (const n of [...items, ...deletes])
                expect(Number.isSafeInteger(n)).toBe(true);
            } catch (error) {
              expect(error).toBeInstanceOf(Error);
            }
          }
          // Cut short, it cannot be read whole.
          expect(() => scanUpdate(whole.subarray(0, cut))).toThrow();
        },
      ),
      300,
    );
  });
});
