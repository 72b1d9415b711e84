import type { Log, LogEvent } from '../src/index.ts';
import type { ConcurrentTrace } from './concurrent-trace.ts';

/**
 * A trace's causality in the form a replay needs, computed once, outside the timed
 * part: whichever system replays the trace has to know the same.
 */
export interface TracePlan {
  /** txnsOf[agent][k]: index of the agent's (k+1)-th txn. */
  txnsOf: number[][];
  /** Per txn: its rank among its agent's txns, 1, 2, 3 … (the forkline seq). */
  seq: Int32Array;
  /** Per txn, per agent: how many of that agent's txns its parents contain. */
  before: Int32Array[];
}

/** @throws Error when the trace breaks the format's rules (parents later than the txn, an agent's txns concurrent). */
export function planReplay(trace: ConcurrentTrace): TracePlan {
  const n = trace.numAgents;
  const txnsOf: number[][] = Array.from({ length: n }, () => []);
  const seq = new Int32Array(trace.txns.length);
  const before: Int32Array[] = [];
  const after: Int32Array[] = [];
  trace.txns.forEach((txn, index) => {
    const seen = new Int32Array(n);
    for (const parent of txn.parents) {
      if (!(parent >= 0 && parent < index)) {
        throw new Error(
          `txns[${index}].parents: ${parent} is not an earlier txn`,
        );
      }
      const contained = after[parent]!;
      for (let x = 0; x < n; x++) seen[x] = Math.max(seen[x]!, contained[x]!);
    }
    const own = txnsOf[txn.agent]!;
    if (seen[txn.agent] !== own.length) {
      throw new Error(
        `txns[${index}].parents: they do not contain txn ${own[own.length - 1]}, agent ${txn.agent}'s latest, but an agent's txns must be totally ordered`,
      );
    }
    own.push(index);
    seq[index] = own.length;
    before.push(seen);
    const contains = seen.slice();
    contains[txn.agent] = own.length;
    after.push(contains);
  });
  return { txnsOf, seq, before };
}

/** An agent's replica in a replay: its log, and how many of each agent's txns it holds. */
export interface ReplicaProgress {
  log: Log;
  /** logged[agent]: the highest seq of that agent's events this log holds. */
  logged: Int32Array;
}

/**
 * Brings into `into` every event `from` holds and it lacks (`since` its version
 * vector, then `ingest`), and counts them in `into.logged`; `agentOf` maps an
 * actor to its agent.
 */
export async function pullMissing(
  into: ReplicaProgress,
  from: { log: Log },
  agentOf: ReadonlyMap<string, number>,
): Promise<void> {
  const events: LogEvent[] = [];
  for await (const event of from.log.since(await into.log.versionVector()))
    events.push(event);
  if (events.length === 0) return;
  await into.log.ingest(events);
  for (const { actor, seq } of events) {
    const agent = agentOf.get(actor)!;
    into.logged[agent] = Math.max(into.logged[agent]!, seq);
  }
}
