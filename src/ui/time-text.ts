/**
 * Times as the page shows them, each formatter made once. `Date#toLocaleString` and
 * `toLocaleTimeString` make a new `Intl.DateTimeFormat` at every call, ~0.05-1 ms:
 * paid per row of a table, or per delivery while another tab types, it was most of
 * what those renders cost.
 *
 * A time that does not parse is shown as it was written: an event's time comes from
 * whichever replica wrote it, and RFC 3339 admits some that no Date takes (a leap
 * second, ":60"), on which a formatter throws and would take the view down with it.
 */
const dateAndTime = new Intl.DateTimeFormat(undefined, {
  // What toLocaleString shows when given no options.
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
});
const day = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
});
const timeOfDay = new Intl.DateTimeFormat(undefined, {
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
});

function formatted(format: Intl.DateTimeFormat, at: string | number): string {
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? String(at) : format.format(date);
}

/** Date and time, as `new Date(at).toLocaleString()` would write it. */
export const dateTimeText = (at: string | number): string =>
  formatted(dateAndTime, at);

/** The time of day alone, as `toLocaleTimeString` would write it; nothing for no time. */
export const timeText = (at: string | number): string =>
  at === '' ? '' : formatted(timeOfDay, at);

/**
 * A stretch of time, from `from` to `to` (either may be ''), as a timeline lists it:
 * the time of day alone on the day `now` falls on, with the date before; the end
 * only when it reads otherwise, and its date only when that differs from the start's.
 * A conflict from last week reads as last week's, not as a time today.
 */
export function spanText(
  from: string,
  to: string,
  now: number = Date.now(),
): string {
  const dayText = (at: string) => formatted(day, at);
  const at = (when: string, sameDayAs: string) =>
    when === '' || dayText(when) === sameDayAs
      ? timeText(when)
      : dateTimeText(when);
  const start = at(from, formatted(day, now));
  const end = at(to, from === '' ? formatted(day, now) : dayText(from));
  return end === '' || end === start
    ? start
    : start === ''
      ? end
      : `${start}–${end}`;
}

/** The latest instant RFC 3339 writes: its years have four digits. */
const LAST_INSTANT = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/** A date-time field's value: its years may have more than four digits. */
const LOCAL_DATE_TIME =
  /^(\d{4,})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,3}))?)?$/;

/**
 * A date-time field's value (local time, to the minute) as RFC 3339, or nothing for
 * an empty or unreadable one. `end`: the bound's minute is included, to its last
 * millisecond. A field takes years up to 275760, which neither RFC 3339 nor
 * `Date.parse` reads: no event is later than year 9999, so a later bound is its end.
 */
export function instantOf(local: string, end: boolean): string | undefined {
  const parts = LOCAL_DATE_TIME.exec(local);
  if (!parts) return undefined;
  const [year, month, day, hours, minutes, seconds, ms] = parts
    .slice(1)
    .map((part) => Number(part ?? 0));
  if (year! > 9999) return new Date(LAST_INSTANT).toISOString();
  // Not new Date(year, …): that reads years below 100 as 19xx.
  const at = new Date(2000, 0, 1, hours, minutes, seconds, ms);
  at.setFullYear(year!, month! - 1, day);
  const time = at.getTime();
  if (Number.isNaN(time)) return undefined;
  return new Date(
    Math.min(time + (end ? 59_999 : 0), LAST_INSTANT),
  ).toISOString();
}

/** An instant as a date-time field shows it (local time, to the minute), or ''. */
export function localOf(iso: string | undefined): string {
  if (iso === undefined) return '';
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return '';
  const two = (n: number) => String(n).padStart(2, '0');
  return `${String(at.getFullYear()).padStart(4, '0')}-${two(at.getMonth() + 1)}-${two(at.getDate())}T${two(at.getHours())}:${two(at.getMinutes())}`;
}
