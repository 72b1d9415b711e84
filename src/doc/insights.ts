import { authorOf } from '../log/event-filter.ts';
import { isoOf, timeOf } from '../log/event-time.ts';
import { addHead, dropNamed, FEW } from '../log/heads.ts';
import type { LogEvent, Projection } from '../log/types.ts';
import { countOnce } from './authorship.ts';
import { EPISODE_PAUSE_MS } from './doc-conflicts.ts';
import {
  DELETED_FIELD,
  DOC_PREFIX,
  FIELD_SET,
  VERSION_RESTORED,
  docIdOf,
  documentChangeOf,
  textUpdateOf,
} from './doc-events.ts';
import { touchesOf } from './text-touches.ts';
import {
  emptyScan,
  ITEM_STRIDE,
  scanUpdate,
  type ScannedUpdate,
} from './update-scan.ts';
import { writerKey, writerNames } from './writers.ts';

const HOUR = 3_600_000;

/** A field's live values (id to writer time), and its open conflict's episode, or -1. */
interface FieldValues {
  live: Map<string, number>;
  conflict: number;
  /**
   * The sets of values a write replaced, each as its ids sorted and joined: two
   * writes that replaced the same values (two writers resolving one conflict at
   * once) resolved one conflict, as the document's registers list it.
   */
  resolved: Set<string>;
}

/**
 * Live values of a field whose times a register conflict's span is read from, at
 * most: a field has two or three, but another replica may write thousands at once
 * (each naming none), and reading them all at every write would cost their square.
 */
const SPAN_VALUES = 64;

/** What the insights keep of one document, folded from its events. */
export interface DocumentInsights {
  events: number;
  /** Per hour (its first ms, UTC), per writer (by number, `writers`): events written. */
  edits: Map<number, number[]>;
  /**
   * Every writer of the document, first seen first, as two strings each: its
   * replica (actor) and the label it wrote under. Writer n is at 2n and 2n + 1. Two
   * devices may both write as "Tab 1": they are two writers, as in the timeline
   * and the history (writers.ts).
   */
  writers: string[];
  /**
   * The last event's writer, or -1: a writer writes many events in a row, and
   * looked for in `writers` each time that search was a tenth of the fold.
   */
  lastWriter: number;
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
  /**
   * The stream's heads as folded so far: a few, found by comparing ids. A Map
   * hashed every event's id once, a fresh string each: in the browser that was
   * the costliest line of the fold (about 1 µs an event).
   */
  heads: Head[];
  /**
   * The episode under way while the stream has more than one head. Set to
   * undefined when it ends, never deleted: a `delete` turns the object into a
   * dictionary, and every later look-up of the fold into a slow one.
   */
  open: OpenEpisode | undefined;
  /**
   * The last episode, ended: a fork from one of its last events, or from the event
   * that ended it, within EPISODE_PAUSE_MS takes it up again, as the document's
   * timeline groups them (`episodesOf`): two people typing on together fork and
   * merge every few hundred milliseconds, and that is one episode, not one per fork.
   */
  closed: OpenEpisode | undefined;
  episodes: Episodes;
  /**
   * Per field, its live values as the document's registers keep them (each write
   * replaces those it names), and the register conflict open while it has two or
   * more: what the timeline lists as field conflicts.
   */
  fields: Map<string, FieldValues>;
  /**
   * What the last RECENT events (text edits or not) touched, in fold order: an
   * episode opens at its first event to leave a head unnamed, and the other side
   * may have typed since the fork point before that.
   */
  recent: Recent;
}

/**
 * Touches of several events in columns of numbers, not an object each: the state is
 * copied at every restart point and checkpoint of the projection, and many small
 * values made that copy several times slower. Ids are strings, at most 2 × RECENT
 * per document: kept in one string, each edit made it a longer rope, which every
 * search for a parent copied flat again (a 3 KB copy per episode opened).
 */
interface Recent {
  /** How many edits are kept. */
  count: number;
  /** Their ids, oldest first. */
  ids: string[];
  /** Per edit, two numbers: its writer (the document's `writers`), where its spans end. */
  edits: Column;
  /** What the edits touched, as [client, from, to) triples (`touchesOf`). */
  spans: Column;
  /** Per edit, its writer time (ms). */
  times: number[];
}

/**
 * A growable column of numbers: the first `length` of `values`. A typed array is
 * copied whole at once, where an array of numbers is copied number by number.
 */
interface Column {
  length: number;
  values: Float64Array;
}

const column = (): Column => ({ length: 0, values: new Float64Array(16) });

/** Room in `c` for `more` numbers after its `length`. */
function reserve(c: Column, more: number): Float64Array {
  if (c.length + more > c.values.length) {
    const values = new Float64Array(
      Math.max(2 * c.values.length, c.length + more),
    );
    values.set(c.values.subarray(0, c.length));
    c.values = values;
  }
  return c.values;
}

function push3(c: Column, a: number, b: number, d: number): void {
  const v = reserve(c, 3);
  v[c.length] = a;
  v[c.length + 1] = b;
  v[c.length + 2] = d;
  c.length += 3;
}

/**
 * Text edits whose touches are kept, at least, for an episode that opens later.
 * When one side wrote more than this many edits after the fork point, before the
 * other's first (a device offline for long), only the last of them are compared. Few, since the
 * state is copied at every restart point of the projection (every 2,000 events).
 */
const RECENT = 64;

/** Separate ranges kept per writer and Yjs client in an episode: typing makes a few. */
const MAX_SPANS = 256;

/**
 * A document's stretches of concurrency, each from the first event written without
 * seeing another head to the event that saw them all again (DESIGN §3, §7), in the
 * order they opened. In columns of numbers, not an object each: a long history has
 * thousands, and the state is copied at every restart point and checkpoint (as
 * objects, they were two thirds of that copy).
 */
export interface Episodes {
  count: number;
  /**
   * Per episode, three times (ms): the earliest and latest writer time of its
   * concurrent events, and the time of the event that merged every side (NaN while
   * none has).
   */
  times: Float64Array;
  /** Per episode: its kind bits (REGISTER, or TEXT and maybe OVERLAPPING), or none. */
  kinds: Uint8Array;
}

/**
 * A register conflict: concurrent writes of one field, from when a field has two
 * live values to the write that replaces them all. Not a stretch of the stream's
 * forks: a rename beside typing forks the stream and is no conflict, and two
 * values stay live after the forks are merged until someone picks one.
 */
const REGISTER = 1;
/**
 * With TEXT: two writers touched the same or neighbouring characters (`touchesOf`).
 */
const OVERLAPPING = 2;
/**
 * A stretch of forks in which two or more writers edited the text: a text episode,
 * as the timeline lists them. A stretch with no such edits (one side renamed, the
 * other typed) is kept, for the forks that may join it, but listed as nothing.
 */
const TEXT = 4;

/** A head of a document's stream: its id and its time (ms). */
interface Head {
  id: string;
  time: number;
}

/** The episode under way in a document. */
export interface OpenEpisode {
  /** Its place in the document's `episodes`. */
  index: number;
  /**
   * Until found overlapping: per writer, per Yjs client, the clock ranges its
   * events touched, merged.
   */
  touched?: Map<number, Map<number, [number, number][]>> | undefined;
  /**
   * Its last events (at most 2 × RECENT) and, once it has ended, the event that
   * ended it: their ids, and their writer times (ms) in `times`, for a fork from
   * one of them (`takenUp`).
   */
  members: string[];
  times: number[];
  /**
   * Once it has ended: the events folded since, each of which saw its end (up to
   * 2 × RECENT; undefined past that, or while under way). A fork from none of them
   * and none of its members forked from before it ended without seeing that end,
   * so it is concurrent with the episode's events: the timeline's groups share
   * them, and it is the same episode, whatever the time.
   */
  since: string[] | undefined;
  /**
   * Once it has ended: the earliest writer time (ms) of the events since (NaN for
   * none yet), kept past `since`'s bound. A fork from a member has those events on
   * its other side, and the timeline joins it to the episode when any event of its
   * sides was written within EPISODE_PAUSE_MS of that member (`takenUp`).
   */
  sinceFrom: number;
  /**
   * Once it has ended: the sides its end merged (that event's parents). A fork
   * from its members that names them all saw the whole episode; one that does not
   * is concurrent with an event of it, which the timeline's groups then share.
   */
  endParents: string[] | undefined;
  /**
   * The first recent event (`Recent`) it has taken in: the edits from there on
   * are compared. A fork from further back brings those before it in.
   */
  coveredFrom: string | undefined;
}

/** The insights projection's state: per document. */
export type InsightsState = Map<string, DocumentInsights>;

/**
 * The projection behind the Insights view (DESIGN §11 `project`, over `doc/`): per
 * document, events per hour and author, and the text's size over time. The size
 * is counted from each event's Yjs update (characters inserted, less those deleted
 * for the first time), not by applying it: an update is scanned (`scanUpdate`),
 * never folded into a Y.Doc. Events come from other replicas: one that does not
 * decode still counts as an edit, and changes no size.
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
          writers: [],
          lastWriter: -1,
          size: 0,
          sizes: [],
          insertedIds: new Map(),
          deletedIds: new Map(),
          heads: [],
          open: undefined,
          closed: undefined,
          episodes: {
            count: 0,
            times: new Float64Array(3 * 4),
            kinds: new Uint8Array(4),
          },
          fields: new Map(),
          recent: {
            count: 0,
            ids: [],
            edits: column(),
            spans: column(),
            times: [],
          },
        };
        state.set(docId, doc);
      }
      doc.events++;
      const at = timeOf(event.time);
      const hour = Number.isFinite(at) ? Math.floor(at / HOUR) * HOUR : 0;
      const writer = writerOf(doc, event.actor, authorOf(event));
      let byWriter = doc.edits.get(hour);
      if (!byWriter) doc.edits.set(hour, (byWriter = []));
      while (byWriter.length <= writer) byWriter.push(0);
      byWriter[writer]!++;
      const update = scannedUpdate(event);
      followHeads(doc, event, at, writer, update);
      followFields(doc, event, at);
      const change = update ? sizeChange(update, doc) : 0;
      if (change !== 0) {
        doc.size += change;
        const last = doc.sizes[doc.sizes.length - 1];
        if (last && last[0] === hour) last[1] = doc.size;
        else doc.sizes.push([hour, doc.size]);
      }
      return state;
    },
    snapshot: {
      // v16: a restore whose text does not read writes no field, as in the
      // document (`documentChangeOf`). v15: an episode begins at the first edit of the sides the event that
      // opened it had not seen (`recent.times`). v14: an overlapping text
      // episode by the timeline's definition (text-touches.ts): typing at the
      // text's start or end touches it. v13: a write replacing values another
      // write replaced already resolves
      // nothing (one conflict resolved twice at once was counted twice). v12: a
      // fork from the last episode joins it if an event since its end
      // went on within the pause (`sinceFrom`). v11: register
      // conflicts from the fields' live values, text episodes only where two
      // writers typed (`fields`, TEXT).
      name: 'insights.v16',
      every: 2000,
      encode: (state) => {
        const out = new Map<string, PackedInsights>();
        for (const [docId, doc] of state) out.set(docId, packed(doc));
        return out;
      },
      decode: (value) => {
        const state: InsightsState = new Map();
        for (const [docId, doc] of value as Map<string, PackedInsights>)
          state.set(docId, unpacked(doc));
        return state;
      },
    },
  };
}

/**
 * `doc` with its columns cut to what they hold: each grows by doubling, so up to
 * half of it is room for later (a third of the state at 260k events), which a
 * checkpoint or a restart copy would otherwise store and read again. The rest is
 * shared: the copy is cloned at once.
 */
function withoutSpareRoom(doc: DocumentInsights): DocumentInsights {
  const { episodes, recent } = doc;
  const filled = ({ length, values }: Column): Column => ({
    length,
    values: values.slice(0, length),
  });
  return {
    ...doc,
    episodes: {
      count: episodes.count,
      times: episodes.times.slice(0, 3 * episodes.count),
      kinds: episodes.kinds.slice(0, episodes.count),
    },
    recent: {
      ...recent,
      edits: filled(recent.edits),
      spans: filled(recent.spans),
    },
  };
}

/**
 * A document's insights as a checkpoint (or a restart copy) holds them: its columns
 * cut to what they hold (`withoutSpareRoom`), the episodes' times as differences
 * (`packTimes`), clocks and spans as 32-bit integers where they fit. At 260k events
 * the checkpoint was 2.07 MB, its times 0.98 MB of it and the deleted clocks 0.59 MB;
 * reopening reads it whole, and the projection writes it every 2,000 events.
 */
interface PackedInsights extends Omit<
  DocumentInsights,
  'insertedIds' | 'deletedIds' | 'episodes' | 'recent'
> {
  insertedIds: Map<number, Uint32Array | number[]>;
  deletedIds: Map<number, Uint32Array | number[]>;
  episodes: { count: number; times: PackedTimes; kinds: Uint8Array };
  recent: Omit<Recent, 'edits' | 'spans'> & {
    edits: Uint32Array | Float64Array;
    spans: Uint32Array | Float64Array;
  };
}

function packed(doc: DocumentInsights): PackedInsights {
  const { episodes, recent, ...rest } = withoutSpareRoom(doc);
  return {
    ...rest,
    insertedIds: packClocks(doc.insertedIds),
    deletedIds: packClocks(doc.deletedIds),
    episodes: { ...episodes, times: packTimes(episodes.times) },
    recent: {
      ...recent,
      edits: asUint32(recent.edits.values),
      spans: asUint32(recent.spans.values),
    },
  };
}

function unpacked(doc: PackedInsights): DocumentInsights {
  const { episodes, recent } = doc;
  const column = (values: Uint32Array | Float64Array): Column => ({
    length: values.length,
    values: Float64Array.from(values),
  });
  // Field by field, in the order a new document's are: one shape for the fold.
  return {
    events: doc.events,
    edits: doc.edits,
    writers: doc.writers,
    lastWriter: doc.lastWriter,
    size: doc.size,
    sizes: doc.sizes,
    insertedIds: unpackClocks(doc.insertedIds),
    deletedIds: unpackClocks(doc.deletedIds),
    heads: doc.heads,
    open: doc.open,
    closed: doc.closed,
    episodes: {
      count: episodes.count,
      times: unpackTimes(episodes.times),
      kinds: episodes.kinds,
    },
    fields: doc.fields,
    recent: {
      count: recent.count,
      ids: recent.ids,
      edits: column(recent.edits),
      spans: column(recent.spans),
      times: recent.times,
    },
  };
}

/** `values` as 32-bit unsigned integers when every one is one, else as they are. */
function asUint32<T extends ArrayLike<number>>(values: T): Uint32Array | T {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v >= 0 && v <= 0xffffffff && Number.isInteger(v))) return values;
  }
  return Uint32Array.from(values);
}

const packClocks = (ids: Map<number, number[]>) =>
  new Map([...ids].map(([client, ranges]) => [client, asUint32(ranges)]));

const unpackClocks = (ids: Map<number, Uint32Array | number[]>) =>
  new Map([...ids].map(([client, ranges]) => [client, Array.from(ranges)]));

/**
 * Episode times as `base` and, per time, its difference from the last time before
 * it that is a number (NaN, an episode not yet merged or a time that did not parse,
 * as NO_TIME): times of one document are close, so they fit 32 bits. Or the times
 * as they are, when one difference does not fit.
 */
export type PackedTimes = Float64Array | { base: number; deltas: Int32Array };
const NO_TIME = -0x80000000;

export function packTimes(times: Float64Array): PackedTimes {
  const deltas = new Int32Array(times.length);
  let last = NaN;
  let base = NaN;
  for (let i = 0; i < times.length; i++) {
    const t = times[i]!;
    if (t !== t) {
      deltas[i] = NO_TIME;
      continue;
    }
    // A sum of deltas never gives -0 back: such a column stays doubles.
    if (Object.is(t, -0)) return times;
    if (last !== last) base = last = t;
    const d = t - last;
    if (!(Number.isInteger(d) && d > NO_TIME && d <= 0x7fffffff)) return times;
    deltas[i] = d;
    last = t;
  }
  return { base, deltas };
}

export function unpackTimes(times: PackedTimes): Float64Array {
  if (times instanceof Float64Array) return times;
  const { base, deltas } = times;
  const out = new Float64Array(deltas.length);
  let last = base;
  for (let i = 0; i < deltas.length; i++) {
    const d = deltas[i]!;
    out[i] = d === NO_TIME ? NaN : (last += d);
  }
  return out;
}

/**
 * Keeps the stream's heads as the fold goes (canonical order is topological): an
 * event that leaves a head unnamed was written without seeing it, so the stream
 * forked; one that leaves a single head merged every side. `time`: the event's
 * time (ms); `writer`: its writer (`writerOf`); `update`: its text update,
 * scanned, if it is a text edit.
 */
function followHeads(
  doc: DocumentInsights,
  event: LogEvent,
  time: number,
  writer: number,
  update: ScannedUpdate | undefined,
): void {
  const { heads, episodes } = doc;
  dropNamed(heads, event.parents, idOfHead);
  // The heads this event left unnamed: written without seeing them.
  const unseen = heads.length;
  addHead(heads, { id: event.id, time }, idOfHead);
  // An event that saw every side ends the episode: it is no side of it, so what
  // it typed does not make the episode a text one, nor an overlapping one.
  const mergesAll = unseen === 0 && heads.length === 1;
  if (unseen > 0) {
    const going = doc.open;
    // The heads' times: under way, the episode has every other head's already
    // (taken in as it opened or as each came), so only this event's is new, and
    // a stream of thousands of heads costs no scan of them at each event. Opening,
    // the stream had one head (an episode is under way while it has more).
    let from = time;
    let to = time;
    if (!going)
      for (const head of heads) {
        from = earliest(from, head.time);
        to = latest(to, head.time);
      }
    const episode = going ?? takenUp(doc.closed, event, from);
    if (episode) {
      const at = 3 * episode.index;
      const { times } = episodes;
      times[at] = earliest(times[at]!, from);
      times[at + 1] = latest(times[at + 1]!, to);
      // Under way again, if it had ended: not merged any more.
      times[at + 2] = NaN;
    }
    const opened: OpenEpisode = going ??
      episode ?? {
        index: addEpisode(episodes, from, to, 0),
        touched: new Map(),
        members: [],
        times: [],
        since: undefined,
        sinceFrom: NaN,
        endParents: undefined,
        coveredFrom: undefined,
      };
    const prior = doc.closed;
    if (
      going &&
      prior &&
      (!sawEnd(prior, going, event) ||
        // Its sides began by this episode's start at the latest.
        wentOn(
          prior,
          event,
          earliest(from, episodes.times[3 * going.index]!),
        ) === true)
    ) {
      // Forked from before the last episode ended, and saw neither that end nor
      // this episode's events: concurrent with both, which the timeline's groups
      // then share. Or forked from the last episode (its end, say) while its
      // writers went on: the timeline joins both to it. One episode: the last is
      // taken into this one.
      const [at, into] = [3 * prior.index, 3 * going.index];
      const { times, kinds } = episodes;
      times[into] = earliest(times[into]!, times[at]!);
      times[into + 1] = latest(times[into + 1]!, times[at + 1]!);
      kinds[going.index]! |= kinds[prior.index]!;
      kinds[prior.index] = 0;
      joinTouched(kinds, going, prior);
      doc.closed = undefined;
    }
    if (!going) {
      doc.open = opened;
      // Taken up again, it is no longer the last ended; a new one keeps that one
      // as the last, which a fork from before its end joins to this one.
      if (opened === prior) doc.closed = undefined;
      // The heads it did not see are of the episode too (this event joins below).
      for (let i = 0; i < heads.length - 1; i++) {
        opened.members.push(heads[i]!.id);
        opened.times.push(heads[i]!.time);
      }
    }
    // The other sides' edits this one did not see: the recent events after the
    // last it saw (before the fork the stream had one head, so they form a line),
    // up to those the episode has taken in already. A writer who saw neither side
    // forks from before the episode began.
    const { recent } = doc;
    const { edits, spans } = recent;
    const seen = lastSeen(recent, event) + 1;
    const covered = going
      ? Math.max(0, recent.ids.lastIndexOf(going.coveredFrom ?? ''))
      : recent.count;
    let earliestUnseen = NaN;
    for (let i = seen; i < covered; i++) {
      touchEpisode(
        doc,
        edits.values[2 * i]!,
        spans.values,
        i === 0 ? 0 : edits.values[2 * i - 1]!,
        edits.values[2 * i + 1]!,
      );
      earliestUnseen = earliest(earliestUnseen, recent.times[i]!);
    }
    // The other side's edits since the fork are of the episode: it began at the
    // first of them, not at this one (a device offline for minutes that typed on
    // sorts all its edits first; the episode was dated by the other's, QA pass 9).
    const at = 3 * opened.index;
    episodes.times[at] = earliest(episodes.times[at]!, earliestUnseen);
    if (!going || seen < covered)
      opened.coveredFrom = recent.ids[seen] ?? event.id;
  }
  {
    // Every event, text edit or not (one that touched nothing): a fork from a
    // rename is found to have seen the edits before the rename.
    const { recent } = doc;
    const { spans, edits } = recent;
    const from = spans.length;
    if (update)
      touchesOf(update, (client, start, end) =>
        push3(spans, client, start, end),
      );
    recent.ids.push(event.id);
    recent.times.push(time);
    const e = reserve(edits, 2);
    e[edits.length++] = writer;
    e[edits.length++] = spans.length;
    recent.count++;
    if (!mergesAll) touchEpisode(doc, writer, spans.values, from, spans.length);
    forgetOldest(recent);
  }
  const open = doc.open;
  if (open) {
    open.members.push(event.id);
    open.times.push(time);
    if (open.members.length > 2 * RECENT) {
      open.members.splice(0, RECENT);
      open.times.splice(0, RECENT);
    }
    if (mergesAll) {
      episodes.times[3 * open.index + 2] = time;
      open.since = [];
      open.sinceFrom = NaN;
      open.endParents = event.parents;
      doc.closed = open;
      doc.open = undefined;
    }
  } else if (doc.closed) {
    const { closed } = doc;
    closed.sinceFrom = earliest(closed.sinceFrom, time);
    const { since } = closed;
    if (since) {
      since.push(event.id);
      if (since.length > 2 * RECENT) closed.since = undefined;
    }
  }
}

const idOfHead = (head: Head) => head.id;

/**
 * Whether `event`, joining the episode under way, saw the end of the one before
 * (`prior`): it names that end, an event since, or one of this episode's. Unknown
 * (`since` gone past its bound) counts as seen.
 */
function sawEnd(
  prior: OpenEpisode,
  going: OpenEpisode,
  { parents }: LogEvent,
): boolean {
  const { since, members } = prior;
  if (!since) return true;
  const end = members[members.length - 1];
  return parents.some(
    (p) => p === end || since.includes(p) || going.members.includes(p),
  );
}

/**
 * Keeps each field's live values as the document's registers do (a write replaces
 * those it names; src/doc/registers.ts), and so its register conflicts as the
 * timeline lists them: one opens when a field has two or more live values, and the
 * write that replaces two or more resolves it (a value may stay live beside that
 * write, and the next conflict opens at once). Deletion's conflicts are listed
 * while open only, as the timeline lists them. A malformed write from another
 * replica changes no field here, as it changes none in the document.
 */
function followFields(
  doc: DocumentInsights,
  event: LogEvent,
  time: number,
): void {
  if (event.type !== FIELD_SET && event.type !== VERSION_RESTORED) return;
  let writes;
  try {
    ({ writes } = documentChangeOf(event));
  } catch {
    return;
  }
  const { episodes } = doc;
  for (const { field, supersedes } of writes) {
    let values = doc.fields.get(field);
    if (!values)
      doc.fields.set(
        field,
        (values = { live: new Map(), conflict: -1, resolved: new Set() }),
      );
    const { live } = values;
    // A write that replaced the very values another write replaced (two writers
    // resolving the same conflict at once) resolves nothing more.
    let resolves = supersedes.length >= 2;
    if (resolves) {
      const key = [...supersedes].sort().join(' ');
      resolves = !values.resolved.has(key);
      values.resolved.add(key);
    }
    for (const id of supersedes) live.delete(id);
    if (resolves) {
      const at = values.conflict;
      const index = at >= 0 ? at : addEpisode(episodes, time, time, REGISTER);
      episodes.times[3 * index + 2] = time;
      if (field === DELETED_FIELD) episodes.kinds[index] = 0;
      values.conflict = -1;
    }
    live.set(event.id, time);
    if (live.size < 2) continue;
    if (values.conflict >= 0) {
      const at = 3 * values.conflict;
      episodes.times[at] = earliest(episodes.times[at]!, time);
      episodes.times[at + 1] = latest(episodes.times[at + 1]!, time);
      continue;
    }
    let [from, to, n] = [NaN, NaN, 0];
    for (const t of live.values()) {
      from = earliest(from, t);
      to = latest(to, t);
      if (++n === SPAN_VALUES) break;
    }
    values.conflict = addEpisode(episodes, from, to, REGISTER);
  }
}

/** The earlier of two times, passing over NaN (a time no Date parses). */
const earliest = (a: number, b: number) => (a <= b || b !== b ? a : b);
/** The later of two times, passing over NaN. */
const latest = (a: number, b: number) => (a >= b || b !== b ? a : b);

/** Adds an episode; returns its index. */
function addEpisode(
  episodes: Episodes,
  from: number,
  to: number,
  kind: number,
): number {
  const index = episodes.count++;
  if (3 * episodes.count > episodes.times.length) {
    // A snapshot's columns have no room to spare (`withoutSpareRoom`), even none.
    const room = Math.max(2 * episodes.count, 4);
    const times = new Float64Array(3 * room);
    times.set(episodes.times);
    episodes.times = times;
    const kinds = new Uint8Array(room);
    kinds.set(episodes.kinds);
    episodes.kinds = kinds;
  }
  episodes.times.set([from, to, NaN], 3 * index);
  episodes.kinds[index] = kind;
  return index;
}

/** `actor` writing as `author`: its number among `doc.writers`, added if new. */
function writerOf(
  doc: DocumentInsights,
  actor: string,
  author: string,
): number {
  const { writers } = doc;
  const last = 2 * doc.lastWriter;
  // Mostly the same strings as the last event's: compared by reference first.
  if (last >= 0 && writers[last] === actor && writers[last + 1] === author)
    return doc.lastWriter;
  let w = 0;
  while (
    2 * w < writers.length &&
    !(writers[2 * w] === actor && writers[2 * w + 1] === author)
  )
    w++;
  if (2 * w === writers.length) writers.push(actor, author);
  return (doc.lastWriter = w);
}

/** The index of the last kept edit `event` names as a parent, or -1. */
function lastSeen({ ids }: Recent, { parents }: LogEvent): number {
  const named = parents.length > FEW ? new Set(parents) : undefined;
  // From the end: a parent is nearly always one of the last edits.
  for (let i = ids.length - 1; i >= 0; i--)
    if (named ? named.has(ids[i]!) : parents.includes(ids[i]!)) return i;
  return -1;
}

/**
 * `closed` if `event`, which forks the stream, forked from one of its members (its
 * last events, or the event that ended it) and its sides began (at `from`, the
 * earliest writer time of the heads, or of an event since the end: `sinceFrom`)
 * within EPISODE_PAUSE_MS after that member was written, as the timeline's
 * `episodesOf` joins a group to an episode. A side whose clock ran behind (`from`
 * before the member) joins too, as a causal clock would have it. Times that do
 * not parse never join that way. Or if `event` forked from before `closed` ended
 * and did not see that end (`since`): a third writer's, say, who saw neither side.
 */
function takenUp(
  closed: OpenEpisode | undefined,
  event: LogEvent,
  from: number,
): OpenEpisode | undefined {
  if (!closed) return undefined;
  const { parents } = event;
  const { since, members } = closed;
  const went = wentOn(closed, event, from);
  if (went) return closed;
  if (went === false) {
    // From its members, beyond the pause: a fork of its own if it saw every side
    // the end merged (or the end itself), else it shares the one it did not see.
    const { endParents } = closed;
    if (!endParents || parents.includes(members[members.length - 1]!))
      return undefined;
    return endParents.every((p) => parents.includes(p)) ? undefined : closed;
  }
  if (!since) return undefined;
  return parents.some((parent) => since.includes(parent)) ? undefined : closed;
}

/**
 * Whether `event` forked from a member of `closed` (one of its last events, or
 * the event that ended it) and its sides began (at `from`, or at an event since
 * the end: `sinceFrom`; at the end too, unless a parent) within EPISODE_PAUSE_MS
 * after that member was written: the timeline's `episodesOf` joins such a group
 * to the episode. A side whose clock ran behind joins too. False: forked from a
 * member, beyond the pause; undefined: from none.
 */
function wentOn(
  closed: OpenEpisode,
  { parents }: LogEvent,
  from: number,
): boolean | undefined {
  const { members, times } = closed;
  const last = members.length - 1;
  let began = earliest(from, closed.sinceFrom);
  if (!parents.includes(members[last]!)) began = earliest(began, times[last]!);
  let fromMember: false | undefined;
  for (const parent of parents) {
    const i = members.lastIndexOf(parent);
    if (i < 0) continue;
    if (began - times[i]! <= EPISODE_PAUSE_MS) return true;
    fromMember = false;
  }
  return fromMember;
}

/**
 * Past twice RECENT edits, drops all but the last RECENT at once (dropping one per
 * event moved every kept span along each time), and the writers no kept edit names.
 */
function forgetOldest(recent: Recent): void {
  if (recent.count <= 2 * RECENT) return;
  const drop = recent.count - RECENT;
  const { edits, spans } = recent;
  const cut = edits.values[2 * drop - 1]!;
  recent.ids.splice(0, drop);
  recent.times.splice(0, drop);
  spans.values.copyWithin(0, cut, spans.length);
  // What is past the end now is stale: nothing may read it as a touch.
  spans.values.fill(NaN, spans.length - cut, spans.length);
  spans.length -= cut;
  edits.values.copyWithin(0, 2 * drop, edits.length);
  edits.length -= 2 * drop;
  recent.count = RECENT;
  for (let i = 1; i < edits.length; i += 2) edits.values[i]! -= cut;
}

/**
 * Adds an edit's touches (`spans` from..to) to the document's open episode, if
 * any, noting when they meet another writer's.
 */
function touchEpisode(
  doc: DocumentInsights,
  writer: number,
  spans: Float64Array,
  start: number,
  end: number,
): void {
  const episode = doc.open;
  const touched = episode?.touched;
  if (!touched) return; // none open, or overlapping already: nothing more to learn
  if (start === end) return; // no text edit
  for (let i = start; i < end; i += 3) {
    const client = spans[i]!;
    const from = spans[i + 1]!;
    const to = spans[i + 2]!;
    for (const [other, byClient] of touched) {
      if (other === writer) continue;
      const ranges = byClient.get(client);
      if (ranges)
        for (const [a, b] of ranges)
          if (a < to && from < b) {
            doc.episodes.kinds[episode.index]! |= TEXT | OVERLAPPING;
            episode.touched = undefined;
            return;
          }
    }
  }
  let mine = touched.get(writer);
  if (!mine) {
    touched.set(writer, (mine = new Map()));
    if (touched.size >= 2) doc.episodes.kinds[episode.index]! |= TEXT;
  }
  for (let i = start; i < end; i += 3)
    addRange(mine, spans[i]!, spans[i + 1]!, spans[i + 2]!);
}

/**
 * What `prior`'s writers touched, taken into `going`, which it joins: two writers
 * who typed, one in each (each alone in their own), make the episode a text one,
 * as the timeline has it; ranges of different writers that meet, an overlapping
 * one. An episode found overlapping already has no `touched` left, and its kind
 * was taken with it.
 */
function joinTouched(
  kinds: Uint8Array,
  going: OpenEpisode,
  prior: OpenEpisode,
): void {
  const into = going.touched;
  const from = prior.touched;
  if (!into || !from) {
    going.touched = undefined;
    return;
  }
  for (const [writer, byClient] of from)
    for (const [client, ranges] of byClient)
      for (const [a, b] of ranges)
        for (const [other, theirs] of into) {
          if (other === writer) continue;
          for (const [c, d] of theirs.get(client) ?? [])
            if (c < b && a < d) {
              kinds[going.index]! |= TEXT | OVERLAPPING;
              going.touched = undefined;
              return;
            }
        }
  for (const [writer, byClient] of from) {
    let mine = into.get(writer);
    if (!mine) into.set(writer, (mine = new Map()));
    for (const [client, ranges] of byClient)
      for (const [a, b] of ranges) addRange(mine, client, a, b);
  }
  if (into.size >= 2) kinds[going.index]! |= TEXT;
}

/** Adds [from, to) to `client`'s ranges, merged with one it meets (typing runs on). */
function addRange(
  byClient: Map<number, [number, number][]>,
  client: number,
  from: number,
  to: number,
): void {
  let ranges = byClient.get(client);
  if (!ranges) byClient.set(client, (ranges = []));
  if (ranges.length >= MAX_SPANS) return; // scattered beyond reason: see touchesOf
  for (const r of ranges)
    if (r[0] <= to && from <= r[1]) {
      r[0] = Math.min(r[0], from);
      r[1] = Math.max(r[1], to);
      return;
    }
  ranges.push([from, to]);
}

/** Where each event's update is scanned into: one at a time, read before the next. */
const scanned: ScannedUpdate = emptyScan();

/**
 * An event's text update, scanned (into `scanned`, valid until the next call);
 * undefined for other events and ones that do not decode.
 */
function scannedUpdate(event: LogEvent): ScannedUpdate | undefined {
  try {
    const update = textUpdateOf(event);
    return update ? scanUpdate(update, scanned) : undefined;
  } catch {
    return undefined;
  }
}

/** Characters an event's text update is first to insert, less those it is first to delete. */
function sizeChange(
  { items, deletes }: ScannedUpdate,
  { insertedIds, deletedIds }: DocumentInsights,
): number {
  let change = 0;
  for (let i = 0; i < items.length; i += ITEM_STRIDE)
    if (items[i + 3] === 1) {
      const client = items[i]!;
      const clock = items[i + 1]!;
      change += countOnce(
        countedOf(insertedIds, client),
        clock,
        clock + items[i + 2]!,
      );
    }
  for (let i = 0; i < deletes.length; i += 3) {
    const clock = deletes[i + 1]!;
    change -= countOnce(
      countedOf(deletedIds, deletes[i]!),
      clock,
      clock + deletes[i + 2]!,
    );
  }
  return change;
}

function countedOf(all: Map<number, number[]>, client: number): number[] {
  let counted = all.get(client);
  if (!counted) all.set(client, (counted = []));
  return counted;
}

/** The kinds of conflict the insights tell apart. */
export type ConflictKind =
  'register' | 'overlapping text' | 'auto-merged' | 'deletion';

/** One conflict as the insights plot it: one the document's timeline lists. */
export interface ConflictPoint {
  docId: string;
  /** When its first concurrent event was written. */
  time: string;
  /**
   * 'register': a field written concurrently, two or more values live; else two
   * or more writers edited the text concurrently and Yjs merged them:
   * 'overlapping text' where two writers touched the same or neighbouring
   * characters (the merged result is worth a look), 'auto-merged' where not.
   */
  kind: ConflictKind;
  /**
   * As the timeline says it: a register or a deletion is unresolved until a write
   * replaces the values (or the delete); text is auto-merged, by Yjs, at once. The
   * insights called text "unresolved" while its sides were unmerged, where the
   * timeline beside them said "auto-merged" (QA pass 9).
   */
  state: 'unresolved' | 'resolved' | 'auto-merged';
  /**
   * From its last concurrent event to the one that resolved it (ms); for text, to
   * the first event written having seen every side (none while the stream is forked).
   */
  resolvedAfter?: number;
}

/** Everything the Insights view draws, for one document or the whole log. */
export interface InsightsData {
  /**
   * Per hour and writer: events written. `author` is the writer's name as the
   * timeline and the history show it (writerNames): its label, told apart from
   * another replica's writing under the same one.
   */
  edits: { hour: number; author: string; count: number }[];
  /** The text's size, in characters, at the end of each hour with an edit (summed over documents). */
  sizes: { hour: number; characters: number }[];
  conflicts: ConflictPoint[];
  /** Documents by events written, most first. */
  busiestDocuments: { docId: string; events: number }[];
  /** Events written in each hour of the day (0–23, UTC). */
  busiestHours: { hour: number; events: number }[];
}

/**
 * Of `docIds` (every document when undefined), those whose deletion may have been
 * made while another writer edited: deletion's field was written, and the stream
 * forked at some time. The timeline's `deleted` conflicts are found in the conflict
 * index, among the concurrent events around a delete (`deleteConflicts`); a fold
 * that keeps only recent events cannot tell whether a delete saw an edit made on
 * another side of a fork, so the insights take those conflicts from the document,
 * and only for these documents: most deleted documents had one writer.
 */
export function mayHaveDeletionConflicts(
  state: InsightsState,
  docIds?: readonly string[],
): string[] {
  return [...state]
    .filter(
      ([docId, doc]) =>
        (docIds === undefined || docIds.includes(docId)) &&
        doc.fields.has(DELETED_FIELD) &&
        doc.episodes.count > 0,
    )
    .map(([docId]) => docId);
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
  // Each document's writers as writerKeys: one writer may write in several.
  const keysOf = new Map(
    docs.map(([docId, doc]) => [
      docId,
      Array.from({ length: doc.writers.length / 2 }, (_, w) =>
        writerKey({
          actor: doc.writers[2 * w]!,
          author: doc.writers[2 * w + 1]!,
        }),
      ),
    ]),
  );
  const names = writerNames([...keysOf.values()].flat());
  for (const [docId, doc] of docs)
    for (const [hour, byWriter] of doc.edits)
      for (const [w, count] of byWriter.entries()) {
        if (count === 0) continue;
        const author = names.get(keysOf.get(docId)![w]!)!;
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
    conflicts: conflictsOf(docs),
    busiestDocuments: docs
      .map(([docId, doc]) => ({ docId, events: doc.events }))
      .sort((a, b) => b.events - a.events),
    busiestHours: hours.map((events, hour) => ({ hour, events })),
  };
}

/**
 * Every episode of `docs` as a point, by time (those without one first). Sorted by
 * the times as numbers, before they are written as text: a whole log has tens of
 * thousands.
 */
function conflictsOf(
  docs: readonly (readonly [string, DocumentInsights])[],
): ConflictPoint[] {
  const all: { from: number; docId: string; episodes: Episodes; i: number }[] =
    [];
  for (const [docId, { episodes }] of docs)
    for (let i = 0; i < episodes.count; i++) {
      // A stretch of forks no two writers typed in, or a deletion's settled conflict.
      if ((episodes.kinds[i]! & (REGISTER | TEXT)) === 0) continue;
      const from = episodes.times[3 * i]!;
      all.push({
        from: Number.isFinite(from) ? from : -Infinity,
        docId,
        episodes,
        i,
      });
    }
  // Two without a time compare as NaN, which a sort takes as equal.
  all.sort((a, b) => a.from - b.from);
  return all.map(({ from, docId, episodes: { times, kinds }, i }) => {
    const to = times[3 * i + 1]!;
    const resolvedAt = times[3 * i + 2]!;
    const kind = kinds[i]!;
    const after = resolvedAt - to;
    const point: ConflictPoint = {
      docId,
      time:
        from === -Infinity ? '' : (isoOf(from) ?? new Date(from).toISOString()),
      kind:
        kind & REGISTER
          ? 'register'
          : kind & OVERLAPPING
            ? 'overlapping text'
            : 'auto-merged',
      state:
        (kind & REGISTER) === 0
          ? 'auto-merged'
          : Number.isNaN(resolvedAt)
            ? 'unresolved'
            : 'resolved',
    };
    if (Number.isFinite(after)) point.resolvedAfter = Math.max(0, after);
    return point;
  });
}
