import type { EventId } from './types.ts';

/**
 * Heads compared with an event's parents one by one, at most: past it, they are
 * looked up by id (an index or a set), so that no log's shape (up to
 * LIMITS.maxParents parents against thousands of heads) makes an event cost their
 * product, or its heads' number.
 */
export const FEW = 64;

/** Whether two lists of ids are the same, in the same order (sorted heads, say). */
export function sameIds(a: readonly EventId[], b: readonly EventId[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

/**
 * Where each id is in a long array of heads, kept beside the array, not in it: the
 * array is a fold's state, copied and saved, and its index is made again from it
 * where missing. Only `dropNamed` and `addHead` change an array that has one.
 */
const positions = new WeakMap<readonly unknown[], Map<EventId, number>>();

/** The index of `heads`, made now if it has none. */
function indexOf<H>(heads: H[], idOf: (head: H) => EventId) {
  let index = positions.get(heads);
  if (!index) {
    index = new Map(heads.map((head, i) => [idOf(head), i]));
    positions.set(heads, index);
  }
  return index;
}

/**
 * Takes out of `heads`, in place, every head whose id `parents` names: what an
 * event does to the heads of its stream before it joins them (`addHead`). Ids are
 * compared in the array rather than hashed while few: every event's id and parents
 * are fresh strings, and hashing each once cost a fold about 1 µs an event in
 * Chromium. Past FEW heads, each parent is looked up in an index of them: another
 * replica may write thousands of heads at once, and a scan of them all at each
 * event cost their square (8,000 of them, a second of a document's insights).
 */
export function dropNamed<H>(
  heads: H[],
  parents: readonly EventId[],
  idOf: (head: H) => EventId,
): void {
  if (heads.length > FEW) {
    const index = indexOf(heads, idOf);
    for (const p of parents) {
      const at = index.get(p);
      if (at === undefined) continue;
      index.delete(p);
      const last = heads.pop()!;
      if (at < heads.length) {
        heads[at] = last;
        index.set(idOf(last), at);
      }
    }
    // Few again: compared one by one from now on, and indexed anew if they grow.
    if (heads.length <= FEW) positions.delete(heads);
    return;
  }
  if (parents.length * heads.length <= FEW) {
    for (const p of parents)
      // From the end, so that the head moved into a gap was looked at already.
      for (let i = heads.length - 1; i >= 0; i--)
        if (idOf(heads[i]!) === p) {
          heads[i] = heads[heads.length - 1]!;
          heads.pop();
        }
    return;
  }
  // Few heads, many parents (a merge of up to LIMITS.maxParents): their sum.
  const named = new Set(parents);
  let kept = 0;
  for (const head of heads) if (!named.has(idOf(head))) heads[kept++] = head;
  heads.length = kept;
}

/**
 * `heads`, a set, after an event `id` naming `parents`, in causal order: the
 * parents are heads no more, and it is one. Past FEW heads, and in a batch's
 * ingest, where an array filtered at each event cost the heads' number.
 */
export function follow(
  heads: Set<EventId>,
  parents: readonly EventId[],
  id: EventId,
): void {
  for (const parent of parents) heads.delete(parent);
  heads.add(id);
}

/** Adds `head` to `heads`, as the event that `dropNamed` made room for. */
export function addHead<H>(
  heads: H[],
  head: H,
  idOf: (head: H) => EventId,
): void {
  heads.push(head);
  // Only a long array has an index (dropNamed drops it as they fall to few).
  if (heads.length > FEW)
    positions.get(heads)?.set(idOf(head), heads.length - 1);
}

const itself = (id: EventId) => id;

/**
 * A stream's heads after `count` more of its events, in an order where every event
 * comes after its parents, from `heads` before them: each event replaces the
 * parents it names. Sorted.
 */
export function headsAfter(
  heads: Iterable<EventId>,
  count: number,
  id: (i: number) => EventId,
  parents: (i: number) => readonly EventId[],
): EventId[] {
  // Compared in an array while few (see dropNamed), in a set once many.
  const few = [...heads];
  let many = few.length > FEW ? new Set(few) : undefined;
  for (let i = 0; i < count; i++) {
    if (many) {
      follow(many, parents(i), id(i));
      continue;
    }
    dropNamed(few, parents(i), itself);
    few.push(id(i));
    if (few.length > FEW) many = new Set(few);
  }
  // An id given twice (in `heads` and again as an event) is one head.
  return [...(many ?? new Set(few))].sort();
}
