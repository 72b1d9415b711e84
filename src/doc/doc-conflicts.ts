import { compareCanonical } from '../log/store.ts';
import type { Conflict, EventId, Log, LogEvent } from '../log/types.ts';
import { DELETED_FIELD, textUpdateOf } from './doc-events.ts';
import type { DocState } from './doc-state.ts';
import { ItemPositions, rangesMeet, type TouchedRange } from './text-ranges.ts';

/** A document conflict: a DESIGN §7 conflict with what the timeline shows of it. */
export interface DocConflict extends Conflict {
  kind: 'field' | 'text';
  /** The field, for field conflicts. */
  field?: string;
  /** The heads each side had: fold at one to see the document as that side saw it. */
  sides: EventId[][];
  authors: string[];
  /** Earliest and latest writer time of the events. */
  from: string;
  to: string;
  /** Text episodes: both sides touched the same or adjacent characters. */
  overlapping?: boolean;
}

const authorOf = (e: LogEvent) => e.author ?? e.actor;

async function eventsOf(log: Log, ids: EventId[]): Promise<LogEvent[]> {
  const events = await Promise.all(ids.map((id) => log.get(id)));
  return events
    .filter((e): e is LogEvent => e !== undefined)
    .sort(compareCanonical);
}

function describe(events: LogEvent[]) {
  const times = events.map((e) => e.time).sort();
  return {
    authors: [...new Set(events.map(authorOf))].sort(),
    from: times[0] ?? '',
    to: times[times.length - 1] ?? '',
  };
}

/** Concurrent field writes: unresolved while several values are live, resolved by the write that replaced them. */
async function fieldConflicts(
  log: Log,
  stream: string,
  state: DocState,
): Promise<DocConflict[]> {
  const out: DocConflict[] = [];
  const field = async (name: string, ids: EventId[], resolvedBy?: EventId) => {
    const events = await eventsOf(log, ids);
    out.push({
      stream,
      kind: 'field',
      field: name,
      events: events.map((e) => e.id),
      forkPoint: await log.forkPoint(ids),
      state: resolvedBy ? 'resolved' : 'unresolved',
      ...(resolvedBy ? { resolvedBy } : {}),
      sides: events.map((e) => [e.id]),
      ...describe(events),
    });
  };
  for (const r of state.registers.resolutions)
    if (r.field !== DELETED_FIELD) await field(r.field, r.events, r.resolvedBy);
  for (const name of state.registers.fieldNames()) {
    const live = state.registers.liveIds(name);
    if (live.length >= 2) await field(name, live);
  }
  return out;
}

/**
 * Concurrent text edits, grouped into episodes so heavy concurrent typing shows as a
 * few entries: the log's concurrent groups that share events are one episode. Yjs
 * merged them (auto-merged); an episode is flagged overlapping when edits by
 * different writers touched the same or adjacent characters.
 */
async function textEpisodes(
  log: Log,
  stream: string,
  state: DocState,
  heldBy: HeldBy,
): Promise<DocConflict[]> {
  const all = await log.conflicts(stream);
  const held = await heldBy(state);
  const groups: Conflict[] = [];
  for (const c of all) {
    let every = true;
    for (const id of c.events) if (!(every = await held(id))) break;
    if (every) groups.push(c);
  }
  // One stretch of concurrency is one episode: groups that share an event, and a
  // group that forked from within an episode (from one of its events, or from the
  // merge that ended it) while both went on typing.
  const episodes: {
    events: Set<EventId>;
    members: Set<EventId>;
    last: Conflict;
  }[] = [];
  for (const group of groups) {
    const links = [...group.events, ...group.forkPoint];
    const touching = episodes.filter((ep) =>
      links.some((id) => ep.members.has(id)),
    );
    const merged = {
      events: new Set(group.events),
      members: new Set([
        ...group.events,
        ...(group.resolvedBy ? [group.resolvedBy] : []),
      ]),
      last: group,
    };
    for (const ep of touching) {
      ep.events.forEach((id) => merged.events.add(id));
      ep.members.forEach((id) => merged.members.add(id));
    }
    episodes.splice(
      0,
      episodes.length,
      ...episodes.filter((ep) => !touching.includes(ep)),
      merged,
    );
  }
  let positions: ItemPositions | undefined;
  const out: DocConflict[] = [];
  for (const episode of episodes) {
    const events = (await eventsOf(log, [...episode.events])).filter(
      (e) => textUpdateOf(e) !== undefined,
    );
    const writers = new Set(events.map((e) => `${e.actor}\n${authorOf(e)}`));
    if (writers.size < 2) continue;
    positions ??= new ItemPositions(state.text);
    const ranges = new Map<string, TouchedRange[]>();
    for (const e of events) {
      const range = positions.rangeOf(textUpdateOf(e)!);
      const writer = `${e.actor}\n${authorOf(e)}`;
      if (range) ranges.set(writer, [...(ranges.get(writer) ?? []), range]);
    }
    const byWriter = [...ranges.values()];
    const overlapping = byWriter.some((mine, i) =>
      byWriter
        .slice(i + 1)
        .some((theirs) =>
          mine.some((a) => theirs.some((b) => rangesMeet(a, b))),
        ),
    );
    const last = episode.last;
    const resolvedBy = last.state === 'resolved' ? last.resolvedBy : undefined;
    const sides = resolvedBy
      ? (await log.get(resolvedBy))!.parents.map((p) => [p])
      : state.heads.map((h) => [h]);
    out.push({
      stream,
      kind: 'text',
      events: events.map((e) => e.id),
      forkPoint: await log.forkPoint(events.map((e) => e.id)),
      state: 'auto-merged',
      ...(resolvedBy ? { resolvedBy } : {}),
      sides,
      ...describe(events),
      overlapping,
    });
  }
  return out;
}

/**
 * Whether `state` holds an event: a test made now, for events stored before now
 * (DocStates.heldBy).
 */
export type HeldBy = (
  state: DocState,
) => Promise<(id: EventId) => boolean | Promise<boolean>>;

/** Field conflicts and text episodes of a document as `state` holds it, oldest first. */
export async function documentConflicts(
  log: Log,
  stream: string,
  state: DocState,
  heldBy: HeldBy,
): Promise<DocConflict[]> {
  const all = [
    ...(await fieldConflicts(log, stream, state)),
    ...(await textEpisodes(log, stream, state, heldBy)),
  ];
  // A total order, the same on every replica whatever order events arrived in.
  const key = (c: DocConflict) => [
    c.from,
    c.kind,
    c.field ?? '',
    c.events.join(),
    c.resolvedBy ?? '',
  ];
  return all.sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    for (let i = 0; i < x.length; i++)
      if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
    return 0;
  });
}
