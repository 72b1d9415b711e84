// The event explorer's part of the page–worker contract (see ./index.ts).
import type { EventRow } from '../doc/event-rows.ts';
import type { EventFilter } from '../log/event-filter.ts';
import type { Conflict, EventId, QueryPage } from '../log/types.ts';

export type { EventRow } from '../doc/event-rows.ts';
export type { EventFilter, QueryPage };

/** One event, opened in the explorer. */
export interface EventDetail {
  row: EventRow;
  /** The event as its CloudEvent (DESIGN §8), as indented JSON text. */
  cloudEvent: string;
  parents: EventId[];
  /** The events of its stream that name it as a parent. */
  children: EventId[];
  /** The conflicts of its stream it is one side of. */
  conflicts: Conflict[];
}

export interface ExplorerService {
  /** A page of the rows of the events that pass `filter` (log.query's order and cursor). */
  queryEvents(
    filter: EventFilter,
    page?: QueryPage,
  ): Promise<{ rows: EventRow[]; next?: string }>;
  /**
   * The rows of the events `ids` this replica holds, in the order given: for events
   * delivered live, whose summaries need the history (who typed carried text).
   */
  rows(ids: EventId[]): Promise<EventRow[]>;
  /** The event `id` opened, or undefined when this replica does not hold it. */
  eventDetail(id: EventId): Promise<EventDetail | undefined>;
}
