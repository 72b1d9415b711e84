import type { EditingTrace } from './editing-trace.ts';
import { retainedMegabytes } from './heap.ts';
import { now, sampleRuns, summarize, toResult } from './measure.ts';
import { formatNumber } from './report-table.ts';
import {
  replayConcurrentThroughDocument,
  replaySequentialThroughDocument,
  type DocumentReplay,
} from './replay-document.ts';
import { replaySequentialWithYjs, replayWithYjs } from './replay-yjs.ts';
import type { BenchResult, Scenario, ScenarioContext } from './scenario.ts';
import { planReplay } from './trace-plan.ts';
import { planSplices } from './trace-splices.ts';
import {
  concurrentTraceFor,
  describeTrace,
  sequentialTraceFor,
  type TraceChoice,
} from './trace-source.ts';

const GOAL = '<= 3x yjs';

const closeLogs = async ({ logs }: DocumentReplay) => {
  for (const log of logs) await log.close();
};

/**
 * Times both replays of a trace in each run (Yjs first), then measures once, after
 * the timed runs, the heap each leaves: `name`, `yjs.name`, `name.events`,
 * `name.heap`, `yjs.name.heap`.
 */
async function compareReplays(
  context: ScenarioContext,
  name: string,
  choice: TraceChoice<EditingTrace>,
  yjsReplay: () => unknown,
  documentReplay: () => Promise<DocumentReplay>,
): Promise<BenchResult[]> {
  context.note(`replaying ${choice.label}: ${describeTrace(choice.trace)}`);
  let events = 0;
  let pulls = false;
  const samples = await sampleRuns(context.runs, async () => {
    let start = now();
    yjsReplay();
    const yjs = now() - start;
    start = now();
    const replay = await documentReplay();
    const forkline = now() - start;
    events = replay.events;
    pulls = replay.pullMs > 0;
    await closeLogs(replay);
    return { yjs, forkline, pull: replay.pullMs };
  });
  const yjsHeap = await retainedMegabytes(yjsReplay);
  const forklineHeap = await retainedMegabytes(documentReplay, closeLogs);
  context.note(
    `${events} events for ${choice.trace.txns.length} txns; heap held after the replay: ` +
      `${formatNumber(forklineHeap)} MB, Yjs alone ${formatNumber(yjsHeap)} MB`,
  );
  const yjs = toResult(`yjs.${name}`, 'ms', samples.yjs);
  const yjsHeapResult = toResult(
    `yjs.${name}.heap`,
    'MB',
    summarize([yjsHeap]),
  );
  return [
    yjs,
    toResult(name, 'ms', samples.forkline, { baseline: yjs, goal: GOAL }),
    toResult(`${name}.events`, 'events', summarize([events])),
    // Of the replay's time, what syncing replicas took: since() there, ingest() here.
    ...(pulls ? [toResult(`${name}.pull`, 'ms', samples.pull)] : []),
    yjsHeapResult,
    toResult(`${name}.heap`, 'MB', summarize([forklineHeap]), {
      baseline: yjsHeapResult,
    }),
  ];
}

/**
 * DESIGN §13 `trace.sequential`: a real single-writer editing trace (the svelte
 * component, 18k txns) replayed through the document API, one `editText` per txn at
 * the previous txn's event, against Yjs alone typing the same patches.
 */
export const traceSequentialScenario: Scenario = {
  name: 'trace.sequential',
  summary:
    'a real editing trace (svelte component, 18k txns) through editText vs Yjs alone',
  async run(context) {
    const choice = await sequentialTraceFor(context);
    if (!choice) {
      context.note('skipped: --trace names a concurrent trace');
      return [];
    }
    const { trace } = choice;
    const splices = planSplices(trace);
    return compareReplays(
      context,
      'trace.sequential',
      choice,
      () => replaySequentialWithYjs(trace),
      () => replaySequentialThroughDocument(trace, splices),
    );
  },
};

/**
 * DESIGN §13 `trace.concurrent`: a concurrent trace (by default generated: three
 * writers, 25k txns) replayed through the document API, one replica per agent
 * syncing by `since`/`ingest` when a txn's parents demand it, against Yjs alone.
 */
export const traceConcurrentDocumentScenario: Scenario = {
  name: 'trace.concurrent',
  summary:
    'a concurrent trace (3 writers, 25k txns) through editText on one replica per writer vs Yjs alone',
  async run(context) {
    const choice = await concurrentTraceFor(context);
    if (!choice) {
      context.note('skipped: --trace names a sequential trace');
      return [];
    }
    const { trace } = choice;
    const plan = planReplay(trace);
    const splices = planSplices(trace, plan);
    return compareReplays(
      context,
      'trace.concurrent',
      choice,
      () => replayWithYjs(trace, plan),
      () => replayConcurrentThroughDocument(trace, plan, splices),
    );
  },
};
