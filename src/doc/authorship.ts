import * as Y from 'yjs';
import type { Projection } from '../log/types.ts';
import { ClientOwners } from './client-owners.ts';
import { textUpdateOf } from './doc-events.ts';
import { writerKey, writerNames } from './writers.ts';

/**
 * What a document's events wrote, by Yjs id: enough to say who typed any character
 * of any version of its text, and when. Order-free: a fold of its events in any
 * order gives the same index (ranges are kept sorted as they come).
 */
export interface AuthorshipIndex {
  /** Per event taken in: its writer (writers.ts's writerKey) and time. */
  events: [writer: string, time: string][];
  /** Per Yjs client: [clock, end, event index] triples, sorted by clock. */
  ranges: Map<number, number[]>;
  owners: ClientOwners;
  /**
   * Per writer: characters they deleted. A deletion is counted once, for the first
   * event (in canonical order) that made it: an event that carried another tab's
   * early typing may carry its deletions too.
   */
  deleted: Map<string, number>;
  /** Per Yjs client: the clock ranges counted as deleted, [from, to) pairs, sorted. */
  deletedIds: Map<number, number[]>;
}

/** A run of the text written by one writer. */
export interface AuthorRun {
  text: string;
  author: string;
  /** When the first and the last of its characters were written. */
  from: string;
  to: string;
}

export interface AuthorTotals {
  author: string;
  /** Characters of theirs in the text shown. */
  current: number;
  /** Characters they inserted (by Yjs client), and deleted, over the whole history. */
  inserted: number;
  deleted: number;
}

export interface Authorship {
  runs: AuthorRun[];
  authors: AuthorTotals[];
}

/** The snapshot's form of the index (structured-cloneable, no class instances). */
interface Stored {
  events: [string, string][];
  ranges: [number, number[]][];
  owners: ReturnType<ClientOwners['toJSON']>;
  deleted: [string, number][];
  deletedIds: [number, number[]][];
}

/**
 * The projection that keeps a document's authorship index (DESIGN §11 `project`),
 * over its stream; `stream` keeps out streams its name is only a prefix of.
 * Events come from other replicas: an update that does not decode is passed over.
 */
export function authorshipProjection(
  stream: string,
): Projection<AuthorshipIndex> {
  return {
    initial: () => ({
      events: [],
      ranges: new Map(),
      owners: new ClientOwners(),
      deleted: new Map(),
      deletedIds: new Map(),
    }),
    evolve(index, event) {
      if (event.stream !== stream) return index;
      let decoded: ReturnType<typeof Y.decodeUpdate>;
      try {
        const update = textUpdateOf(event);
        if (!update) return index;
        decoded = Y.decodeUpdate(update);
      } catch {
        return index;
      }
      const writer = writerKey(event);
      const at = index.events.push([writer, event.time]) - 1;
      const clients = new Set<number>();
      for (const struct of decoded.structs) {
        if (!(struct instanceof Y.Item)) continue;
        const { client, clock } = struct.id;
        clients.add(client);
        if (struct.content instanceof Y.ContentString)
          addRange(index.ranges, client, clock, clock + struct.length, at);
      }
      for (const client of clients) {
        let span = 0;
        for (const struct of decoded.structs)
          if (struct instanceof Y.Item && struct.id.client === client)
            span += struct.length;
        index.owners.hold(client, writer, span, clients.size === 1);
      }
      let deleted = 0;
      for (const [client, ranges] of decoded.ds.clients) {
        let counted = index.deletedIds.get(client);
        if (!counted) index.deletedIds.set(client, (counted = []));
        for (const d of ranges)
          deleted += countOnce(counted, d.clock, d.clock + d.len);
      }
      if (deleted > 0)
        index.deleted.set(writer, (index.deleted.get(writer) ?? 0) + deleted);
      return index;
    },
    snapshot: {
      // v2: writers are a replica and its label (writerKey), no longer the label alone.
      name: 'authorship.v2',
      every: 1000,
      encode: (index): Stored => ({
        events: index.events,
        ranges: [...index.ranges],
        owners: index.owners.toJSON(),
        deleted: [...index.deleted],
        deletedIds: [...index.deletedIds],
      }),
      decode: (stored) => {
        const s = stored as Stored;
        return {
          events: s.events,
          ranges: new Map(s.ranges),
          owners: ClientOwners.from(s.owners),
          deleted: new Map(s.deleted),
          deletedIds: new Map(s.deletedIds),
        };
      },
    },
  };
}

/**
 * Adds [from, to) to the sorted, disjoint pairs of `counted`; returns how many of
 * its clocks were not there yet.
 */
export function countOnce(counted: number[], from: number, to: number): number {
  const length = counted.length;
  // Typing runs on: the range meets or follows the last pair, nearly always.
  if (length === 0 || counted[length - 1]! < from) {
    counted.push(from, to);
    return to - from;
  }
  let fresh = to - from;
  // The first pair that ends at or after `from`, found by halves: a client's
  // pairs are many once its text was deleted here and there, and the fold
  // counts every edit's clocks (a scan from the start was a tenth of it).
  let low = 0;
  let high = length / 2;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (counted[2 * mid + 1]! < from) low = mid + 1;
    else high = mid;
  }
  const i = 2 * low;
  let start = from;
  let end = to;
  let j = i;
  // Every pair that meets [from, to) merges into it.
  while (j < counted.length && counted[j]! <= to) {
    fresh -= Math.max(
      0,
      Math.min(to, counted[j + 1]!) - Math.max(from, counted[j]!),
    );
    start = Math.min(start, counted[j]!);
    end = Math.max(end, counted[j + 1]!);
    j += 2;
  }
  counted.splice(i, j - i, start, end);
  return fresh;
}

/** How many clocks the [clock, end, event] triples of one client cover. */
function covered(ranges: number[]): number {
  let total = 0;
  let reached = -1;
  for (let k = 0; k < ranges.length; k += 3) {
    const from = Math.max(ranges[k]!, reached);
    if (ranges[k + 1]! > from) total += ranges[k + 1]! - from;
    reached = Math.max(reached, ranges[k + 1]!);
  }
  return total;
}

function addRange(
  all: Map<number, number[]>,
  client: number,
  clock: number,
  end: number,
  event: number,
): void {
  let ranges = all.get(client);
  if (!ranges) all.set(client, (ranges = []));
  // Most updates of a client come in clock order: at the end; else where it sorts.
  let at = ranges.length;
  while (at > 0 && ranges[at - 3]! > clock) at -= 3;
  ranges.splice(at, 0, clock, end, event);
}

/** The first triple (as an index into `ranges`) whose end is past `clock`. */
function firstEndingAfter(ranges: number[], clock: number): number {
  let lo = 0;
  let hi = ranges.length / 3;
  // Ends are not sorted when ranges overlap; starts are. Find by start, then step back.
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ranges[mid * 3]! <= clock) lo = mid + 1;
    else hi = mid;
  }
  let i = lo - 1;
  while (i > 0 && ranges[i * 3 - 2]! > clock) i--;
  return Math.max(0, i) * 3;
}

/**
 * Each run of `text` (the document's Y.Text at some version) attributed to who
 * typed it, and each writer's totals. A character whose Yjs id no event of the
 * index holds (an event not yet taken in) is attributed to nobody: "unknown".
 */
export function attribute(text: Y.Text, index: AuthorshipIndex): Authorship {
  const runs: AuthorRun[] = [];
  const current = new Map<string, number>();
  const push = (unit: string, author: string, time: string) => {
    const last = runs[runs.length - 1];
    if (last?.author === author) {
      last.text += unit;
      if (time > last.to) last.to = time;
      if (time < last.from) last.from = time;
    } else runs.push({ text: unit, author, from: time, to: time });
    current.set(author, (current.get(author) ?? 0) + unit.length);
  };
  for (let item = text._start; item !== null; item = item.right) {
    if (item.deleted || !(item.content instanceof Y.ContentString)) continue;
    const { str } = item.content;
    const { client, clock } = item.id;
    const owner = index.owners.owner(client);
    const ranges = index.ranges.get(client);
    let i = 0;
    while (i < str.length) {
      const at = clock + i;
      // The events that hold this clock: the owner's first, else any.
      let event = -1;
      let end = at + 1;
      if (ranges) {
        for (let k = firstEndingAfter(ranges, at); k < ranges.length; k += 3) {
          if (ranges[k]! > at) break;
          if (ranges[k + 1]! <= at) continue;
          const e = ranges[k + 2]!;
          if (event < 0 || index.events[e]![0] === owner) {
            event = e;
            end = ranges[k + 1]!;
            if (index.events[e]![0] === owner) break;
          }
        }
      }
      const take = Math.max(1, Math.min(str.length - i, end - at));
      const [writer, time] = event < 0 ? ['unknown', ''] : index.events[event]!;
      push(str.slice(i, i + take), owner ?? writer, time);
      i += take;
    }
  }
  // Inserted: each client's text, counted once, for who typed it.
  const inserted = new Map<string, number>();
  for (const [client, ranges] of index.ranges) {
    const owner = index.owners.owner(client) ?? 'unknown';
    inserted.set(owner, (inserted.get(owner) ?? 0) + covered(ranges));
  }
  const writers = new Set([
    ...current.keys(),
    ...inserted.keys(),
    ...index.deleted.keys(),
  ]);
  // Shown by name: a label, with as much of its actor as two replicas of one label need.
  const names = writerNames([...writers].filter((w) => w !== 'unknown'));
  const name = (writer: string) => names.get(writer) ?? writer;
  return {
    runs: runs.map((run) => ({ ...run, author: name(run.author) })),
    authors: [...writers]
      .map((writer) => ({
        author: name(writer),
        current: current.get(writer) ?? 0,
        inserted: inserted.get(writer) ?? 0,
        deleted: index.deleted.get(writer) ?? 0,
      }))
      .sort((a, b) => (a.author < b.author ? -1 : a.author > b.author ? 1 : 0)),
  };
}
