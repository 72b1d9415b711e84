import { describe, expect, it } from 'vitest';
import { isRfc3339 } from '../../src/log/validate.ts';
import {
  dateTimeText,
  instantOf,
  localOf,
  spanText,
  timeText,
} from '../../src/ui/time-text.ts';

describe('times as the page shows them', () => {
  it('writes what toLocaleString and toLocaleTimeString write', () => {
    const at = '2026-12-02T01:02:03.456Z';
    expect(dateTimeText(at)).toBe(new Date(at).toLocaleString());
    expect(dateTimeText(Date.parse(at))).toBe(new Date(at).toLocaleString());
    expect(timeText(at)).toBe(new Date(at).toLocaleTimeString());
    expect(timeText('')).toBe('');
  });

  it('shows a time no Date takes as it was written, instead of throwing', () => {
    // RFC 3339 (and the log's check) admits a leap second; Date does not.
    for (const at of ['2026-01-01T10:00:60Z', 'not a time', NaN])
      for (const text of [dateTimeText, timeText])
        expect(text(at)).toBe(String(at));
  });

  it('writes a stretch of time with its date unless it is today, and its end only when it reads otherwise', () => {
    const now = Date.parse('2026-12-04T12:00:00');
    const [nine, ninePast, ten] = [
      '2026-12-04T09:00:00',
      '2026-12-04T09:00:00.400',
      '2026-12-04T10:00:00',
    ];
    expect(spanText(nine, ten, now)).toBe(`${timeText(nine)}–${timeText(ten)}`);
    // The same second, read the same: once.
    expect(spanText(nine, ninePast, now)).toBe(timeText(nine));
    const [lastWeek, lastWeekLater] = [
      '2026-11-27T15:12:05',
      '2026-11-27T15:20:00',
    ];
    expect(spanText(lastWeek, lastWeekLater, now)).toBe(
      `${dateTimeText(lastWeek)}–${timeText(lastWeekLater)}`,
    );
    // Over midnight: the end has its date too.
    expect(spanText(lastWeek, nine, now)).toBe(
      `${dateTimeText(lastWeek)}–${dateTimeText(nine)}`,
    );
    expect(spanText('', '', now)).toBe('');
    expect(spanText('not a time', 'not a time', now)).toBe('not a time');
  });

  it('reads a date-time field as an RFC 3339 bound, whatever year the field takes', () => {
    const local = '2026-12-05T10:30';
    expect(instantOf(local, false)).toBe(new Date(local).toISOString());
    // An end bound holds its whole minute.
    expect(Date.parse(instantOf(local, true)!)).toBe(
      new Date(local).getTime() + 59_999,
    );
    expect(localOf(instantOf(local, false))).toBe(local);
    expect(localOf(instantOf(local, true))).toBe(local);
    // A field takes years up to 275760, which RFC 3339 cannot write (and whose
    // minute's end Date cannot hold): no event is later than year 9999's end.
    for (const far of ['275760-09-13T00:00', '10000-01-01T00:00'])
      for (const end of [false, true]) {
        const bound = instantOf(far, end)!;
        expect(isRfc3339(bound), bound).toBe(true);
        expect(bound).toBe('9999-12-31T23:59:59.999Z');
      }
    // Years below 100 are those years, not 19xx as Date's constructor has them.
    expect(new Date(instantOf('0050-03-01T00:00', false)!).getFullYear()).toBe(
      50,
    );
    // A field whose step is under a minute shows seconds too.
    expect(instantOf('2026-12-05T10:30:15', false)).toBe(
      new Date('2026-12-05T10:30:15').toISOString(),
    );
    for (const empty of ['', 'not a time']) {
      expect(instantOf(empty, false)).toBeUndefined();
      expect(instantOf(empty, true)).toBeUndefined();
    }
    expect(localOf(undefined)).toBe('');
    expect(localOf('not a time')).toBe('');
  });
});
