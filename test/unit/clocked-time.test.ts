// When a page says an event was written: its writer's time, unless its clock says
// otherwise (QA pass 13: a rename dated 2001 after versions of 2026).
import { describe, expect, it } from 'vitest';
import {
  FIELD_SET,
  memoryStore,
  openDocument,
  type LogEvent,
} from '../../src/index.ts';
import { clockedTime } from '../../src/log/event-time.ts';
import { formatHlc, MAX_CLOCK_DRIFT } from '../../src/log/hlc.ts';
import { openLogOn } from '../../src/log/log.ts';
import { syncAll } from '../support/convergence.ts';
import { documentService } from '../support/document-service.ts';

const CLOCK = Date.UTC(2026, 11, 5, 10, 0, 0);
const at = (time: number, clock = CLOCK) => ({
  time: new Date(time).toISOString(),
  hlc: formatHlc({ wall: clock, counter: 3 }),
});

describe('an event’s clocked time', () => {
  it('is its writer’s time where its clock agrees, else the clock’s', () => {
    // Written and clocked together, or clocked later (the writer's clock pulled
    // forward by what it had received, up to the drift): the writer's.
    for (const time of [CLOCK, CLOCK - 5_000, CLOCK - MAX_CLOCK_DRIFT])
      expect(clockedTime(at(time))).toBe(new Date(time).toISOString());
    // Before any clock it could have had, or well after its own: the clock's.
    const clock = new Date(CLOCK).toISOString();
    for (const time of [
      Date.UTC(2001, 0, 1),
      CLOCK - MAX_CLOCK_DRIFT - 1,
      CLOCK + 10 * 60_000,
      Date.UTC(9999, 0, 1),
    ])
      expect(clockedTime(at(time))).toBe(clock);
    // A time that does not read: the clock's.
    expect(clockedTime({ ...at(CLOCK), time: '2026-12-05T10:00:60Z' })).toBe(
      clock,
    );
  });

  it('dates the history’s versions, and jumps by time follow it', async () => {
    const store = memoryStore();
    const log = await openLogOn(store, { actor: 'ana' });
    const docs = documentService(log, store);
    const doc = await openDocument(log, 'notes', { author: 'Ana' });
    await doc.setField('title', 'Notes');
    await doc.editText(0, 0, 'Hello.');
    // Another replica's rename, claiming to be from 2001.
    const mallory = await openLogOn(memoryStore(), { actor: 'mallory' });
    await syncAll([log, mallory]);
    const [forged] = await mallory.append('doc/notes', {
      type: FIELD_SET,
      data: { field: 'title', value: 'Old', supersedes: [] },
      time: '2001-01-01T00:00:00.000Z',
    });
    await syncAll([log, mallory]);
    const event: LogEvent = forged!.event;
    expect(event.time).toBe('2001-01-01T00:00:00.000Z');

    const page = await docs.historyPage('notes', 0, 10);
    const entry = page.entries.find((e) => e.id === event.id)!;
    expect(entry.time).toBe(clockedTime(event));
    expect(entry.time.startsWith('2001')).toBe(false);
    // Nothing was written by 2002: the forged rename is not there to jump to.
    expect(
      await docs.historyJump('notes', {
        to: 'time',
        time: Date.UTC(2002, 0, 1),
      }),
    ).toBeUndefined();
    await log.close();
    await mallory.close();
  });
});
