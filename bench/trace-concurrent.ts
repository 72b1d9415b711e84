import { now, sampleRuns, toResult } from './measure.ts';
import { replayWithForkline, type ReplayPhases } from './replay-forkline.ts';
import { replayWithYjs } from './replay-yjs.ts';
import type { BenchResult, Scenario } from './scenario.ts';
import { planReplay } from './trace-plan.ts';
import { concurrentTraceFor, describeTrace } from './trace-source.ts';

const NAME = 'engine.trace.concurrent';

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
    const choice = await concurrentTraceFor(context);
    if (!choice) {
      context.note('skipped: --trace names a sequential trace');
      return [];
    }
    const { trace } = choice;
    const plan = planReplay(trace);
    context.note(`replaying ${choice.label}: ${describeTrace(trace)}`);

    let staleAppends = 0;
    const samples = await sampleRuns(context.runs, async () => {
      let start = now();
      const { updates } = replayWithYjs(trace, plan);
      const yjs = now() - start;
      start = now();
      const replay = await replayWithForkline(trace, plan, updates);
      const forkline = now() - start;
      staleAppends = replay.staleAppends;
      return { yjs, forkline, events: replay.events, ...replay.phases };
    });
    context.note(`${staleAppends} appends had stale expected heads`);

    // Not yjs.trace.concurrent: that is trace.concurrent's baseline (DESIGN §13).
    const yjs = toResult('yjs.engine.trace.concurrent', 'ms', samples.yjs);
    const phases: (keyof ReplayPhases)[] = ['append', 'pull', 'sync', 'fold'];
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
