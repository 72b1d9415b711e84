import { goalMet } from './goal.ts';
import type { MachineInfo } from './machine.ts';
import type { BenchResult } from './scenario.ts';

/** Three significant digits, without exponents, so columns stay readable. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 100 || Number.isInteger(value)) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

const COLUMNS = [
  'name',
  'value',
  'unit',
  'baseline',
  'ratio',
  'goal',
  'met?',
  'runs',
  'min..max',
];
const RIGHT_ALIGNED = new Set(['value', 'ratio', 'runs', 'min..max']);

function rowOf(result: BenchResult): string[] {
  const met = goalMet(result);
  return [
    result.name,
    formatNumber(result.value),
    result.unit,
    result.baseline
      ? `${result.baseline.name} ${formatNumber(result.baseline.value)}`
      : '',
    result.ratio === undefined ? '' : formatNumber(result.ratio),
    result.goal ?? '',
    met === undefined ? '' : met ? 'yes' : 'NO',
    String(result.runs),
    `${formatNumber(result.min)}..${formatNumber(result.max)}`,
  ];
}

/** A plain-text table, one line per result, for the console. */
export function formatTable(
  machine: MachineInfo,
  results: BenchResult[],
): string {
  const rows = [COLUMNS, ...results.map(rowOf)];
  const widths = COLUMNS.map((_, i) =>
    Math.max(...rows.map((row) => row[i]!.length)),
  );
  const line = (row: string[]) =>
    row
      .map((cell, i) =>
        RIGHT_ALIGNED.has(COLUMNS[i]!)
          ? cell.padStart(widths[i]!)
          : cell.padEnd(widths[i]!),
      )
      .join('  ')
      .trimEnd();
  const header =
    `${machine.cpus} × ${machine.model}, ${machine.memoryGiB} GiB, ` +
    `node ${machine.node}, ${machine.platform}`;
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [header, '', line(COLUMNS), rule, ...rows.slice(1).map(line)].join(
    '\n',
  );
}
