import {
  DOC_PREFIX,
  toCloudEvent,
  type EventId,
  type Log,
  type LogEvent,
  type Store,
} from '../src/index.ts';
import {
  rowOf,
  type ClientOwnerOf,
  type EventRow,
} from '../src/doc/event-rows.ts';
import { docIdOf } from '../src/doc/doc-events.ts';
import type { ExplorerService } from '../src/contract/index.ts';
import type { AuthorshipIndexes } from './authorship-indexes.ts';

/** The event explorer over the worker's log: pages of rows, and one event opened. */
export function createExplorerService(
  log: Log,
  store: Store,
  authorshipOf: AuthorshipIndexes,
  onIgnoredError: (error: unknown) => void,
): ExplorerService {
  /**
   * The rows of `events`. An event whose text came from several Yjs clients may
   * carry another tab's early typing (src/ui/typing-share.ts): its document's
   * authorship index says who typed each client's text, so that the row does not
   * credit its writer with it. The first summary notes the clients it met; only
   * those events are summarized again, and other events open no index. A row with
   * a client whose typist is not known yet is marked unsettled: the page asks for it
   * again when its stream moves.
   */
  async function rowsOf(events: LogEvent[]): Promise<EventRow[]> {
    const several = new Set<LogEvent>();
    const rows = events.map((event) => {
      const clients = new Set<number>();
      const row = rowOf(event, (client) => void clients.add(client));
      if (clients.size > 1 && event.stream.startsWith(DOC_PREFIX))
        several.add(event);
      return row;
    });
    const typists = new Map<string, ClientOwnerOf | undefined>();
    for (const { stream } of several) {
      if (typists.has(stream)) continue;
      try {
        const index = await authorshipOf(docIdOf(stream));
        // Only a sure typist: before a tab's own events arrive, the best guess is
        // the tab whose event carried its typing, which is what a row must not say.
        typists.set(stream, (client) => index.state.owners.typist(client));
      } catch (error) {
        // Without it, the row says what the event holds, as before.
        typists.set(stream, undefined);
        onIgnoredError(error);
      }
    }
    return events.map((event, i) => {
      const typist = several.has(event) ? typists.get(event.stream) : undefined;
      if (!typist) return rows[i]!;
      let unsure = false;
      const row = rowOf(event, (client) => {
        const who = typist(client);
        if (who === undefined) unsure = true;
        return who;
      });
      return unsure ? { ...row, unsettled: true } : row;
    });
  }

  return {
    async queryEvents(filter, page) {
      const { events, next } = await log.query(filter, page);
      return { rows: await rowsOf(events), ...(next ? { next } : {}) };
    },
    async rows(ids) {
      if (!Array.isArray(ids)) return [];
      const events: LogEvent[] = [];
      for (const id of new Set<EventId>(ids)) {
        const event = typeof id === 'string' ? await log.get(id) : undefined;
        if (event) events.push(event);
      }
      return rowsOf(events);
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
        row: (await rowsOf([event]))[0]!,
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
