import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { launchBenchBrowser, type BenchBrowser } from './browser-session.ts';
import { describeMachine, type MachineInfo } from './machine.ts';
import { now } from './measure.ts';
import { formatTable } from './report-table.ts';
import type { BenchResult, ScenarioContext } from './scenario.ts';
import { SCENARIOS } from './scenarios.ts';
import { preloadTrace } from './trace-source.ts';

export interface BenchOptions {
  /** Smoke mode: small sizes, two measured runs. */
  quick: boolean;
  /** Runs only the scenarios whose name starts with this. */
  only?: string;
  /** Where to write the JSON report (DESIGN §13). */
  json?: string;
  /** An editing trace (editing-traces format) for the trace scenarios to replay. */
  trace?: string;
}

export interface BenchReport {
  machine: MachineInfo;
  results: BenchResult[];
}

async function startBrowser(
  note: (message: string) => void,
): Promise<BenchBrowser> {
  const start = now();
  const browser = await launchBenchBrowser(note);
  note(
    `started Chromium and the dev server in ${Math.round(now() - start)} ms`,
  );
  return browser;
}

/** One line per scenario, for `--help`. */
export function describeScenarios(): string {
  const width = Math.max(...SCENARIOS.map((s) => s.name.length));
  return SCENARIOS.map((s) => `  ${s.name.padEnd(width)}  ${s.summary}`).join(
    '\n',
  );
}

/**
 * Runs the selected scenarios one after another, prints the table on stdout (progress
 * goes to stderr) and writes the JSON report when asked.
 * @throws Error when no scenario matches `only`, or when a scenario's own check fails.
 */
export async function runBenchmarks(
  options: BenchOptions,
): Promise<BenchReport> {
  const { only, json, quick, trace } = options;
  const selected = SCENARIOS.filter(
    (s) => only === undefined || s.name.startsWith(only),
  );
  if (selected.length === 0) {
    throw new Error(
      `no scenario name starts with "${only}"; there are:\n${describeScenarios()}`,
    );
  }
  const note = (message: string) => console.error(`  ${message}`);
  let browser: Promise<BenchBrowser> | undefined;
  const context: ScenarioContext = {
    quick,
    runs: quick ? 2 : 5,
    ...(trace !== undefined ? { trace: resolve(trace) } : {}),
    note,
    browser: () => (browser ??= startBrowser(note)),
  };
  if (context.trace !== undefined) note(await preloadTrace(context.trace));
  const machine = describeMachine();
  const results: BenchResult[] = [];
  try {
    for (const scenario of selected) {
      console.error(
        `${scenario.name}: warm-up + ${context.runs} runs${quick ? ' (quick)' : ''}`,
      );
      const start = now();
      results.push(...(await scenario.run(context)));
      console.error(`  done in ${((now() - start) / 1000).toFixed(1)} s`);
    }
  } finally {
    // A browser or dev server left open would keep Node from exiting.
    await browser?.then((b) => b.close()).catch(() => undefined);
  }
  const report: BenchReport = { machine, results };
  console.log(formatTable(machine, results));
  if (json !== undefined) {
    const path = resolve(json);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, JSON.stringify(report, null, 2) + '\n');
    console.error(`wrote ${path}`);
  }
  return report;
}
