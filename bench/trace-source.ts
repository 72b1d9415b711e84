import { fileURLToPath } from 'node:url';
import {
  generateConcurrentTrace,
  type ConcurrentTrace,
} from './concurrent-trace.ts';
import {
  loadTrace,
  type EditingTrace,
  type SequentialTrace,
} from './editing-trace.ts';
import { now } from './measure.ts';
import { convergeWithYjs } from './replay-yjs.ts';
import type { ScenarioContext } from './scenario.ts';
import { planReplay } from './trace-plan.ts';

/** The real trace the sequential scenarios replay by default (see traces/README.md). */
export const DEFAULT_SEQUENTIAL_TRACE = fileURLToPath(
  new URL('./traces/sveltecomponent.json.gz', import.meta.url),
);

/** The default concurrent trace: synthetic, three writers, seed fixed. */
const GENERATED = { agents: 3, txns: 25_000, seed: 0x5eed };
/** `--quick` replays this many txns: a prefix of a file, or a shorter generated trace. */
const QUICK_TXNS = 2_000;

const loaded = new Map<string, Promise<EditingTrace>>();
const generated = new Map<number, ConcurrentTrace>();

/** A trace a scenario replays, and where it came from, for the notes. */
export interface TraceChoice<T> {
  trace: T;
  label: string;
}

function load(file: string): Promise<EditingTrace> {
  let trace = loaded.get(file);
  if (!trace) {
    trace = loadTrace(file);
    loaded.set(file, trace);
  }
  return trace;
}

/**
 * Loads `--trace FILE` before any scenario runs, so a bad file fails at once.
 * @returns what the notes say of it.
 * @throws TraceFormatError, or the file system's error.
 */
export async function preloadTrace(file: string): Promise<string> {
  const trace = await load(file);
  return `${trace.kind} trace ${file}: ${describeTrace(trace)}`;
}

/**
 * The sequential trace to replay: `--trace FILE` when it is sequential, else the
 * svelte component trace; undefined when `--trace` names a concurrent trace. With
 * `--quick`, its first 2000 txns.
 * @throws TraceFormatError, or the file system's error.
 */
export async function sequentialTraceFor(
  context: ScenarioContext,
): Promise<TraceChoice<SequentialTrace> | undefined> {
  const file = context.trace ?? DEFAULT_SEQUENTIAL_TRACE;
  const trace = await load(file);
  if (trace.kind !== 'sequential') return undefined;
  if (!context.quick || trace.txns.length <= QUICK_TXNS)
    return { trace, label: file };
  return {
    trace: sequentialPrefix(trace, QUICK_TXNS),
    label: `${file}, first ${QUICK_TXNS} txns`,
  };
}

/**
 * The concurrent trace to replay: `--trace FILE` when it is concurrent, else the
 * generated one (~4 s to make, once per run of the harness); undefined when
 * `--trace` names a sequential trace. With `--quick`, 2000 txns: a generated trace
 * that long, or a file's prefix, whose end text is then what Yjs makes of it.
 * @throws TraceFormatError.
 */
export async function concurrentTraceFor(
  context: ScenarioContext,
): Promise<TraceChoice<ConcurrentTrace> | undefined> {
  if (context.trace === undefined) {
    const txns = context.quick ? QUICK_TXNS : GENERATED.txns;
    let trace = generated.get(txns);
    if (!trace) {
      const start = now();
      trace = generateConcurrentTrace({ ...GENERATED, txns });
      context.note(
        `generated the concurrent trace in ${Math.round(now() - start)} ms`,
      );
      generated.set(txns, trace);
    }
    const label = `generated: ${GENERATED.agents} agents, ${txns} txns, seed ${GENERATED.seed}`;
    return { trace, label };
  }
  const trace = await load(context.trace);
  if (trace.kind !== 'concurrent') return undefined;
  if (!context.quick || trace.txns.length <= QUICK_TXNS)
    return { trace, label: context.trace };
  const prefix = { ...trace, txns: trace.txns.slice(0, QUICK_TXNS) };
  const [end] = convergeWithYjs(prefix, planReplay(prefix)).editors;
  return {
    trace: { ...prefix, endContent: end!.toString() },
    label: `${context.trace}, first ${QUICK_TXNS} txns (end text as Yjs makes it)`,
  };
}

/** The first `txns` txns of a trace, ending where their patches leave the text. */
export function sequentialPrefix(
  trace: SequentialTrace,
  txns: number,
): SequentialTrace {
  const kept = trace.txns.slice(0, txns);
  let text = trace.startContent;
  for (const { patches } of kept)
    for (const [pos, del, ins] of patches)
      text = text.slice(0, pos) + ins + text.slice(pos + del);
  return { ...trace, txns: kept, endContent: text };
}

/** A one-line description of a trace, for the notes. */
export function describeTrace(trace: EditingTrace): string {
  const merges =
    trace.kind === 'concurrent'
      ? `, ${trace.numAgents} agents, ${trace.txns.filter((t) => t.parents.length > 1).length} merges`
      : '';
  return `${trace.txns.length} txns${merges}, ${trace.endContent.length} characters at the end`;
}
