import type { BenchBrowser } from './browser-session.ts';

/** One figure of a report, exactly as written to JSON (DESIGN §13). */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  /** value / baseline.value, both measured in the same run of the harness. */
  ratio?: number;
  /** "<= N" compares the value, "<= Nx …" compares the ratio. */
  goal?: string;
  runs: number;
  min: number;
  max: number;
}

export interface ScenarioContext {
  /** Smoke mode: small sizes, two runs. */
  quick: boolean;
  /** Measured runs, after one warm-up run that is thrown away. */
  runs: number;
  /** `--trace FILE`: the editing trace the trace scenarios replay instead of their defaults. */
  trace?: string;
  /** Progress for whoever watches the console; not part of the report. */
  note(message: string): void;
  /**
   * The Chromium of this run of the harness, started on first use and closed when
   * every scenario is done. Scenarios close the tabs they open.
   */
  browser(): Promise<BenchBrowser>;
}

export interface Scenario {
  /** Selected by `--only PREFIX`. */
  name: string;
  /** One line for `--help`. */
  summary: string;
  run(context: ScenarioContext): Promise<BenchResult[]>;
}
