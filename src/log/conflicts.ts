import { forkOf, type DagNode, type NodeLookup } from './dag.ts';
import { compareCanonical, type EventRecord } from './store.ts';
import type { Conflict, EventId } from './types.ts';

const ids = (nodes: DagNode[]) =>
  nodes
    .sort((a, b) => compareCanonical(a.event, b.event))
    .map((n) => n.event.id);

/**
 * The generic conflicts of a stream, from its DAG alone: every merge (an event with
 * several parents) resolves the concurrent sides it joined, and several current heads
 * are an unresolved conflict. The document model refines these per field and text range.
 */
export async function streamConflicts(
  stream: string,
  heads: EventId[],
  events: AsyncIterable<EventRecord>,
  lookup: NodeLookup,
): Promise<Conflict[]> {
  const conflicts: Conflict[] = [];
  const describe = async (tips: EventId[]) => {
    const fork = await forkOf(lookup, tips);
    const forkIds = new Set(fork.forkPoint.map((n) => n.event.id));
    // A tip inside the fork point was seen by the others: not concurrent with them.
    const concurrentTips = tips.filter((t) => !forkIds.has(t)).length;
    if (concurrentTips < 2) return undefined;
    return { events: ids(fork.sides), forkPoint: ids(fork.forkPoint) };
  };
  for await (const { event } of events) {
    if (event.parents.length < 2) continue;
    const found = await describe(event.parents);
    if (found) {
      conflicts.push({
        stream,
        kind: 'concurrent-appends',
        ...found,
        state: 'resolved',
        resolvedBy: event.id,
      });
    }
  }
  if (heads.length >= 2) {
    const found = await describe(heads);
    if (found)
      conflicts.push({
        stream,
        kind: 'concurrent-appends',
        ...found,
        state: 'unresolved',
      });
  }
  return conflicts;
}
