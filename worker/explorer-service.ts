import { toCloudEvent, type Log, type Store } from '../src/index.ts';
import { rowOf } from '../src/doc/event-rows.ts';
import type { ExplorerService } from '../src/contract/index.ts';

/** The event explorer over the worker's log: pages of rows, and one event opened. */
export function createExplorerService(log: Log, store: Store): ExplorerService {
  return {
    async queryEvents(filter, page) {
      const { events, next } = await log.query(filter, page);
      return { rows: events.map(rowOf), ...(next ? { next } : {}) };
    },
    async eventDetail(id) {
      if (typeof id !== 'string') return undefined;
      const record = await store.event(id);
      if (!record) return undefined;
      const { event } = record;
      // A child is stored after its parents: the stream's events after this one.
      const later = await store.streamEventsSince(event.stream, record.pos);
      const conflicts = await log.conflicts(event.stream);
      return {
        row: rowOf(event),
        cloudEvent: JSON.stringify(toCloudEvent(event), null, 2),
        parents: event.parents,
        children: later
          .filter((r) => r.event.parents.includes(id))
          .map((r) => r.event.id),
        conflicts: conflicts.filter((c) => c.events.includes(id)),
      };
    },
  };
}
