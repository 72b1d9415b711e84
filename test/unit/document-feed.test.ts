import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FIELD_SET, TEXT_EDITED, type LogEvent } from '../../src/index.ts';
import { followsOnAsText } from '../../src/doc/doc-events.ts';
import { addToPage } from '../../src/ui/document-feed.ts';
import {
  historyEntryOf as entryOf,
  type HistoryPage,
} from '../../src/doc/history-index.ts';
import { compareCanonical } from '../../src/log/store.ts';
import { assertProperty } from '../support/property.ts';

const event = (
  n: number,
  parents: string[] = [],
  type = TEXT_EDITED,
): LogEvent => ({
  id: `e${String(n).padStart(4, '0')}`,
  stream: 'doc/a',
  type,
  data: new Uint8Array(),
  parents,
  actor: 'a',
  seq: n + 1,
  hlc: `${String(1000 + (n % 7)).padStart(12, '0')}.0000`,
  time: '2026-11-30T00:00:00.000Z',
});

describe('a page of the history kept from deliveries', () => {
  it('stays the rows it held (or the latest, when it was at the end), in canonical order, with the right total, however deliveries come', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 40 }),
        fc.nat(),
        fc.integer({ min: 1, max: 12 }),
        fc.nat(),
        fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 20 }),
        fc.integer({ min: 1, max: 30 }),
        async (known, later, from, size, again, cuts, keep) => {
          // Positions are arrival order; canonical order is another (hlc, id).
          const all = Array.from({ length: known + later }, (_, i) => ({
            event: event(i),
            position: i + 1,
          }));
          const sorted = (ds: typeof all) =>
            ds
              .map((d) => d.event)
              .sort(compareCanonical)
              .map(entryOf);
          const before = sorted(all.slice(0, known));
          const start = known === 0 ? 0 : from % known;
          const atEnd = start + size >= known;
          const page: HistoryPage = {
            total: known,
            start,
            entries: before.slice(start, start + size),
            authors: known > 0 ? ['a'] : [],
            position: known,
          };
          const first = page.entries[0];
          const last = page.entries[page.entries.length - 1];
          // Delivered in position order (as a subscription does), in batches,
          // from a point before the page's position: some held already come again.
          const delivered = all.slice(again % (known + 1));
          for (let i = 0, c = 0; i < delivered.length; c++) {
            const n = cuts[c % Math.max(1, cuts.length)] ?? 3;
            addToPage(page, delivered.slice(i, i + n), Math.max(keep, size));
            i += n;
          }
          const whole = sorted(all);
          expect(page.total).toBe(whole.length);
          expect(page.position).toBe(all.length);
          // Whatever it holds is the whole history's rows from its start.
          expect(page.entries).toEqual(
            whole.slice(page.start, page.start + page.entries.length),
          );
          if (atEnd) {
            // It followed the latest: it ends at the end, keeping what it may.
            expect(page.start + page.entries.length).toBe(whole.length);
            const held = Math.min(size, known - start);
            expect(page.entries.length).toBeLessThanOrEqual(
              Math.max(keep, size, held),
            );
            expect(page.entries.length).toBeGreaterThanOrEqual(held);
          } else {
            // It still begins and ends where it did, and holds what sorts between.
            expect(page.entries[0]).toEqual(first);
            expect(page.entries[page.entries.length - 1]).toEqual(last);
          }
        },
      ),
      300,
    );
  });
});

describe('text that follows on', () => {
  it('is told apart from what may change more than the text: fields, forks, merges', () => {
    const base = event(0);
    const next = event(1, [base.id]);
    const more = (heads: string[], events: LogEvent[]) =>
      followsOnAsText(heads, events) === undefined;
    expect(followsOnAsText([base.id], [next])).toEqual([next.id]);
    expect(followsOnAsText([base.id], [next, event(2, [next.id])])).toEqual([
      event(2, [next.id]).id,
    ]);
    // Already held (our own echo): nothing.
    expect(followsOnAsText([next.id], [next])).toEqual([next.id]);
    expect(more([base.id], [event(1, [base.id], FIELD_SET)])).toBe(true);
    expect(more([next.id], [event(2, [base.id])])).toBe(true);
    expect(more([base.id, next.id], [event(2, [base.id, next.id])])).toBe(true);
    expect(more([base.id, next.id], [event(2, [next.id])])).toBe(true);
  });
});
