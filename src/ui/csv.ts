/**
 * A table cell as the insights hold it. A time is shown in the reader's locale and
 * written to CSV as RFC 3339 (`csv`), which a spreadsheet or a script reads in any
 * locale: "06/12/2026, 14:00:00" is June or December depending on where it opened.
 */
export type Cell = string | number | { shown: string; csv: string };

/** What a table shows of a cell. */
export const shownText = (cell: Cell): string | number =>
  typeof cell === 'object' ? cell.shown : cell;

/**
 * RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
 * Text comes from other replicas (titles, author names): one that a spreadsheet
 * would run as a formula (starting with =, +, -, @, a tab or a carriage return)
 * is written with a leading apostrophe, as OWASP advises, so it opens as text.
 */
export function toCsv(columns: Cell[], rows: Cell[][]): string {
  const field = (shown: Cell) => {
    const cell = typeof shown === 'object' ? shown.csv : shown;
    const text =
      typeof cell === 'string' && /^[=+\-@\t\r]/.test(cell)
        ? `'${cell}`
        : String(cell);
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  return (
    [columns, ...rows].map((r) => r.map(field).join(',')).join('\r\n') + '\r\n'
  );
}
