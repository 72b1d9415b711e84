import {
  openDocument,
  openLog,
  type DocumentHandle,
  type EventId,
  type Log,
  type LogEvent,
} from '../src/index.ts';
import type { ConcurrentTrace, TracePatch } from './concurrent-trace.ts';
import type { SequentialTrace } from './editing-trace.ts';
import type { TracePlan } from './trace-plan.ts';

const DOC_ID = 'trace';

/** What a replay through the document API leaves: open logs, for the caller to use and close. */
export interface DocumentReplay {
  /** Events appended: one per txn that changes the text. */
  events: number;
  /** One per replica (the writer's, for a sequential trace). */
  logs: Log[];
}

/** One `editText`: [index, deleteCount, insert]. */
type Splice = [index: number, deleteCount: number, insert: string];

/**
 * A txn's patches as the one splice `editText` takes: from the first position any
 * patch touches to the last, replaced by what the patches leave there. A single patch
 * is its own splice. Several need the text they apply to (`text`): the unchanged
 * characters between them are deleted and inserted again. Null when the txn changes
 * nothing, as an empty txn (a pure merge) does: `editText` refuses such an edit.
 * @throws Error naming the patch that lies past the end of `text`.
 */
export function spliceOf(
  patches: readonly TracePatch[],
  text?: string,
): Splice | null {
  if (patches.length === 1) {
    const [index, deleteCount, insert] = patches[0]!;
    return deleteCount === 0 && insert === ''
      ? null
      : [index, deleteCount, insert];
  }
  if (patches.length === 0) return null;
  if (text === undefined)
    throw new Error('several patches need the text they apply to');
  let after = text;
  let head = Infinity;
  let tail = Infinity;
  patches.forEach(([pos, del, ins], p) => {
    if (pos + del > after.length) {
      throw new Error(
        `patches[${p}]: ${pos}+${del} is past the end (length ${after.length})`,
      );
    }
    head = Math.min(head, pos);
    tail = Math.min(tail, after.length - pos - del);
    after = after.slice(0, pos) + ins + after.slice(pos + del);
  });
  const deleteCount = text.length - head - tail;
  const insert = after.slice(head, after.length - tail);
  return deleteCount === 0 && insert === ''
    ? null
    : [head, deleteCount, insert];
}

/** `editText` of a txn's splice at `at`; its errors name the txn. */
async function editTxn(
  doc: DocumentHandle,
  txn: number,
  patches: readonly TracePatch[],
  at: EventId[],
): Promise<LogEvent | null> {
  try {
    const text =
      patches.length > 1 ? (await doc.summary({ at })).text : undefined;
    const splice = spliceOf(patches, text);
    if (!splice) return null;
    const [index, deleteCount, insert] = splice;
    return (await doc.editText(index, deleteCount, insert, { at })).event;
  } catch (error) {
    throw new Error(`txns[${txn}]: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * Replays a sequential trace through the document API: one log, one document, each
 * txn one `editText` at the previous txn's event. Its text must end as `endContent`.
 * @throws Error naming the txn whose edit failed, or when the text differs at the end.
 */
export async function replaySequentialThroughDocument(
  trace: SequentialTrace,
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
      const event = await editTxn(doc, t, trace.txns[t]!.patches, heads);
      if (!event) continue;
      heads = [event.id];
      events++;
    }
    checkText('the document', (await doc.summary()).text, trace.endContent);
    return { events, logs: [log] };
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
 * document) per agent. Each txn is one `editText` at its parents' events, on its
 * agent's replica. Before a txn whose parents its log lacks, the replica pulls from
 * the parents' owners (`since` its version vector, then `ingest`): that may bring more
 * than the txn saw, which `at` leaves out. At the end all replicas sync; each text
 * must be `endContent`, and all heads equal.
 * @throws Error naming the txn whose edit failed, or the replica that differs.
 */
export async function replayConcurrentThroughDocument(
  trace: ConcurrentTrace,
  plan: TracePlan,
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
    const pull = async (into: Replica, from: Replica) => {
      const events: LogEvent[] = [];
      for await (const event of from.log.since(await into.log.versionVector()))
        events.push(event);
      if (events.length === 0) return;
      await into.log.ingest(events);
      for (const { actor, seq } of events) {
        const agent = agentOf.get(actor)!;
        into.logged[agent] = Math.max(into.logged[agent]!, seq);
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
      const event = await editTxn(mine.doc, t, txn.patches, at);
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
    return { events, logs: replicas.map((r) => r.log) };
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
