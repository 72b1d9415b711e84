import { forkOf, type DagNode, type NodeLookup } from './dag.ts';
import { sameIds } from './heads.ts';
import {
  compareCanonical,
  CONFLICT_INDEX,
  type ConflictRecord,
  type EventRecord,
  type Store,
  type StoreTransaction,
} from './store.ts';
import type { Conflict, EventId } from './types.ts';

const ids = (nodes: DagNode[]) =>
  nodes
    .sort((a, b) => compareCanonical(a.event, b.event))
    .map((n) => n.event.id);

/**
 * The fork of several tips, when at least two of them are concurrent: the events on
 * their sides since the fork point, and the fork point. Costs the events since the
 * fork point, not the history.
 */
async function concurrentFork(
  lookup: NodeLookup,
  tips: EventId[],
): Promise<{ events: EventId[]; forkPoint: EventId[] } | undefined> {
  const fork = await forkOf(lookup, tips);
  const forkIds = new Set(fork.forkPoint.map((n) => n.event.id));
  // A tip inside the fork point was seen by the others: not concurrent with them.
  const concurrentTips = tips.filter((t) => !forkIds.has(t)).length;
  if (concurrentTips < 2) return undefined;
  return { events: ids(fork.sides), forkPoint: ids(fork.forkPoint) };
}

/**
 * The conflict a newly stored event resolves, if it is a merge of concurrent
 * events: what an append or ingest records in the same transaction.
 */
export async function mergeConflict(
  lookup: NodeLookup,
  record: EventRecord,
): Promise<ConflictRecord | undefined> {
  const { event } = record;
  if (event.parents.length < 2) return undefined;
  const found = await concurrentFork(lookup, event.parents);
  return (
    found && {
      stream: event.stream,
      resolvedBy: event.id,
      hlc: event.hlc,
      ...found,
    }
  );
}

/**
 * The generic conflicts of a stream (DESIGN §7) from its conflict index: every merge
 * resolved the concurrent sides it joined, and several current heads are an
 * unresolved conflict. The cost is the conflicts' own events, not the stream's. The
 * document model refines these per field and text range.
 */
export async function streamConflicts(
  stream: string,
  heads: EventId[],
  index: ConflictRecord[],
  lookup: NodeLookup,
): Promise<Conflict[]> {
  // Two merges of the same sides (two writers who each saw them, merging at once)
  // resolved one conflict: it is listed once, resolved by the first merge in
  // canonical order, the index's. Their merges are concurrent: the next conflict.
  // Found by their first event, then compared: the ids are not read, let alone
  // joined into a key per record (that was most of a query, and it read every id's
  // characters, strewn through a long log's heap).
  const seen = new Map<EventId, ConflictRecord[]>();
  const conflicts: Conflict[] = [];
  for (const r of index) {
    const first = r.events[0] ?? '';
    const alike = seen.get(first);
    if (alike?.some((o) => sameSides(o, r))) continue;
    if (alike) alike.push(r);
    else seen.set(first, [r]);
    conflicts.push({
      stream,
      kind: 'concurrent-appends',
      events: r.events,
      forkPoint: r.forkPoint,
      state: 'resolved',
      resolvedBy: r.resolvedBy,
    });
  }
  if (heads.length >= 2) {
    const found = await concurrentFork(lookup, heads);
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

/** Whether two records are of one conflict: the same sides since the same fork. */
const sameSides = (a: ConflictRecord, b: ConflictRecord) =>
  sameIds(a.events, b.events) && sameIds(a.forkPoint, b.forkPoint);

/** Merges recorded per write transaction of the index build, so that none runs long. */
const BUILD_CHUNK = 256;

/**
 * Brings a store written before the conflict index (CONFLICT_INDEX) up to it, once:
 * every stored merge is found by one pass over the events, then recorded. A merge
 * stored meanwhile by another writer was recorded by that writer (records are keyed
 * by their merge, so recording one twice changes nothing).
 */
export async function buildConflictIndex(store: Store): Promise<void> {
  if ((await store.replica()).conflictIndex === CONFLICT_INDEX) return;
  const merges: EventId[] = [];
  for await (const { event } of store.eventsFrom(1))
    if (event.parents.length >= 2) merges.push(event.id);
  const record = async (tx: StoreTransaction, id: EventId) => {
    const merge = await tx.event(id);
    const conflict = merge && (await mergeConflict((i) => tx.event(i), merge));
    if (conflict) tx.putConflict(conflict);
  };
  for (let i = 0; i < merges.length; i += BUILD_CHUNK) {
    const chunk = merges.slice(i, i + BUILD_CHUNK);
    await store.write(async (tx) => {
      for (const id of chunk) await record(tx, id);
    });
  }
  await store.write(async (tx) => {
    const replica = await tx.replica();
    tx.putReplica({ ...replica, conflictIndex: CONFLICT_INDEX });
  });
}
