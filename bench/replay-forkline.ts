import { openLog, type EventId, type Log } from '../src/index.ts';
import type { ConcurrentTrace } from './concurrent-trace.ts';
import { now } from './measure.ts';
import { pullMissing, type TracePlan } from './trace-plan.ts';
import { textOf, yjsTextProjection } from './yjs-text-projection.ts';

const STREAM = 'doc/trace';

/** Where the time of a replay went, in ms. */
export interface ReplayPhases {
  append: number;
  /** Pulling what the log lacks before a txn: since() on the peer, ingest() here. */
  pull: number;
  /** All replicas pulling from each other at the end. */
  sync: number;
  /** Every replica folding the stream into a Y.Doc. */
  fold: number;
}

export interface ForklineReplay {
  /** Events in the stream, on every replica. */
  events: number;
  /** Appends whose expected heads were stale (a non-empty concurrent set). */
  staleAppends: number;
  phases: ReplayPhases;
}

interface Replica {
  agent: number;
  log: Log;
  /** Per agent: how many of its txns the log holds. */
  logged: Int32Array;
}

/**
 * Replays a concurrent trace through the engine on three forkline replicas, one per
 * agent: what the issue's speed goal names (append, ingest across replicas, fold).
 * The edits themselves are Yjs's work, done once by the Yjs baseline; `updates[i]` is
 * the Yjs update txn i produced there. Each txn's update is appended on its agent's
 * replica with `expected` = the txn's parents (the agent's stale view). Before a txn
 * whose parents the log lacks, the replica pulls everything the parents' owners have
 * (so the log may hold more than the agent had seen, and the append finds concurrent
 * events). At the end the replicas sync fully and each folds the stream into a Y.Doc.
 * @throws Error when replicas disagree or a fold does not give the trace's endContent.
 */
export async function replayWithForkline(
  trace: ConcurrentTrace,
  plan: TracePlan,
  updates: readonly Uint8Array[],
): Promise<ForklineReplay> {
  const n = trace.numAgents;
  const agentOf = new Map<string, number>();
  const replicas: Replica[] = [];
  for (let agent = 0; agent < n; agent++) {
    const log = await openLog({ actor: `agent-${agent}` });
    agentOf.set(log.actor, agent);
    replicas.push({ agent, log, logged: new Int32Array(n) });
  }
  const phases: ReplayPhases = { append: 0, pull: 0, sync: 0, fold: 0 };
  const ids: EventId[] = new Array(trace.txns.length);
  let staleAppends = 0;

  const pull = (into: Replica, from: Replica) =>
    pullMissing(into, from, agentOf);

  for (let index = 0; index < trace.txns.length; index++) {
    const txn = trace.txns[index]!;
    const mine = replicas[txn.agent]!;
    let start = now();
    for (const owner of ownersOfMissing(trace, plan, index, mine))
      await pull(mine, replicas[owner]!);
    phases.pull += now() - start;

    start = now();
    const [result] = await mine.log.append(
      STREAM,
      {
        type: 'doc.text.edited',
        data: updates[index]!,
        author: `agent-${txn.agent}`,
      },
      { expected: txn.parents.map((parent) => ids[parent]!) },
    );
    ids[index] = result!.event.id;
    mine.logged[txn.agent]!++;
    if (result!.concurrent.length > 0) staleAppends++;
    phases.append += now() - start;
  }

  let start = now();
  const [hub, ...others] = replicas;
  for (const replica of others) await pull(hub!, replica);
  for (const replica of others) await pull(replica, hub!);
  phases.sync += now() - start;

  start = now();
  const texts: string[] = [];
  for (const replica of replicas) {
    const state = await replica.log.fold(STREAM, yjsTextProjection());
    texts.push(textOf(state));
  }
  phases.fold += now() - start;

  await checkConverged(trace, replicas, texts);
  for (const replica of replicas) await replica.log.close();
  return { events: trace.txns.length, staleAppends, phases };
}
/** Agents owning a parent of txn `index` that `mine`'s log does not hold yet. */
function ownersOfMissing(
  trace: ConcurrentTrace,
  plan: TracePlan,
  index: number,
  mine: Replica,
): Set<number> {
  const owners = new Set<number>();
  for (const parent of trace.txns[index]!.parents) {
    const owner = trace.txns[parent]!.agent;
    if (plan.seq[parent]! > mine.logged[owner]!) owners.add(owner);
  }
  return owners;
}

async function checkConverged(
  trace: ConcurrentTrace,
  replicas: Replica[],
  texts: string[],
): Promise<void> {
  const heads = await Promise.all(replicas.map((r) => r.log.heads(STREAM)));
  replicas.forEach((replica, i) => {
    if (heads[i]!.join() !== heads[0]!.join()) {
      throw new Error(
        `forkline replay: agent ${replica.agent}'s heads differ from agent 0's`,
      );
    }
    if (texts[i] !== trace.endContent) {
      throw new Error(
        `forkline replay: agent ${replica.agent}'s fold is not the endContent`,
      );
    }
  });
}
