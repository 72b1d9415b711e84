import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { timeOf } from '../../src/log/event-time.ts';
import { assertProperty } from '../support/property.ts';

describe('an event time read as milliseconds (src/log/event-time.ts)', () => {
  it('reads an event’s time as Date.parse does, for any digits in the log’s own form and any other text', async () => {
    const digits = (n: number) =>
      fc
        .array(fc.constantFrom(...'0123456789'), { minLength: n, maxLength: n })
        .map((d) => d.join(''));
    // The log's form with any digits: months past 12, hour 24, leap seconds.
    const written = fc
      .tuple(
        digits(4),
        digits(2),
        digits(2),
        digits(2),
        digits(2),
        digits(2),
        digits(3),
      )
      .map(
        ([y, mo, d, h, mi, s, ms]) => `${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`,
      );
    // Real times, with a character or two put in anywhere.
    const near = fc
      .tuple(
        fc.integer({ min: 0, max: 4e12 }),
        fc.integer({ min: 0, max: 23 }),
        fc.string({ maxLength: 2 }),
      )
      .map(([ms, at, put]) => {
        const t = new Date(ms).toISOString();
        return t.slice(0, at) + put + t.slice(at + put.length);
      });
    // A real time, then one of its minute with a character put past the minute
    // (the minute read last is taken as read: what follows it must still be checked).
    const sameMinute = fc
      .tuple(
        fc.integer({ min: 0, max: 4e12 }),
        fc.integer({ min: 16, max: 23 }),
        fc.string({ minLength: 1, maxLength: 2 }),
      )
      .map(([ms, at, put]) => {
        const t = new Date(ms).toISOString();
        return [t, t.slice(0, at) + put + t.slice(at + put.length)];
      });
    await assertProperty(
      fc.asyncProperty(
        // In runs, as a fold reads them: the minute read last is kept between them.
        fc.array(
          fc.oneof(
            written.map((t) => [t]),
            near.map((t) => [t]),
            fc.string().map((t) => [t]),
            sameMinute,
          ),
          { maxLength: 20 },
        ),
        async (runs) => {
          for (const time of runs.flat())
            expect(timeOf(time), time).toBe(Date.parse(time));
        },
      ),
      1000,
    );
    for (const time of [
      '2026-12-02T03:15:30.123Z',
      '2026-12-02T03:15:59.999Z',
      '2026-12-02T03:15:60.000Z',
      '2026-12-02T24:00:00.000Z',
      '2026-12-02T24:00:30.000Z',
      '197(-05-10T00:00:00.001Z',
      '2026-12-02T03:15:30.123+01:00',
    ])
      expect(timeOf(time), time).toBe(Date.parse(time));
  });
});
