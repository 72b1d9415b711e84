import type { EventId } from '../index.ts';

/** A set of heads as one key, whatever their order. */
export const keyOf = (heads: readonly EventId[]) => [...heads].sort().join();

/** Heads after `event`: it replaces the parents it names. */
export function advance(
  heads: EventId[],
  event: { id: EventId; parents: EventId[] },
): EventId[] {
  if (heads.includes(event.id)) return heads;
  return [...heads.filter((h) => !event.parents.includes(h)), event.id].sort();
}
