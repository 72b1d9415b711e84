import { generateConcurrentTrace } from './concurrent-trace.ts';
import { now, sampleRuns, toResult } from './measure.ts';
import { replayWithForkline, type ReplayPhases } from './replay-forkline.ts';
import { replayWithYjs } from './replay-yjs.ts';
import type { BenchResult, Scenario } from './scenario.ts';
import { planReplay } from './trace-plan.ts';

const NAME = 'engine.trace.concurrent';
const AGENTS = 3;
const SEED = 0x5eed;

/**
 * The speed goal: ~25k txns by three writers typing concurrently (stale
 * expectations, frequent merges, one stream) must append, ingest across replicas and
 * fold in about a second, at most twice what Yjs alone needs to replay the same edits.
 */
export const traceConcurrentScenario: Scenario = {
  name: NAME,
  summary:
    'three concurrent writers, ~25k txns: append, ingest, fold vs Yjs alone',
  async run(context) {
    const txns = context.quick ? 2_000 : 25_000;
    let start = now();
    const trace = generateConcurrentTrace({ agents: AGENTS, txns, seed: SEED });
    const plan = planReplay(trace);
    const merges = trace.txns.filter((txn) => txn.parents.length > 1).length;
    context.note(
      `generated ${trace.txns.length} txns (${merges} merges, ${trace.endContent.length} chars) ` +
        `in ${Math.round(now() - start)} ms`,
    );

    let staleAppends = 0;
    const samples = await sampleRuns(context.runs, async () => {
      start = now();
      replayWithYjs(trace, plan);
      const yjs = now() - start;
      start = now();
      const replay = await replayWithForkline(trace, plan);
      const forkline = now() - start;
      staleAppends = replay.staleAppends;
      return { yjs, forkline, events: replay.events, ...replay.phases };
    });
    context.note(`${staleAppends} appends had stale expected heads`);

    const yjs = toResult('yjs.trace.concurrent', 'ms', samples.yjs);
    const phases: (keyof ReplayPhases)[] = [
      'edit',
      'append',
      'pull',
      'sync',
      'fold',
    ];
    return [
      yjs,
      toResult(NAME, 'ms', samples.forkline, {
        baseline: yjs,
        goal: '<= 2x yjs',
      }),
      toResult(`${NAME}.events`, 'events', samples.events),
      ...phases.map((phase): BenchResult =>
        toResult(`${NAME}.${phase}`, 'ms', samples[phase]),
      ),
    ];
  },
};
