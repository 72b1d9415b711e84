/** An event's time (RFC 3339 text) as milliseconds, read fast in the log's own form. */

/** The minute `timeOf` read last, as written ("2026-12-02T03:15"), and its time (ms). */
let minute = '\u0000';
let minuteMs = NaN;

/**
 * `Date.parse(time)`, without parsing the date again for each event of a minute:
 * a time as the log writes it ("2026-12-02T03:15:30.123Z") is its minute's time
 * plus the seconds and milliseconds read here. Any other form, hour 24, or a leap
 * second (which Date does not take) goes to Date.parse as it is. In Chromium the
 * insights fold's Date.parse took 34–134 ms per 260k events, this 20–56.
 */
export function timeOf(time: string): number {
  // The minute read last again (its digits were checked then): only the seconds
  // and milliseconds are read.
  if (time.length === 24 && time.startsWith(minute)) {
    const seconds = digitsAt(time, 17, 2);
    const ms = digitsAt(time, 20, 3);
    if (
      time.charCodeAt(16) === 58 &&
      time.charCodeAt(19) === 46 &&
      time.charCodeAt(23) === 90 &&
      seconds >= 0 &&
      seconds < 60 &&
      ms >= 0
    )
      return minuteMs + seconds * 1000 + ms;
    return Date.parse(time);
  }
  if (
    time.length === 24 &&
    // The form's separators where it puts them: - - T : : . Z
    time.charCodeAt(4) === 45 &&
    time.charCodeAt(7) === 45 &&
    time.charCodeAt(10) === 84 &&
    time.charCodeAt(13) === 58 &&
    time.charCodeAt(16) === 58 &&
    time.charCodeAt(19) === 46 &&
    time.charCodeAt(23) === 90 &&
    digitsAt(time, 0, 4) >= 0 &&
    digitsAt(time, 5, 2) >= 0 &&
    digitsAt(time, 8, 2) >= 0 &&
    digitsAt(time, 14, 2) >= 0
  ) {
    const hour = digitsAt(time, 11, 2);
    const seconds = digitsAt(time, 17, 2);
    const ms = digitsAt(time, 20, 3);
    if (hour >= 0 && hour < 24 && seconds >= 0 && seconds < 60 && ms >= 0) {
      if (!time.startsWith(minute)) {
        minute = time.slice(0, 16);
        minuteMs = Date.parse(`${minute}:00.000Z`);
      }
      return minuteMs + seconds * 1000 + ms;
    }
  }
  return Date.parse(time);
}

/** The number `count` decimal digits at `at` write, or -1 if one is not a digit. */
function digitsAt(text: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}
