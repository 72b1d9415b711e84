import type { EventId } from '../index.ts';
import { headsAfter } from '../log/heads.ts';

/** A set of heads as one key, whatever their order. */
export const keyOf = (heads: readonly EventId[]) => [...heads].sort().join();

/**
 * Heads after `event`: it replaces the parents it names (headsAfter for one
 * event); heads that hold it already stay as they are.
 */
export const advance = (
  heads: EventId[],
  event: { id: EventId; parents: EventId[] },
): EventId[] =>
  heads.includes(event.id)
    ? heads
    : headsAfter(
        heads,
        1,
        () => event.id,
        () => event.parents,
      );
