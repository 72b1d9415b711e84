import type { BenchResult } from './scenario.ts';

/** The spread of one figure over the measured runs. */
export interface Sample {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export function summarize(values: number[]): Sample {
  if (values.length === 0) throw new Error('cannot summarize zero runs');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median =
    sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return {
    median,
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    runs: sorted.length,
  };
}

/**
 * The nearest-rank percentile (`p` in 0..100): the smallest value that at least
 * p % of `values` do not exceed. Of 200 values, p99 is the second largest.
 */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) throw new Error('no values to take a percentile of');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/**
 * Runs `body` once to warm the JIT up, then `runs` times, and summarizes each named
 * figure it returns. No forced GC between runs: on the 2-vCPU VM this was written
 * on, a forced full collection left the next few hundred ms up to 4x slower, which
 * is worse noise than one run's garbage.
 */
export async function sampleRuns<K extends string>(
  runs: number,
  body: (run: number) => Promise<Record<K, number>>,
): Promise<Record<K, Sample>> {
  const collected = new Map<K, number[]>();
  for (let run = 0; run <= runs; run++) {
    const figures = await body(run);
    if (run === 0) continue;
    for (const [name, value] of Object.entries(figures) as [K, number][]) {
      const values = collected.get(name) ?? [];
      values.push(value);
      collected.set(name, values);
    }
  }
  const samples = {} as Record<K, Sample>;
  for (const [name, values] of collected) samples[name] = summarize(values);
  return samples;
}

/** A report line from a sample; with a baseline, `ratio` compares the two medians. */
export function toResult(
  name: string,
  unit: string,
  sample: Sample,
  options: { baseline?: BenchResult; goal?: string } = {},
): BenchResult {
  const { baseline, goal } = options;
  return {
    name,
    value: sample.median,
    unit,
    ...(baseline
      ? {
          baseline: { name: baseline.name, value: baseline.value },
          ratio: sample.median / baseline.value,
        }
      : {}),
    ...(goal !== undefined ? { goal } : {}),
    runs: sample.runs,
    min: sample.min,
    max: sample.max,
  };
}

/** Milliseconds since an arbitrary origin, sub-millisecond precise. */
export const now = (): number => performance.now();
