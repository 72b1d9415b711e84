import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchResult } from '../../bench/scenario.ts';
import { fullTrials } from '../support/trials.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

/**
 * The names DESIGN §13 fixes, each of which a quick run reports too, but for
 * open.cold.260k: a quick run opens a 10k-event history only.
 */
const DESIGN_NAMES = [
  'append.batch1000.throughput',
  'append.single.p50',
  'append.cost.100k-vs-1k',
  'tabs.propagation.p50',
  'tabs.propagation.p99',
  'open.cold.10k',
  'trace.sequential',
  'trace.concurrent',
  'storage.bytes-per-event',
  'export.throughput',
  'import.throughput',
  'compaction.throughput',
  'bundle.gzip',
  'relay.throughput',
  'relay.propagation.p50',
  'explorer.first-page',
  'insights.full',
  'insights.per-event',
];

/** Every scenario at smoke sizes takes several minutes on a 2-core machine. */
const TIMEOUT = fullTrials ? 900_000 : 300_000;

const scratch = mkdtempSync(join(tmpdir(), 'forkline-bench-smoke-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// `npm run bench -- --quick` end to end, as a user runs it, in real Chromium at smoke
// sizes. The figures are not judged here (a loaded CI machine is no place for that),
// only that each scenario runs, checks its own results, and reports them in the
// shape DESIGN §13 fixes. Every scenario takes minutes: `npm run trials` runs them
// all. `npm test` runs the single-append scenario (a log worker in Chromium beside
// raw IndexedDB, the runner, the report): benchmarks are not tests, and the
// keystroke scenario's own build and two browsers cost the suite ~50 s.
const scenarios = fullTrials
  ? { args: [], names: DESIGN_NAMES }
  : {
      args: ['--only', 'append.single'],
      names: ['append.single.p50'],
    };

describe('npm run bench -- --quick', () => {
  it(
    `runs ${fullTrials ? 'every scenario' : 'the single-append scenario'} and writes the report DESIGN §13 describes`,
    async () => {
      const json = join(scratch, 'report.json');
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['bench/run.mjs', '--quick', '--json', json, ...scenarios.args],
        { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, timeout: TIMEOUT - 20_000 },
      );
      const report = JSON.parse(readFileSync(json, 'utf8')) as {
        machine: Record<string, unknown>;
        results: BenchResult[];
      };
      expect(report.machine).toMatchObject({
        cpus: expect.any(Number),
        node: process.version,
      });
      const names = report.results.map((r) => r.name);
      expect(names).toEqual(expect.arrayContaining(scenarios.names));
      expect(new Set(names).size).toBe(names.length);
      for (const result of report.results) {
        const where = `result ${result.name}`;
        expect(Number.isFinite(result.value), where).toBe(true);
        expect(result.unit, where).toMatch(/\S/);
        expect(result.runs, where).toBeGreaterThanOrEqual(1);
        expect(result.min, where).toBeLessThanOrEqual(result.value);
        expect(result.max, where).toBeGreaterThanOrEqual(result.value);
        if (result.baseline) {
          expect(names, where).toContain(result.baseline.name);
          expect(result.ratio, where).toBeCloseTo(
            result.value / result.baseline.value,
            6,
          );
        } else {
          expect(result.ratio, where).toBeUndefined();
        }
        // The table on stdout has a line for every figure.
        expect(stdout, where).toContain(result.name);
      }
    },
    TIMEOUT,
  );
});
