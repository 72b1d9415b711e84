import type { EventId } from './types.ts';

/**
 * Comparisons of ids made one by one at most, per event: past it, the event's
 * parents go into a Set (hashed once each), so that no log's shape (up to
 * LIMITS.maxParents parents against thousands of heads) makes an event cost their
 * product.
 */
export const FEW = 64;

/**
 * Takes out of `heads`, in place, every head whose id `parents` names: what an
 * event does to the heads of its stream before it joins them. Ids are compared in
 * the array rather than hashed while few: every event's id and parents are fresh
 * strings, and hashing each once cost a fold about 1 µs an event in Chromium.
 */
export function dropNamed<H>(
  heads: H[],
  parents: readonly EventId[],
  idOf: (head: H) => EventId,
): void {
  if (parents.length * heads.length <= FEW) {
    for (const p of parents)
      // From the end, so that the head moved into a gap was looked at already.
      for (let i = heads.length - 1; i >= 0; i--)
        if (idOf(heads[i]!) === p) {
          heads[i] = heads[heads.length - 1]!;
          heads.pop();
        }
  } else {
    const named = new Set(parents);
    let kept = 0;
    for (const head of heads) if (!named.has(idOf(head))) heads[kept++] = head;
    heads.length = kept;
  }
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
  const now = [...heads];
  for (let i = 0; i < count; i++) {
    dropNamed(now, parents(i), itself);
    now.push(id(i));
  }
  // An id given twice (in `heads` and again as an event) is one head.
  return [...new Set(now)].sort();
}
