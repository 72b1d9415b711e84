import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventRecord } from '../../src/index.ts';
import { compareCanonical } from '../../src/log/store.ts';
import {
  lateness,
  mergeCanonical,
  reorderCanonical,
  SHIFT_LIMIT,
} from '../../src/log/canonical-order.ts';
import { assertProperty } from '../support/property.ts';
import { collect } from '../support/records.ts';

/** A record that only its stream, canonical key and position matter for. */
const recordOf = (
  stream: string,
  hlc: string,
  id: string,
  pos: number,
): EventRecord =>
  ({ event: { stream, hlc, id }, pos, recordedAt: 0, gen: 1 }) as EventRecord;

async function* of<T>(items: T[]): AsyncIterable<T> {
  for (const item of items) yield item;
}

/** `items` cut into pages of the sizes `sizes` gives in turn, to the last item. */
function paged<T>(items: T[], sizes: number[]): T[][] {
  const pages: T[][] = [];
  for (let at = 0, i = 0; at < items.length; i++) {
    const size = sizes[i % sizes.length]!;
    pages.push(items.slice(at, at + size));
    at += size;
    // Sizes of only zeros would never get there.
    if (i > items.length + sizes.length) {
      pages.push(items.slice(at));
      break;
    }
  }
  return pages;
}

const byKey = (a: EventRecord, b: EventRecord) =>
  compareCanonical(a.event, b.event);

/** Events in some arrival order: keys drawn from a small space, ids unique. */
const arrivals = fc
  .array(
    fc.record({
      stream: fc.constantFrom('doc/a', 'doc/b'),
      hlc: fc.integer({ min: 0, max: 30 }),
    }),
    { maxLength: 60 },
  )
  .map((drawn) =>
    drawn.map(({ stream, hlc }, i) =>
      recordOf(stream, String(hlc).padStart(4, '0'), `id-${i}`, i + 1),
    ),
  );

describe('canonical order from arrival order and late events (src/log/canonical-order.ts)', () => {
  it('gives every stream exactly its events sorted by (hlc, id), however they arrived and were committed', async () => {
    await assertProperty(
      fc.asyncProperty(
        arrivals,
        fc.array(fc.integer({ min: 1, max: 8 }), { maxLength: 60 }),
        async (records, commitSizes) => {
          // Committed in transactions of random sizes, each told the tails so far.
          const tails = new Map<string, { hlc: string; id: string }>();
          const late: EventRecord[] = [];
          for (let i = 0, t = 0; i < records.length; t++) {
            const size = commitSizes[t % Math.max(commitSizes.length, 1)] ?? 1;
            const tx = records.slice(i, i + size);
            i += size;
            const result = lateness(tx, (s) => tails.get(s));
            late.push(...result.late);
            for (const [s, key] of result.tails) tails.set(s, key);
          }
          for (const stream of ['doc/a', 'doc/b']) {
            const mine = records.filter((r) => r.event.stream === stream);
            const lateHere = late
              .filter((r) => r.event.stream === stream)
              .sort(byKey);
            const merged = await collect(
              mergeCanonical(of(mine), of(lateHere)),
            );
            expect(merged.map((r) => r.event.id)).toEqual(
              [...mine].sort(byKey).map((r) => r.event.id),
            );
            // The tail is the greatest key.
            const greatest = [...mine].sort(byKey).at(-1);
            expect(tails.get(stream)?.id).toBe(greatest?.event.id);
          }
        },
      ),
      500,
    );
  });

  it('tells late events apart by arrival order alone', async () => {
    const records = ['0003', '0001', '0005', '0002'].map((hlc, i) =>
      recordOf('doc/a', hlc, `id-${i}`, i + 1),
    );
    const { late } = lateness(records, () => undefined);
    expect(late.map((r) => r.event.hlc)).toEqual(['0001', '0002']);
    const merged = await collect(
      mergeCanonical(of(records), of(late.sort(byKey))),
    );
    expect(merged.map((r) => r.event.hlc)).toEqual([
      '0001',
      '0002',
      '0003',
      '0005',
    ]);
  });

  it('never yields out of order when a late event lands behind the reader', async () => {
    const records = ['0001', '0003'].map((hlc, i) =>
      recordOf('doc/a', hlc, `id-${i}`, i + 1),
    );
    const behind = recordOf('doc/a', '0002', 'id-9', 3);
    // The late reader sees an event that sorts before what was already yielded.
    async function* lateArrivingLate(): AsyncIterable<EventRecord> {
      yield behind;
    }
    const merged = await collect(
      mergeCanonical(of([...records, behind]), lateArrivingLate()),
    );
    const hlcs = merged.map((r) => r.event.hlc);
    expect(hlcs).toEqual([...hlcs].sort());
    expect(new Set(hlcs).size).toBe(hlcs.length);
  });

  it('reorders arrival order in a window: sorted wherever holding `window` records and giving the least would sort', async () => {
    // Nearly sorted, as arrival order is: each key drawn near its position.
    const nearlySorted = fc
      .array(fc.integer({ min: -12, max: 3 }), { maxLength: 80 })
      .map((shifts) =>
        shifts.map((shift, i) =>
          recordOf(
            'doc/a',
            String(Math.max(0, i + shift)).padStart(4, '0'),
            `id-${i}`,
            i + 1,
          ),
        ),
      );
    await assertProperty(
      fc.asyncProperty(
        fc.oneof(nearlySorted, arrivals),
        fc.integer({ min: 1, max: 16 }),
        fc.constantFrom('doc/', 'doc/a'),
        // The store's pages, of any sizes (empty ones too): the order is the records'.
        fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1 }),
        // How far back a record is moved into place before a sort is left to do
        // it: small ones make both happen within a window.
        fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constant(SHIFT_LIMIT)),
        async (records, window, prefix, sizes, shiftLimit) => {
          const kept = records.filter((r) => r.event.stream.startsWith(prefix));
          // The definition: a heap of `window` records, the least given at each arrival.
          const model: EventRecord[] = [];
          const held: EventRecord[] = [];
          const takeLeast = () => {
            held.sort(byKey);
            model.push(held.shift()!);
          };
          for (const record of kept) {
            held.push(record);
            if (held.length > window) takeLeast();
          }
          while (held.length > 0) takeLeast();
          const pages = await collect(
            reorderCanonical(
              of(paged(records, sizes)),
              window,
              (e) => e.stream.startsWith(prefix),
              shiftLimit,
            ),
          );
          const got = pages.flat();
          const sorted = [...kept].sort(byKey);
          // Every record of the streams once, whatever the order.
          expect([...got].sort(byKey)).toEqual(sorted);
          // Sorted wherever the definition sorts, and within a window always.
          const modelSorted = model.every(
            (r, i) => i === 0 || byKey(model[i - 1]!, r) < 0,
          );
          if (modelSorted || kept.length <= window + 1)
            expect(got).toEqual(sorted);
          // Each page in order: a reader checks only where pages meet.
          for (const page of pages) expect(page).toEqual([...page].sort(byKey));
        },
      ),
      500,
    );
  });
});
