import { parseHlc } from '../log/hlc.ts';
import { clockedTime } from '../log/event-time.ts';
import { compareCanonical } from '../log/store.ts';
import type { Conflict, EventId, Json, Log, LogEvent } from '../log/types.ts';
import {
  DELETED_FIELD,
  fieldWritesOf,
  readableTextUpdate,
} from './doc-events.ts';
import { writerKey, writerNames } from './writers.ts';
import type { DocState } from './doc-state.ts';
import type { FieldWrite, Registers } from './registers.ts';
import { touchesOf, writersShare } from './text-touches.ts';
import { emptyScan, scanUpdate, type ScannedUpdate } from './update-scan.ts';

/** Where an episode's events are scanned, one at a time (`touchesOf` reads it first). */
const scratch: ScannedUpdate = emptyScan();

/** A document conflict: a DESIGN §7 conflict with what the timeline shows of it. */
export interface DocConflict extends Conflict {
  /** `deleted`: the document was deleted by a writer who had not seen edits made to it. */
  kind: 'field' | 'text' | 'deleted';
  /** The field, for field conflicts. */
  field?: string;
  /** The heads each side had: fold at one to see the document as that side saw it. */
  sides: EventId[][];
  /**
   * Who wrote the events (writerNames): alphabetically, but a text episode's in
   * order of first edit, the order of its comparison's sides.
   */
  authors: string[];
  /**
   * A field's: who wrote each side's value, named as `authors` are (a side is one
   * event there).
   */
  sideAuthors?: string[];
  /**
   * Who wrote `resolvedBy`, named as `authors` are (writerNames): for a field, who
   * picked the value; for text, whose edit joined the sides. With `alsoResolvedBy`,
   * every writer who did, joined by "and".
   */
  resolver?: string;
  /**
   * A field's: other writes that replaced the same values at once, concurrently
   * with `resolvedBy`; their values are in conflict in turn.
   */
  alsoResolvedBy?: EventId[];
  /** Earliest and latest writer time of the events. */
  from: string;
  to: string;
  /** Text episodes: both sides touched the same or adjacent characters. */
  overlapping?: boolean;
  /** `deleted` conflicts: who deleted the document, named as `authors` are. */
  deletedBy?: string[];
  /** `deleted` conflicts: who wrote the edits those deletes had not seen. */
  editedBy?: string[];
  /** Deletion's own field (`@deleted`) in conflict: who brought the document back. */
  restoredBy?: string[];
}

/**
 * The events of `ids` that are stored, in canonical order: read one at a time. An
 * episode of heavy concurrency names thousands, and asking for them all at once
 * queued thousands of reads in the worker, each decoding a segment that the others
 * were decoding too, ahead of everything else it was asked (at 41k conflicts, for
 * seconds on end). One at a time, an event after the first of its segment comes
 * from the segment's decoded copy, with no read.
 */
async function eventsOf(log: Log, ids: EventId[]): Promise<LogEvent[]> {
  const events: LogEvent[] = [];
  for (const id of ids) {
    const event = await log.get(id);
    if (event) events.push(event);
  }
  return events.sort(compareCanonical);
}

/**
 * Names for the writers of `events` and of `resolver` (writerNames), given
 * together: a resolver writing under a side's label is told apart from it.
 */
function namesFor(
  events: LogEvent[],
  resolver?: LogEvent,
  others: LogEvent[] = [],
): (events: LogEvent[], inOrder?: boolean) => string[] {
  const keys = [...events, ...(resolver ? [resolver] : []), ...others].map(
    writerKey,
  );
  const names = writerNames(keys);
  return (of, inOrder = false) => {
    const named = [...new Set(of.map((e) => names.get(writerKey(e))!))];
    return inOrder ? named : named.sort();
  };
}

/**
 * Who wrote `events` and when, and who wrote `resolver`, the event that resolved
 * them, with `others` that resolved them at once.
 */
function describe(
  events: LogEvent[],
  resolver?: LogEvent,
  others: LogEvent[] = [],
  /** Name the writers in the order of `events`, not alphabetically. */
  inOrder = false,
) {
  const times = events.map(clockedTime).sort();
  const names = namesFor(events, resolver, others);
  return {
    authors: names(events, inOrder),
    ...(resolver
      ? { resolver: names([resolver, ...others]).join(' and ') }
      : {}),
    from: times[0] ?? '',
    to: times[times.length - 1] ?? '',
  };
}

/**
 * The sides of a conflict among concurrent groups: the heads the event that resolved
 * it joined, or, while it is open, the heads of the state it is seen from.
 */
const sidesOf = (state: DocState, resolver: LogEvent | undefined) =>
  resolver ? resolver.parents.map((p) => [p]) : state.heads.map((h) => [h]);

/** The value an event wrote to `field`, if it wrote one that reads. */
function valueWritten(event: LogEvent, field: string): Json | undefined {
  try {
    return fieldWritesOf(event).find((w) => w.field === field)?.value;
  } catch {
    return undefined;
  }
}

/**
 * Concurrent field writes: unresolved while several values are live, resolved by
 * the write that replaced them. Deletion is a register too: writers who deleted the
 * document at once agreed, and that is no conflict; one who deleted it while
 * another brought it back is, naming each (`deletedBy`, `restoredBy`).
 */
async function fieldConflicts(
  log: Log,
  stream: string,
  state: DocState,
): Promise<DocConflict[]> {
  const out: DocConflict[] = [];
  const field = async (
    name: string,
    ids: EventId[],
    resolvedBy?: EventId,
    also: EventId[] = [],
  ) => {
    const events = await eventsOf(log, ids);
    let deletion: { deletedBy: string[]; restoredBy: string[] } | undefined;
    const resolver = resolvedBy ? await log.get(resolvedBy) : undefined;
    const others = await eventsOf(log, also);
    const names = namesFor(events, resolver, others);
    const bySide = [...events].sort((a, b) => (a.id < b.id ? -1 : 1));
    if (name === DELETED_FIELD) {
      const deleting = events.filter(deletes);
      if (deleting.length === 0 || deleting.length === events.length) return;
      deletion = {
        deletedBy: names(deleting),
        restoredBy: names(events.filter((e) => !deleting.includes(e))),
      };
    }
    out.push({
      stream,
      kind: 'field',
      field: name,
      events: events.map((e) => e.id),
      forkPoint: await log.forkPoint(ids),
      state: resolvedBy ? 'resolved' : 'unresolved',
      ...(resolvedBy ? { resolvedBy } : {}),
      ...(others.length > 0 ? { alsoResolvedBy: others.map((e) => e.id) } : {}),
      // In the order the field's values are listed (Registers.values: by id), so
      // that Side 1 is the first value wherever the page lists them (QA pass 16
      // read Side 1 "Trip plan A" above a merged result and choices listing B first).
      sides: bySide.map((e) => [e.id]),
      sideAuthors: bySide.map((e) => names([e])[0]!),
      ...describe(events, resolver, others),
      ...deletion,
    });
  };
  for (const r of state.registers.resolutions)
    await field(r.field, r.events, r.resolvedBy, r.also);
  for (const name of state.registers.fieldNames()) {
    const live = state.registers.liveIds(name);
    if (live.length >= 2) await field(name, live);
  }
  return out;
}

/**
 * The conflict that puts a document's deletion in question, while it is open: a
 * delete that had not seen edits (kind `deleted`), or a delete and a restore at
 * once (its register, `@deleted`).
 */
export const openDeletionConflict = (
  conflicts: readonly DocConflict[],
): DocConflict | undefined =>
  conflicts.find(
    (c) =>
      c.state === 'unresolved' &&
      (c.kind === 'deleted' || c.field === DELETED_FIELD),
  );

/** Whether the document is both deleted and brought back by writes live at once. */
const deletionDisputed = (registers: Registers): boolean => {
  const values = registers.values(DELETED_FIELD);
  return (
    values.some((v) => v.value === true) && values.some((v) => v.value !== true)
  );
};

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
  groups: Conflict[],
): Promise<DocConflict[]> {
  const wall = new Map<EventId, Promise<number | undefined>>();
  const episodes = await episodesOf(groups, (id) => {
    let known = wall.get(id);
    if (!known)
      wall.set(
        id,
        (known = log.get(id).then((e) => e && parseHlc(e.hlc).wall)),
      );
    return known;
  });
  const out: DocConflict[] = [];
  for (const episode of episodes) {
    const events = (await eventsOf(log, [...episode.events])).filter(
      // One that does not read touched no text: the fold passes over it too.
      (e) => readableTextUpdate(e) !== undefined,
    );
    const writers = new Set(events.map(writerKey));
    if (writers.size < 2) continue;
    const touched = new Map<string, number[]>();
    for (const e of events) {
      let scanned;
      try {
        scanned = scanUpdate(readableTextUpdate(e)!, scratch);
      } catch {
        continue; // does not scan: touched no text, as the fold has it
      }
      const writer = writerKey(e);
      let mine = touched.get(writer);
      if (!mine) touched.set(writer, (mine = []));
      touchesOf(scanned, (client, from, to) => mine.push(client, from, to));
    }
    const overlapping = writersShare([...touched.values()]);
    const last = episode.last;
    const resolvedBy = last.state === 'resolved' ? last.resolvedBy : undefined;
    const resolver = resolvedBy ? await log.get(resolvedBy) : undefined;
    out.push({
      stream,
      kind: 'text',
      events: events.map((e) => e.id),
      forkPoint: await log.forkPoint(events.map((e) => e.id)),
      state: 'auto-merged',
      ...(resolvedBy ? { resolvedBy } : {}),
      sides: sidesOf(state, resolver),
      // In order of first edit (`events` are in canonical order), as a comparison
      // lists the sides: the row and the comparison below it name them alike (QA
      // pass 18 read "by Amy and Zed" above "by Zed and Amy").
      ...describe(events, resolver, [], true),
      overlapping,
    });
  }
  return out;
}

/** Whether an event deletes the document; one that does not read deletes nothing. */
const deletes = (event: LogEvent): boolean =>
  valueWritten(event, DELETED_FIELD) === true;

/** Whether an event changes what the document holds: its text, or a field. */
function edits(event: LogEvent): boolean {
  if (readableTextUpdate(event) !== undefined) return true;
  try {
    return fieldWritesOf(event).some((w) => w.field !== DELETED_FIELD);
  } catch {
    return false;
  }
}

/**
 * The deletes of a concurrent group (its events, in canonical order) that did not
 * see an edit of it, and those edits: none unless some edit is neither before a
 * delete (its writer had it when deleting) nor after one (its writer typed into the
 * deleted document).
 */
function blindDeletes(
  events: LogEvent[],
): { deleting: LogEvent[]; unseen: LogEvent[] } | undefined {
  const deleting = events.filter(deletes);
  if (deleting.length === 0) return undefined;
  const deletingIds = new Set(deleting.map((e) => e.id));
  const byId = new Map(events.map((e) => [e.id, e]));
  // Before a delete: its ancestors within the group.
  const before = new Set<EventId>();
  const stack = [...deletingIds];
  while (stack.length > 0)
    for (const p of byId.get(stack.pop()!)!.parents)
      if (byId.has(p) && !before.has(p)) {
        before.add(p);
        stack.push(p);
      }
  // After one: canonical order puts parents first.
  const after = new Set<EventId>();
  for (const e of events)
    if (e.parents.some((p) => after.has(p) || deletingIds.has(p)))
      after.add(e.id);
  const unseen = events.filter(
    (e) =>
      !deletingIds.has(e.id) &&
      !before.has(e.id) &&
      !after.has(e.id) &&
      edits(e),
  );
  return unseen.length > 0 ? { deleting, unseen } : undefined;
}

/**
 * A concurrent group's events, its blind deletes and the edits they missed
 * (`blindDeletes`), when it holds one of `candidates` (deletes); read only then.
 */
async function blindIn(
  log: Log,
  group: Conflict,
  candidates: ReadonlySet<EventId>,
): Promise<
  { events: LogEvent[]; deleting: LogEvent[]; unseen: LogEvent[] } | undefined
> {
  if (!group.events.some((id) => candidates.has(id))) return undefined;
  const events = await eventsOf(log, group.events);
  const blind = blindDeletes(events);
  return blind && { events, ...blind };
}

/** The deletes that leave the document deleted now. */
const liveDeletes = (registers: Registers): Set<EventId> =>
  new Set(
    registers
      .values(DELETED_FIELD)
      .filter((v) => v.value === true)
      .map((v) => v.id),
  );

/** Of several writes, the first by time, then id: the same on every replica. */
const firstWrite = (writes: FieldWrite[]): FieldWrite | undefined =>
  writes.reduce<FieldWrite | undefined>(
    (first, w) =>
      !first ||
      w.event.time < first.event.time ||
      (w.event.time === first.event.time && w.event.id < first.event.id)
        ? w
        : first,
    undefined,
  );

/**
 * Deletions made without seeing edits written meanwhile (one device deleted the
 * document while another typed in it offline): each concurrent group with a delete
 * that had not seen an edit of it. Neither is dropped: the document is deleted with
 * the edits in it. It stays in question while such a delete is live, and is resolved
 * by the write to the register that replaced it (the document restored, or deleted
 * again), not by typing on in the deleted document. Text and field conflicts never
 * tell of it: a deletion touches a register of its own.
 */
async function deleteConflicts(
  log: Log,
  stream: string,
  state: DocState,
  groups: Conflict[],
): Promise<DocConflict[]> {
  // Deletions are field writes, which the registers keep every one of.
  const writes = state.registers.writes.filter(
    (w) => w.field === DELETED_FIELD,
  );
  const ever = new Set(
    writes.filter((w) => w.value === true).map((w) => w.event.id),
  );
  const live = liveDeletes(state.registers);
  const out: DocConflict[] = [];
  for (const group of groups) {
    const found = await blindIn(log, group, ever);
    if (!found) continue;
    const { events, deleting, unseen } = found;
    const blind = new Set(deleting.map((e) => e.id));
    const decision = deleting.some((e) => live.has(e.id))
      ? undefined
      : firstWrite(
          writes.filter((w) => w.supersedes.some((id) => blind.has(id))),
        );
    const resolver = decision && (await log.get(decision.event.id));
    const merge = group.resolvedBy
      ? await log.get(group.resolvedBy)
      : undefined;
    const names = namesFor(events, resolver);
    out.push({
      stream,
      kind: 'deleted',
      events: events.map((e) => e.id),
      forkPoint: group.forkPoint,
      state: resolver ? 'resolved' : 'unresolved',
      ...(resolver ? { resolvedBy: resolver.id } : {}),
      sides: sidesOf(state, merge),
      ...describe(events, resolver),
      deletedBy: names(deleting),
      editedBy: names(unseen),
    });
  }
  return out;
}

/**
 * Whether the document's deletion is in question: deleted by a writer who had not
 * seen edits made to it (an unresolved `deleteConflicts`), or deleted and brought
 * back at once (its register in conflict), and nobody has decided since. Found
 * from the document's `registers` without a fold; costs the stream's conflicts that
 * hold a live delete, not its history.
 */
export async function deletionContested(
  log: Log,
  stream: string,
  registers: Registers,
): Promise<boolean> {
  const live = liveDeletes(registers);
  if (live.size === 0) return false;
  if (deletionDisputed(registers)) return true;
  for (const group of await log.conflicts(stream)) {
    const found = await blindIn(log, group, live);
    if (found?.deleting.some((e) => live.has(e.id))) return true;
  }
  return false;
}

interface Episode {
  events: Set<EventId>;
  /** Its events and the merges that ended its groups: what a later group links to. */
  members: Set<EventId>;
  /** The group joined last. */
  last: Conflict;
  /** When it was last joined: episodes are listed in that order. */
  joined: number;
  /** Set once joined into another episode: the one to look in instead. */
  into?: Episode;
}

/**
 * How long writing may pause before the next collision is an episode of its own,
 * though it forked from where the last one ended. Two people typing on together
 * write every few hundred milliseconds; a pause of seconds is a new stretch.
 */
export const EPISODE_PAUSE_MS = 5_000;

/**
 * The episodes `groups` (in order) make: one stretch of concurrency is one episode,
 * groups that share an event, and a group that forked from within an episode (from
 * one of its events, or from the merge that ended it) while both went on typing:
 * its first event written at most EPISODE_PAUSE_MS (by `wallOf`, the events' clocks)
 * after the event it forked from. Without `wallOf`, any such fork joins.
 * Each group joins the episodes its events and fork point link to; listed in the
 * order each was last joined. Ids point to their episodes, and a smaller episode is
 * joined into a larger, so this costs about the groups' size times its logarithm:
 * comparing each group with every episode so far held a log worker for over 20 s at
 * 40k conflicts. Clocks are read only for groups that fork from an episode.
 */
export async function episodesOf(
  groups: readonly Conflict[],
  wallOf?: (id: EventId) => Promise<number | undefined>,
): Promise<{ events: Set<EventId>; last: Conflict }[]> {
  // Which episodes hold each event (of their groups), and which each merge ended
  // (a group's resolver): a group sharing an event joins its episode, one forked
  // from either joins if it went on within the pause. A merge is no event of the
  // group it ended: two people who each merged the last collision, a pause later,
  // wrote concurrent merges, and that next collision is an episode of its own.
  const of = new Map<EventId, Episode[]>();
  const ended = new Map<EventId, Episode[]>();
  const current = (episode: Episode): Episode => {
    let root = episode;
    while (root.into) root = root.into;
    // Each episode on the way points at the root from now on.
    for (let e = episode; e.into && e.into !== root;) {
      const next: Episode = e.into;
      e.into = root;
      e = next;
    }
    return root;
  };
  /** Whether `group` began within the pause after `from`, one of its fork point. */
  const wentOn = async (group: Conflict, from: EventId): Promise<boolean> => {
    if (!wallOf) return true;
    const forked = await wallOf(from);
    if (forked === undefined) return true;
    for (const id of group.events) {
      const wall = await wallOf(id);
      if (wall === undefined || wall - forked <= EPISODE_PAUSE_MS) return true;
    }
    return false;
  };
  const episodes: Episode[] = [];
  for (const [joined, group] of groups.entries()) {
    const touching = new Set<Episode>();
    for (const id of group.events)
      for (const episode of of.get(id) ?? []) touching.add(current(episode));
    for (const id of group.forkPoint) {
      const owners = [...(of.get(id) ?? []), ...(ended.get(id) ?? [])];
      if (owners.length > 0 && (await wentOn(group, id)))
        for (const episode of owners) touching.add(current(episode));
    }
    let target: Episode | undefined;
    for (const episode of touching)
      if (!target || episode.members.size > target.members.size)
        target = episode;
    if (!target) {
      target = { events: new Set(), members: new Set(), last: group, joined };
      episodes.push(target);
    }
    for (const episode of touching) {
      if (episode === target) continue;
      episode.events.forEach((id) => target.events.add(id));
      episode.members.forEach((id) => target.members.add(id));
      episode.into = target;
    }
    const own = (map: Map<EventId, Episode[]>, id: EventId) => {
      target.members.add(id);
      const owners = map.get(id);
      if (!owners) map.set(id, [target]);
      // An id can belong to two episodes (a merge that ended one group and is
      // linked by another): each is looked in.
      else if (!owners.some((e) => current(e) === target)) owners.push(target);
    };
    for (const id of group.events) own(of, id);
    if (group.resolvedBy) own(ended, group.resolvedBy);
    group.events.forEach((id) => target.events.add(id));
    target.last = group;
    target.joined = joined;
  }
  return episodes
    .filter((episode) => !episode.into)
    .sort((a, b) => a.joined - b.joined)
    .map(({ events, last }) => ({ events, last }));
}

/**
 * Whether `state` holds an event: a test made now, for events stored before now
 * (DocStates.heldBy).
 */
export type HeldBy = (
  state: DocState,
) => Promise<(id: EventId) => boolean | Promise<boolean>>;

/**
 * Field conflicts, text episodes and deletions made while others edited, of a
 * document as `state` holds it, oldest first.
 */
export async function documentConflicts(
  log: Log,
  stream: string,
  state: DocState,
  heldBy: HeldBy,
): Promise<DocConflict[]> {
  // The log's concurrent groups whose events the state holds.
  const held = await heldBy(state);
  const groups: Conflict[] = [];
  for (const c of await log.conflicts(stream)) {
    let every = true;
    for (const id of c.events) if (!(every = await held(id))) break;
    if (every) groups.push(c);
  }
  const all = [
    ...(await fieldConflicts(log, stream, state)),
    ...(await textEpisodes(log, stream, state, groups)),
    ...(await deleteConflicts(log, stream, state, groups)),
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
