import { describe, expect, it } from 'vitest';
import { dateTimeText, timeText } from '../../src/ui/time-text.ts';

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
});
