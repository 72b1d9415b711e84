import {
  openDocument,
  openLog,
  type DocumentHandle,
  type EventId,
  type Log,
  type LogEvent,
} from '../src/index.ts';
import type { ConcurrentTrace } from './concurrent-trace.ts';
import type { SequentialTrace } from './editing-trace.ts';
import { pullMissing, type TracePlan } from './trace-plan.ts';
import type { Splice } from './trace-splices.ts';

const DOC_ID = 'trace';

/** What a replay through the document API leaves: open logs, for the caller to use and close. */
export interface DocumentReplay {
  /** Events appended: one per txn that changes the text. */
  events: number;
  /** One per replica (the writer's, for a sequential trace). */
  logs: Log[];
  /** ms spent pulling from other replicas (`since` there, `ingest` here), the final sync included. */
  pullMs: number;
}

/** `editText` of a txn's splice at `at`, or null for a txn that changes nothing. */
async function editTxn(
  doc: DocumentHandle,
  txn: number,
  splice: Splice | null,
  at: EventId[],
): Promise<LogEvent | null> {
  if (!splice) return null;
  const [index, deleteCount, insert] = splice;
  try {
    return (await doc.editText(index, deleteCount, insert, { at })).event;
  } catch (error) {
    throw new Error(`txns[${txn}]: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * Replays a sequential trace through the document API: one log, one document, each
 * txn one `editText` (its splice, `planSplices`) at the previous txn's event. Its
 * text must end as `endContent`.
 * @throws Error naming the txn whose edit failed, or when the text differs at the end.
 */
export async function replaySequentialThroughDocument(
  trace: SequentialTrace,
  splices: (Splice | null)[],
): Promise<DocumentReplay> {
  const log = await openLog({ actor: 'trace-writer' });
  try {
    const doc = await openDocument(log, DOC_ID, { author: 'trace' });
    let heads: EventId[] = [];
    let events = 0;
    if (trace.startContent !== '') {
      heads = [(await doc.editText(0, 0, trace.startContent)).event.id];
      events++;
    }
    for (let t = 0; t < trace.txns.length; t++) {
      const event = await editTxn(doc, t, splices[t]!, heads);
      if (!event) continue;
      heads = [event.id];
      events++;
    }
    checkText('the document', (await doc.summary()).text, trace.endContent);
    return { events, logs: [log], pullMs: 0 };
  } catch (error) {
    await log.close();
    throw error;
  }
}

interface Replica {
  log: Log;
  doc: DocumentHandle;
  /** Per agent: the highest seq of that agent's events this log holds. */
  logged: Int32Array;
}

/**
 * Replays a concurrent trace through the document API, one replica (log and
 * document) per agent. Each txn is one `editText` (its splice, `planSplices`) at its
 * parents' events, on its
 * agent's replica. Before a txn whose parents its log lacks, the replica pulls from
 * the parents' owners (`since` its version vector, then `ingest`): that may bring more
 * than the txn saw, which `at` leaves out. At the end all replicas sync; each text
 * must be `endContent`, and all heads equal.
 * @throws Error naming the txn whose edit failed, or the replica that differs.
 */
export async function replayConcurrentThroughDocument(
  trace: ConcurrentTrace,
  plan: TracePlan,
  splices: (Splice | null)[],
): Promise<DocumentReplay> {
  const n = trace.numAgents;
  const replicas: Replica[] = [];
  const agentOf = new Map<string, number>();
  try {
    for (let agent = 0; agent < n; agent++) {
      const log = await openLog({ actor: `agent-${agent}` });
      agentOf.set(log.actor, agent);
      const doc = await openDocument(log, DOC_ID, { author: `agent-${agent}` });
      replicas.push({ log, doc, logged: new Int32Array(n) });
    }
    let pullMs = 0;
    const pull = async (into: Replica, from: Replica) => {
      const start = performance.now();
      try {
        await pullMissing(into, from, agentOf);
      } finally {
        pullMs += performance.now() - start;
      }
    };

    const eventOf: EventId[] = new Array(trace.txns.length);
    const seqOf = new Int32Array(trace.txns.length);
    // The txns with an event that a txn's state is made of: itself, or, for a txn
    // that changed nothing, what its parents are made of.
    const madeOf: number[][] = new Array(trace.txns.length);
    let events = 0;
    for (let t = 0; t < trace.txns.length; t++) {
      const txn = trace.txns[t]!;
      const mine = replicas[txn.agent]!;
      const parents = eventParents(trace, plan, madeOf, t);
      const owners = new Set<number>();
      for (const p of parents) {
        const owner = trace.txns[p]!.agent;
        if (seqOf[p]! > mine.logged[owner]!) owners.add(owner);
      }
      for (const owner of owners) await pull(mine, replicas[owner]!);
      const at = parents.map((p) => eventOf[p]!);
      const event = await editTxn(mine.doc, t, splices[t]!, at);
      if (!event) {
        madeOf[t] = parents;
        continue;
      }
      eventOf[t] = event.id;
      seqOf[t] = event.seq;
      mine.logged[txn.agent] = event.seq;
      madeOf[t] = [t];
      events++;
    }

    const [hub, ...others] = replicas;
    for (const replica of others) await pull(hub!, replica);
    for (const replica of others) await pull(replica, hub!);
    const heads = (await hub!.log.heads(hub!.doc.stream)).join();
    for (const [agent, replica] of replicas.entries()) {
      const view = await replica.doc.summary();
      checkText(`agent ${agent}'s document`, view.text, trace.endContent);
      if (view.heads.join() !== heads)
        throw new Error(`agent ${agent}'s heads differ from agent 0's`);
    }
    return { events, logs: replicas.map((r) => r.log), pullMs };
  } catch (error) {
    for (const replica of replicas) await replica.log.close();
    throw error;
  }
}

/**
 * The txns whose events are txn `t`'s parents: its parents, except that a parent
 * that made no event stands for its own parents. Those may then hold one another,
 * and a parent list holds no ancestor of another entry, so ancestors are dropped.
 */
function eventParents(
  trace: ConcurrentTrace,
  plan: TracePlan,
  madeOf: number[][],
  t: number,
): number[] {
  const parents = trace.txns[t]!.parents;
  if (parents.every((p) => madeOf[p]![0] === p)) return parents;
  const all = [...new Set(parents.flatMap((p) => madeOf[p]!))];
  // Txn a is an ancestor of txn b when b's state holds a's agent's txns up to a's.
  const holds = (b: number, a: number) => {
    const agent = trace.txns[a]!.agent;
    const before = plan.before[b]![agent]!;
    return (
      (trace.txns[b]!.agent === agent ? before + 1 : before) >= plan.seq[a]!
    );
  };
  return all
    .filter((a) => !all.some((b) => b !== a && holds(b, a)))
    .sort((a, b) => a - b);
}

function checkText(what: string, text: string, expected: string): void {
  if (text === expected) return;
  let at = 0;
  while (at < text.length && text[at] === expected[at]) at++;
  throw new Error(
    `${what} does not end with the trace's endContent: ${text.length} characters instead of ${expected.length}, first difference at ${at}`,
  );
}
