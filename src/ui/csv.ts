/** A table cell as the insights hold it. */
export type Cell = string | number;

/**
 * RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
 * Text comes from other replicas (titles, author names): one that a spreadsheet
 * would run as a formula (starting with =, +, -, @, a tab or a carriage return)
 * is written with a leading apostrophe, as OWASP advises, so it opens as text.
 */
export function toCsv(columns: string[], rows: Cell[][]): string {
  const field = (cell: Cell) => {
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
