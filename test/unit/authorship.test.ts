import fc from 'fast-check';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import {
  openLog,
  TEXT_EDITED,
  type EventId,
  type Log,
} from '../../src/index.ts';
import {
  attribute,
  authorshipProjection,
  countOnce,
} from '../../src/doc/authorship.ts';
import { assertProperty } from '../support/property.ts';
import { collect } from '../support/records.ts';
import { yjsWriter, type YjsWriter } from '../support/yjs-writer.ts';

const STREAM = 'doc/who';

async function append(
  log: Log,
  w: YjsWriter,
  update: Uint8Array,
  expected: EventId[],
  time: string,
): Promise<EventId> {
  const [result] = await log.append(
    STREAM,
    { type: TEXT_EDITED, data: update, author: w.name, time },
    { expected },
  );
  return result!.event.id;
}

describe('authorship', () => {
  it('attributes each run to who typed it, by Yjs client, even when another’s event carried it', async () => {
    const log = await openLog();
    const ada = yjsWriter('Ada');
    const bo = yjsWriter('Bo');
    ada.text.insert(0, 'Hello world.');
    const base = await append(log, ada, ada.take(), [], '2026-01-01T10:00:00Z');
    Y.applyUpdate(bo.doc, Y.encodeStateAsUpdate(ada.doc));
    bo.take();
    // Ada types on; Bo's tab shows it early, deletes "world" and types his own.
    ada.text.insert(12, ' Ada again.');
    const early = ada.take();
    Y.applyUpdate(bo.doc, early);
    bo.text.delete(6, 5);
    bo.text.insert(6, 'there');
    const carried = await append(
      log,
      bo,
      Y.mergeUpdates([early, bo.take()]),
      [base],
      '2026-01-01T10:05:00Z',
    );
    const own = await append(log, ada, early, [base], '2026-01-01T10:04:00Z');
    Y.applyUpdate(ada.doc, Y.encodeStateAsUpdate(bo.doc));

    const handle = await log.project('who', authorshipProjection(STREAM), {
      streams: STREAM,
    });
    const { runs, authors } = attribute(bo.text, handle.state);
    expect(runs.map((r) => [r.author, r.text])).toEqual([
      ['Ada', 'Hello '],
      ['Bo', 'there'],
      ['Ada', '. Ada again.'],
    ]);
    expect(runs.map((r) => r.text).join('')).toBe(bo.text.toString());
    expect(runs[2]).toMatchObject({
      from: '2026-01-01T10:00:00Z',
      to: '2026-01-01T10:04:00Z',
    });
    expect(authors).toEqual([
      // Each character counted once, for its typist: Bo's event carried Ada's 11.
      { author: 'Ada', current: 18, inserted: 12 + 11, deleted: 0 },
      { author: 'Bo', current: 5, inserted: 5, deleted: 5 },
    ]);
    expect([carried, own]).toHaveLength(2);
    await handle.close();
    await log.close();
  });

  it('passes over events whose update does not decode, and says "unknown" for text no event holds', async () => {
    const log = await openLog();
    const ada = yjsWriter('Ada');
    ada.text.insert(0, 'Kept.');
    await append(log, ada, ada.take(), [], '2026-01-01T10:00:00Z');
    await log.append(STREAM, {
      type: TEXT_EDITED,
      data: new Uint8Array([255, 1, 2]),
      author: 'Mallory',
    });
    await log.append('doc/whole', {
      type: TEXT_EDITED,
      data: Y.encodeStateAsUpdate(new Y.Doc()),
      author: 'Elsewhere',
    });
    const handle = await log.project('who', authorshipProjection(STREAM), {
      streams: STREAM,
    });
    ada.text.insert(5, ' Not yet stored.');
    const { runs, authors } = attribute(ada.text, handle.state);
    expect(runs.map((r) => [r.author, r.text])).toEqual([
      ['Ada', 'Kept. Not yet stored.'],
    ]);
    expect(authors.map((a) => a.author)).toEqual(['Ada']);
    const stranger = yjsWriter('Stranger');
    stranger.text.insert(0, 'Who?');
    expect(attribute(stranger.text, handle.state).runs).toEqual([
      { text: 'Who?', author: 'unknown', from: '', to: '' },
    ]);
    await handle.close();
    await log.close();
  });
});

describe('authorship of two devices under one label', () => {
  it('names each device apart: each counts its tabs from "Tab 1"', async () => {
    const [laptop, phone] = [
      await openLog({ actor: 'laptop-9f2k' }),
      await openLog({ actor: 'phone-4xq1' }),
    ];
    const [onLaptop, onPhone] = [yjsWriter('Tab 1'), yjsWriter('Tab 1')];
    onLaptop.text.insert(0, 'From the laptop.');
    const base = await append(
      laptop,
      onLaptop,
      onLaptop.take(),
      [],
      '2026-01-01T10:00:00Z',
    );
    Y.applyUpdate(onPhone.doc, Y.encodeStateAsUpdate(onLaptop.doc));
    onPhone.take();
    onPhone.text.insert(16, ' From the phone.');
    await phone.ingest(await collect(laptop.since({})));
    await append(
      phone,
      onPhone,
      onPhone.take(),
      [base],
      '2026-01-01T10:01:00Z',
    );
    const handle = await phone.project('who', authorshipProjection(STREAM), {
      streams: STREAM,
    });
    const { runs, authors } = attribute(onPhone.text, handle.state);
    expect(runs.map((r) => [r.author, r.text])).toEqual([
      ['Tab 1 (actor laptop)', 'From the laptop.'],
      ['Tab 1 (actor phone-)', ' From the phone.'],
    ]);
    expect(authors.map((a) => [a.author, a.current])).toEqual([
      ['Tab 1 (actor laptop)', 16],
      ['Tab 1 (actor phone-)', 16],
    ]);
    await handle.close();
    await Promise.all([laptop.close(), phone.close()]);
  });
});

describe('deleted ranges counted once', () => {
  it('counts each clock once, whatever the ranges and their order', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.array(
          fc
            .tuple(fc.nat(60), fc.integer({ min: 1, max: 12 }))
            .map(([from, len]) => [from, from + len] as const),
          { maxLength: 30 },
        ),
        async (ranges) => {
          const counted: number[] = [];
          const seen = new Set<number>();
          for (const [from, to] of ranges) {
            let fresh = 0;
            for (let c = from; c < to; c++) if (!seen.has(c)) fresh++;
            for (let c = from; c < to; c++) seen.add(c);
            expect(countOnce(counted, from, to)).toBe(fresh);
            // Sorted, disjoint, and not touching: the set, exactly.
            for (let i = 0; i + 2 < counted.length; i += 2)
              expect(counted[i + 1]!).toBeLessThan(counted[i + 2]!);
            let size = 0;
            for (let i = 0; i < counted.length; i += 2)
              size += counted[i + 1]! - counted[i]!;
            expect(size).toBe(seen.size);
          }
        },
      ),
      300,
    );
  });
});
