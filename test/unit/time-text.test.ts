import { describe, expect, it } from 'vitest';
import { dateTimeText, spanText, timeText } from '../../src/ui/time-text.ts';

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
});
