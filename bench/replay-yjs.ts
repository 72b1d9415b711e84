import type { ConcurrentTrace, TracePatch } from './concurrent-trace.ts';
import { EditingDoc } from './editing-doc.ts';
import type { SequentialTrace } from './editing-trace.ts';
import type { TracePlan } from './trace-plan.ts';

/** What a Yjs replay leaves: its docs and the updates it kept. */
export interface YjsReplay {
  editors: EditingDoc[];
  updates: Uint8Array[];
}

/**
 * Replays a concurrent trace with Yjs alone: one Y.Doc per agent. Before each txn the
 * agent's doc takes the updates its parents had seen and it lacks. A state vector
 * cannot bound an update from above (the other agent may have typed on since), so
 * the replay keeps each txn's update, as a provider's update log does, and merges the
 * missing ones; the final full sync goes by state vector.
 * @throws Error when a replica does not end with the trace's endContent.
 */
export function replayWithYjs(
  trace: ConcurrentTrace,
  plan: TracePlan,
): YjsReplay {
  const replay = convergeWithYjs(trace, plan);
  replay.editors.forEach((editor, agent) => {
    if (editor.toString() !== trace.endContent) {
      throw new Error(
        `yjs replay: agent ${agent} does not end with the trace's endContent`,
      );
    }
  });
  return replay;
}

/**
 * The replay of `replayWithYjs` without the check: where every replica ends, for a
 * trace whose end is not known (a prefix of one). `beforeEdit` sees each txn's
 * agent's doc as the txn's parents left it.
 * @throws Error naming the txn whose patches Yjs refused.
 */
export function convergeWithYjs(
  trace: ConcurrentTrace,
  plan: TracePlan,
  beforeEdit?: (txn: number, editor: EditingDoc) => void,
): YjsReplay {
  const n = trace.numAgents;
  const editors = Array.from({ length: n }, () => new EditingDoc());
  const integrated = editors.map(() => new Int32Array(n));
  const updates: Uint8Array[] = new Array(trace.txns.length);

  trace.txns.forEach((txn, index) => {
    const has = integrated[txn.agent]!;
    const needs = plan.before[index]!;
    const missing: Uint8Array[] = [];
    for (let x = 0; x < n; x++) {
      for (let k = has[x]!; k < needs[x]!; k++)
        missing.push(updates[plan.txnsOf[x]![k]!]!);
      has[x] = Math.max(has[x]!, needs[x]!);
    }
    editors[txn.agent]!.receive(missing);
    beforeEdit?.(index, editors[txn.agent]!);
    updates[index] = editTxn(editors[txn.agent]!, index, txn.patches);
    has[txn.agent]!++;
  });

  const [hub, ...others] = editors;
  for (const editor of others) hub!.pullFrom(editor);
  for (const editor of others) editor.pullFrom(hub!);
  return { editors, updates };
}

/**
 * Replays a sequential trace with Yjs alone: one Y.Doc, each txn one transaction
 * whose update is kept, as a provider keeps it to store or send.
 * @throws Error naming the txn Yjs refused, or when the text differs at the end.
 */
export function replaySequentialWithYjs(trace: SequentialTrace): YjsReplay {
  const editor = new EditingDoc();
  const updates: Uint8Array[] = [];
  if (trace.startContent !== '')
    updates.push(editor.edit([[0, 0, trace.startContent]]));
  trace.txns.forEach((txn, index) => {
    updates.push(editTxn(editor, index, txn.patches));
  });
  if (editor.toString() !== trace.endContent)
    throw new Error(
      "yjs replay: the text does not end with the trace's endContent",
    );
  return { editors: [editor], updates };
}

function editTxn(
  editor: EditingDoc,
  index: number,
  patches: readonly TracePatch[],
): Uint8Array {
  try {
    return editor.edit(patches);
  } catch (error) {
    throw new Error(
      `txns[${index}]: Yjs refused the patches: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}
