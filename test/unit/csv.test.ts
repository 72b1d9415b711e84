import { describe, expect, it } from 'vitest';
import { toCsv } from '../../src/ui/csv.ts';

describe('CSV downloads', () => {
  it('quotes what would start a new field or row (RFC 4180), and keeps a spreadsheet from running text as a formula; a time goes as RFC 3339, not as shown', () => {
    const csv = toCsv(
      ['Document', 'Events'],
      [
        ['Plain', 3],
        ['With, comma', 1],
        ['Said "hi"', 2],
        ['Two\nlines', 4],
        ['=HYPERLINK("http://x")', 5],
        ['@SUM(A1)', 6],
        [-1, 7],
        [
          { shown: '12/6/2026, 3:00:00 PM', csv: '2026-12-06T15:00:00.000Z' },
          8,
        ],
        [{ shown: 'x', csv: '=1+1' }, 9],
      ],
    );
    expect(csv.split('\r\n')).toEqual([
      'Document,Events',
      'Plain,3',
      '"With, comma",1',
      '"Said ""hi""",2',
      '"Two\nlines",4',
      `"'=HYPERLINK(""http://x"")",5`,
      `'@SUM(A1),6`,
      '-1,7',
      '2026-12-06T15:00:00.000Z,8',
      `'=1+1,9`,
      '',
    ]);
  });
});
