import type { EventId } from '../index.ts';

export interface PlacedEvent {
  id: EventId;
  row: number;
  lane: number;
  /** Where each parent sits, for the edges to draw. */
  from: { row: number; lane: number }[];
}

/**
 * Lays a stream's DAG out in lanes, events in canonical order top to bottom: an event
 * continues its first parent's lane; a second child of one parent opens a new lane
 * (a fork); a merge closes the lanes of its other parents.
 */
export function layOutLanes(events: { id: EventId; parents: EventId[] }[]): {
  placed: PlacedEvent[];
  lanes: number;
} {
  const tips: (EventId | null)[] = [];
  const where = new Map<EventId, { row: number; lane: number }>();
  const placed: PlacedEvent[] = [];
  events.forEach((event, row) => {
    const parentLanes = event.parents
      .map((p) => tips.indexOf(p))
      .filter((i) => i >= 0)
      .sort((a, b) => a - b);
    let lane = parentLanes[0];
    if (lane === undefined) {
      const free = tips.indexOf(null);
      lane = free >= 0 ? free : tips.length;
    }
    for (const other of parentLanes.slice(1)) tips[other] = null;
    tips[lane] = event.id;
    const from = event.parents.flatMap((p) =>
      where.has(p) ? [where.get(p)!] : [],
    );
    where.set(event.id, { row, lane });
    placed.push({ id: event.id, row, lane, from });
  });
  return { placed, lanes: Math.max(1, tips.length) };
}
