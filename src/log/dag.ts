import type { EventRecord, StoreReader } from './store.ts';
import type { EventId } from './types.ts';

/** A stored event, as the walks see it: parents, generation number, canonical key. */
export type DagNode = EventRecord;

/**
 * Looks an event up by id: at once when its record is in memory, else by a read
 * (`lookupIn`). A walk awaits only the reads, so a walk over recent events runs
 * through without a turn of the event loop per step (a promise per step was half
 * of a walk's cost).
 */
export type NodeLookup = (
  id: EventId,
) => EventRecord | undefined | Promise<EventRecord | undefined>;

/** A reader's look-up for the walks: from memory where it can, else by a read. */
export function lookupIn(reader: StoreReader): NodeLookup {
  if (!reader.eventInMemory) return (id) => reader.event(id);
  return (id) => reader.eventInMemory!(id) ?? reader.event(id);
}

/** Every id a walk reaches is a parent of something stored: missing means corruption. */
function found(id: EventId, node: DagNode | undefined): DagNode {
  if (!node)
    throw new Error(`log corrupted: event ${id} is referenced but not stored`);
  return node;
}

/**
 * Pushes `id`'s node on `queue`: now when the look-up answers at once, else once
 * the read resolves (the promise returned, for the walk to await).
 */
function enqueue(
  lookup: NodeLookup,
  id: EventId,
  queue: GenerationQueue,
): Promise<void> | undefined {
  const node = lookup(id);
  // Any thenable, not only this realm's Promise: a store's read is whatever it returns.
  if (node !== undefined && 'then' in node)
    return node.then((read) => queue.push(found(id, read)));
  queue.push(found(id, node));
  return undefined;
}

/**
 * A max-heap by generation. Popping in generation order means every child of a
 * node is popped before it, so a node's reachability flags are final when popped;
 * that is what bounds every walk here by the events since the fork point.
 */
class GenerationQueue {
  private items: DagNode[] = [];
  get size(): number {
    return this.items.length;
  }
  push(node: DagNode): void {
    const items = this.items;
    let i = items.length;
    items.push(node);
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (items[up]!.gen >= node.gen) break;
      items[i] = items[up]!;
      i = up;
    }
    items[i] = node;
  }
  pop(): DagNode {
    const items = this.items;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= items.length) break;
        const r = l + 1;
        const c = r < items.length && items[r]!.gen > items[l]!.gen ? r : l;
        if (items[c]!.gen <= last.gen) break;
        items[i] = items[c]!;
        i = c;
      }
      items[i] = last;
    }
    return top;
  }
}

const FROM_HEADS = 1;
const FROM_SEEN = 2;

/**
 * Events reachable from `heads` but not from `seen` (both inclusive): the events a
 * writer who had seen `seen` did not see. Visits only events newer than the fork
 * point, plus the frontier.
 */
export async function concurrentWith(
  lookup: NodeLookup,
  heads: EventId[],
  seen: EventId[],
): Promise<DagNode[]> {
  const flags = new Map<EventId, number>();
  const queue = new GenerationQueue();
  let unseenQueued = 0;
  const result: DagNode[] = [];

  const reach = (id: EventId, flag: number): Promise<void> | undefined => {
    const old = flags.get(id);
    if (old === undefined) {
      flags.set(id, flag);
      if (flag === FROM_HEADS) unseenQueued++;
      return enqueue(lookup, id, queue);
    }
    if ((old | flag) !== old) {
      flags.set(id, old | flag);
      if (old === FROM_HEADS) unseenQueued--;
    }
    return undefined;
  };

  // Awaiting only real reads: `await undefined` still suspends the walk for a turn.
  for (const id of seen) {
    const read = reach(id, FROM_SEEN);
    if (read) await read;
  }
  for (const id of heads) {
    const read = reach(id, FROM_HEADS);
    if (read) await read;
  }
  while (unseenQueued > 0) {
    const node = queue.pop();
    const flag = flags.get(node.event.id)!;
    if (flag === FROM_HEADS) {
      unseenQueued--;
      result.push(node);
    }
    // Indexed: an iterator here allocated its results, the walk being async.
    const { parents } = node.event;
    for (let i = 0; i < parents.length; i++) {
      const read = reach(parents[i]!, flag);
      if (read) await read;
    }
  }
  return result;
}

export interface Fork {
  /** Latest common ancestors of all tips. */
  forkPoint: DagNode[];
  /** Events reachable from some tip but not from all: the concurrent sides. */
  sides: DagNode[];
}

/**
 * Tips a walk's flags hold as a small integer (V8's 31-bit Smi), the bit above them
 * marking a node below a common ancestor: more tips take BigInt flags, whose every
 * `|` allocates (a merge names at most LIMITS.maxParents parents, and a stream's
 * heads are not bounded at all).
 */
const SMALL_TIPS = 29;

/** The fork point of several tips and the events on their sides since it. */
export function forkOf(lookup: NodeLookup, tips: EventId[]): Promise<Fork> {
  return tips.length <= SMALL_TIPS
    ? forkWalk(lookup, tips, (i) => 1 << i)
    : forkWalk(lookup, tips, (i) => 1n << BigInt(i));
}

/**
 * forkOf's walk, over flags of one kind: bit i for "tip i reaches it", and the bit
 * above the tips' for "stale", below a common ancestor, where nothing is on a side.
 */
async function forkWalk<F extends number | bigint>(
  lookup: NodeLookup,
  tips: EventId[],
  bit: (i: number) => F,
): Promise<Fork> {
  const STALE = bit(tips.length);
  const all = (STALE - bit(0)) as F;
  const flags = new Map<EventId, F>();
  const queue = new GenerationQueue();
  let liveQueued = 0;
  const forkPoint: DagNode[] = [];
  const sides: DagNode[] = [];

  const reach = (
    id: EventId,
    flag: F,
    isStale: boolean,
  ): Promise<void> | undefined => {
    const old = flags.get(id);
    if (old === undefined) {
      if (isStale) flags.set(id, (flag | STALE) as F);
      else {
        flags.set(id, flag);
        liveQueued++;
      }
      return enqueue(lookup, id, queue);
    }
    if (isStale && !(old & STALE)) {
      flags.set(id, (old | flag | STALE) as F);
      liveQueued--;
    } else if ((old | flag) !== old) flags.set(id, (old | flag) as F);
    return undefined;
  };

  for (let i = 0; i < tips.length; i++) {
    const read = reach(tips[i]!, bit(i), false);
    if (read) await read;
  }
  while (liveQueued > 0) {
    const node = queue.pop();
    const value = flags.get(node.event.id)!;
    const isStale = !!(value & STALE);
    const flag = (value & all) as F;
    if (!isStale) {
      liveQueued--;
      if (flag === all) forkPoint.push(node);
      else sides.push(node);
    }
    // Below a common ancestor everything is common: mark it so the walk can stop.
    const below = isStale || flag === all;
    const { parents } = node.event;
    for (let i = 0; i < parents.length; i++) {
      const read = reach(parents[i]!, flag, below);
      if (read) await read;
    }
  }
  return { forkPoint, sides };
}
