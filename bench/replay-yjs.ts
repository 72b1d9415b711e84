import type { ConcurrentTrace } from './concurrent-trace.ts';
import { EditingDoc } from './editing-doc.ts';
import type { TracePlan } from './trace-plan.ts';

/**
 * Replays a concurrent trace with Yjs alone: one Y.Doc per agent. Before each txn the
 * agent's doc takes the updates its parents had seen and it lacks. A state vector
 * cannot bound an update from above (the other agent may have typed on since), so
 * the replay keeps each txn's update, as a provider's update log does, and merges the
 * missing ones; the final full sync goes by state vector.
 * @throws Error when a replica does not end with the trace's endContent.
 */
export function replayWithYjs(trace: ConcurrentTrace, plan: TracePlan): void {
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
    updates[index] = editors[txn.agent]!.edit(txn.patches);
    has[txn.agent]!++;
  });

  const [hub, ...others] = editors;
  for (const editor of others) hub!.pullFrom(editor);
  for (const editor of others) editor.pullFrom(hub!);
  editors.forEach((editor, agent) => {
    if (editor.toString() !== trace.endContent) {
      throw new Error(
        `yjs replay: agent ${agent} does not end with the trace's endContent`,
      );
    }
  });
}
