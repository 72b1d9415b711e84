import * as Y from 'yjs';
import { authorOf } from '../log/event-filter.ts';
import type { LogEvent, Projection } from '../log/types.ts';
import { countOnce } from './authorship.ts';
import { DOC_PREFIX, FIELD_SET, docIdOf, textUpdateOf } from './doc-events.ts';

const HOUR = 3_600_000;

/** What the insights keep of one document, folded from its events. */
export interface DocumentInsights {
  events: number;
  /** Per hour (its first ms, UTC), per author: events written. */
  edits: Map<number, Map<string, number>>;
  /** Characters in the text after the last event folded. */
  size: number;
  /** The size at the end of each hour that had an event: [hour, characters]. */
  sizes: [number, number][];
  /**
   * Per Yjs client, the clock ranges already counted as inserted, and as deleted
   * (see countOnce): an event that carried another tab's early typing
   * (src/ui/typing-share.ts) holds text the other's own event holds too.
   */
  insertedIds: Map<number, number[]>;
  deletedIds: Map<number, number[]>;
  /** The stream's heads as folded so far: id, and whether the head sets a field. */
  heads: Map<string, { field: boolean; time: string }>;
  /** The episode under way while the stream has more than one head. */
  open?: Episode;
  episodes: Episode[];
}

/**
 * A stretch of concurrency in a document: from the first event written without
 * seeing another head to the event that saw them all again (DESIGN §3, §7).
 */
export interface Episode {
  /** The earliest and latest writer time of its concurrent events. */
  from: string;
  to: string;
  /** Whether any side set a field (a register conflict) rather than only typing. */
  register: boolean;
  /** The time of the event that merged every side, once one did. */
  resolvedAt?: string;
}

/** The insights projection's state: per document. */
export type InsightsState = Map<string, DocumentInsights>;

/**
 * The projection behind the Insights view (DESIGN §11 `project`, over `doc/`): per
 * document, events per hour and author, and the text's size over time. The size
 * is counted from each event's Yjs update (characters inserted, less those deleted
 * for the first time), not by applying it: an update is decoded, never folded into
 * a Y.Doc. Events come from other replicas: one that does not decode still counts
 * as an edit, and changes no size.
 */
export function insightsProjection(): Projection<InsightsState> {
  return {
    initial: () => new Map(),
    evolve(state, event) {
      if (!event.stream.startsWith(DOC_PREFIX)) return state;
      const docId = docIdOf(event.stream);
      let doc = state.get(docId);
      if (!doc) {
        doc = {
          events: 0,
          edits: new Map(),
          size: 0,
          sizes: [],
          insertedIds: new Map(),
          deletedIds: new Map(),
          heads: new Map(),
          episodes: [],
        };
        state.set(docId, doc);
      }
      doc.events++;
      const at = Date.parse(event.time);
      const hour = Number.isFinite(at) ? Math.floor(at / HOUR) * HOUR : 0;
      let byAuthor = doc.edits.get(hour);
      if (!byAuthor) doc.edits.set(hour, (byAuthor = new Map()));
      const author = authorOf(event);
      byAuthor.set(author, (byAuthor.get(author) ?? 0) + 1);
      followHeads(doc, event);
      const change = sizeChange(event, doc);
      if (change !== 0) {
        doc.size += change;
        const last = doc.sizes[doc.sizes.length - 1];
        if (last && last[0] === hour) last[1] = doc.size;
        else doc.sizes.push([hour, doc.size]);
      }
      return state;
    },
    snapshot: { name: 'insights.v2', every: 2000 },
  };
}

/**
 * Keeps the stream's heads as the fold goes (canonical order is topological): an
 * event that leaves a head unnamed was written without seeing it, so the stream
 * forked; one that leaves a single head merged every side.
 */
function followHeads(doc: DocumentInsights, event: LogEvent): void {
  const { heads } = doc;
  const named = event.parents.filter((p) => heads.has(p));
  const unseen = heads.size - named.length;
  for (const p of named) heads.delete(p);
  heads.set(event.id, { field: event.type === FIELD_SET, time: event.time });
  if (unseen > 0) {
    const sides = [...heads.values()];
    const times = sides.map((h) => h.time).sort();
    const register = sides.some((h) => h.field);
    if (doc.open) {
      if (times[0]! < doc.open.from) doc.open.from = times[0]!;
      if (times[times.length - 1]! > doc.open.to)
        doc.open.to = times[times.length - 1]!;
      doc.open.register ||= register;
    } else {
      doc.open = {
        from: times[0]!,
        to: times[times.length - 1]!,
        register,
      };
      doc.episodes.push(doc.open);
    }
  } else if (doc.open && heads.size === 1) {
    doc.open.resolvedAt = event.time;
    delete doc.open;
  }
}

/** Characters an event's text update is first to insert, less those it is first to delete. */
function sizeChange(
  event: LogEvent,
  { insertedIds, deletedIds }: DocumentInsights,
): number {
  let update: Uint8Array | undefined;
  let decoded: ReturnType<typeof Y.decodeUpdate>;
  try {
    update = textUpdateOf(event);
    if (!update) return 0;
    decoded = Y.decodeUpdate(update);
  } catch {
    return 0;
  }
  let change = 0;
  for (const struct of decoded.structs)
    if (struct instanceof Y.Item && struct.content instanceof Y.ContentString) {
      const { client, clock } = struct.id;
      change += countOnce(
        countedOf(insertedIds, client),
        clock,
        clock + struct.length,
      );
    }
  for (const [client, ranges] of decoded.ds.clients) {
    const counted = countedOf(deletedIds, client);
    for (const d of ranges)
      change -= countOnce(counted, d.clock, d.clock + d.len);
  }
  return change;
}

function countedOf(all: Map<number, number[]>, client: number): number[] {
  let counted = all.get(client);
  if (!counted) all.set(client, (counted = []));
  return counted;
}

/** One episode of concurrency as the insights plot it. */
export interface ConflictPoint {
  docId: string;
  /** When its first concurrent event was written. */
  time: string;
  /** 'register': a side set a field; 'text': the sides only typed (Yjs merged them). */
  kind: 'register' | 'text';
  state: 'unresolved' | 'resolved';
  /** From its last concurrent event to the event that merged every side (ms). */
  resolvedAfter?: number;
}

/** Everything the Insights view draws, for one document or the whole log. */
export interface InsightsData {
  /** Per hour and author: events written. */
  edits: { hour: number; author: string; count: number }[];
  /** The text's size, in characters, at the end of each hour with an edit (summed over documents). */
  sizes: { hour: number; characters: number }[];
  conflicts: ConflictPoint[];
  /** Documents by events written, most first. */
  busiestDocuments: { docId: string; events: number }[];
  /** Events written in each hour of the day (0–23, UTC). */
  busiestHours: { hour: number; events: number }[];
}

/** The insights of `docIds` (every document when undefined) from the projection's state. */
export function insightsOf(
  state: InsightsState,
  docIds?: readonly string[],
): InsightsData {
  const docs = [...state].filter(
    ([docId]) => docIds === undefined || docIds.includes(docId),
  );
  const edits = new Map<
    string,
    { hour: number; author: string; count: number }
  >();
  const hours = new Array<number>(24).fill(0);
  for (const [, doc] of docs)
    for (const [hour, byAuthor] of doc.edits)
      for (const [author, count] of byAuthor) {
        const key = `${hour}\n${author}`;
        const row = edits.get(key) ?? { hour, author, count: 0 };
        row.count += count;
        edits.set(key, row);
        hours[new Date(hour).getUTCHours()]! += count;
      }
  // The whole log's size: each document's last size at or before each hour.
  const allHours = [
    ...new Set(docs.flatMap(([, d]) => d.sizes.map(([h]) => h))),
  ].sort((a, b) => a - b);
  const cursors = docs.map(() => ({ at: -1, size: 0 }));
  const sizes = allHours.map((hour) => {
    let characters = 0;
    docs.forEach(([, doc], i) => {
      const c = cursors[i]!;
      while (c.at + 1 < doc.sizes.length && doc.sizes[c.at + 1]![0] <= hour)
        c.size = doc.sizes[++c.at]![1];
      characters += c.size;
    });
    return { hour, characters };
  });
  return {
    edits: [...edits.values()].sort(
      (a, b) => a.hour - b.hour || (a.author < b.author ? -1 : 1),
    ),
    sizes,
    conflicts: docs
      .flatMap(([docId, doc]) => doc.episodes.map((e) => pointOf(docId, e)))
      .sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0)),
    busiestDocuments: docs
      .map(([docId, doc]) => ({ docId, events: doc.events }))
      .sort((a, b) => b.events - a.events),
    busiestHours: hours.map((events, hour) => ({ hour, events })),
  };
}

function pointOf(docId: string, episode: Episode): ConflictPoint {
  const after =
    episode.resolvedAt === undefined
      ? NaN
      : Date.parse(episode.resolvedAt) - Date.parse(episode.to);
  return {
    docId,
    time: episode.from,
    kind: episode.register ? 'register' : 'text',
    state: episode.resolvedAt === undefined ? 'unresolved' : 'resolved',
    ...(Number.isFinite(after) ? { resolvedAfter: Math.max(0, after) } : {}),
  };
}
