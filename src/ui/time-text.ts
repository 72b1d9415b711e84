/**
 * Times as the page shows them, each formatter made once. `Date#toLocaleString` and
 * `toLocaleTimeString` make a new `Intl.DateTimeFormat` at every call, ~0.05-1 ms:
 * paid per row of a table, or per delivery while another tab types, it was most of
 * what those renders cost.
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
const timeOfDay = new Intl.DateTimeFormat(undefined, {
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
});

/** Date and time, as `new Date(at).toLocaleString()` would write it. */
export const dateTimeText = (at: string | number | Date): string =>
  dateAndTime.format(new Date(at));

/** The time of day alone, as `toLocaleTimeString` would write it; nothing for no time. */
export const timeText = (at: string | number): string =>
  at === '' ? '' : timeOfDay.format(new Date(at));
