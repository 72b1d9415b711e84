import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FIELD_SET, TEXT_EDITED, type LogEvent } from '../../src/index.ts';
import {
  addToHistory,
  changesMoreThanText,
} from '../../src/ui/document-feed.ts';
import { historyEntryOf as entryOf } from '../../src/contract/documents.ts';
import { compareCanonical } from '../../src/log/store.ts';
import type { HistoryEntry } from '../../src/contract/index.ts';
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

describe('a history kept from deliveries', () => {
  it('ends in canonical order with each event once, however deliveries are cut, ordered and repeated', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 40 }),
        fc.array(fc.nat(), { maxLength: 60 }),
        fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 20 }),
        async (count, order, cuts) => {
          const events = Array.from({ length: count }, (_, i) => event(i));
          // Delivered in some order, in batches, some twice.
          const delivered = [...events, ...events.slice(0, count >> 2)];
          order.forEach((s, i) => {
            const [a, b] = [i % delivered.length, s % delivered.length];
            if (delivered.length > 1)
              [delivered[a], delivered[b]] = [delivered[b]!, delivered[a]!];
          });
          const history: HistoryEntry[] = [];
          for (let i = 0, c = 0; i < delivered.length; c++) {
            const size = cuts[c % Math.max(1, cuts.length)] ?? 3;
            addToHistory(history, delivered.slice(i, i + size));
            i += size;
          }
          expect(history).toEqual(
            [...events].sort(compareCanonical).map(entryOf),
          );
        },
      ),
      300,
    );
  });

  it('asks for the view again only when more than the text may have changed', () => {
    const base = event(0);
    const next = event(1, [base.id]);
    expect(changesMoreThanText([base.id], [next])).toBe(false);
    expect(changesMoreThanText([base.id], [next, event(2, [next.id])])).toBe(
      false,
    );
    // Already held (our own echo): nothing.
    expect(changesMoreThanText([next.id], [next])).toBe(false);
    expect(
      changesMoreThanText([base.id], [event(1, [base.id], FIELD_SET)]),
    ).toBe(true);
    expect(changesMoreThanText([next.id], [event(2, [base.id])])).toBe(true);
    expect(
      changesMoreThanText([base.id, next.id], [event(2, [base.id, next.id])]),
    ).toBe(true);
    expect(changesMoreThanText([base.id, next.id], [event(2, [next.id])])).toBe(
      true,
    );
  });
});
