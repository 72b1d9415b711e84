import { orderFreeSnapshot, putQuietly } from '../log/snapshots.ts';
import { compareCanonical, type Store } from '../log/store.ts';
import type { EventId, LogEvent } from '../log/types.ts';

/** One event of a document's history, as the timeline draws it. */
export interface HistoryEntry {
  id: EventId;
  parents: EventId[];
  type: string;
  author: string;
  time: string;
  hlc: string;
}

/** An event as the history and the timeline show it: worker and page alike. */
export const historyEntryOf = (e: LogEvent): HistoryEntry => ({
  id: e.id,
  parents: e.parents,
  type: e.type,
  author: e.author ?? e.actor,
  time: e.time,
  hlc: e.hlc,
});

/**
 * Where `event` goes in `entries` (canonical order): the index of the first entry
 * that does not sort before it. Most events go at the end: checked first.
 */
export function placeOf(
  entries: readonly HistoryEntry[],
  event: Pick<LogEvent, 'hlc' | 'id'>,
): number {
  const last = entries[entries.length - 1];
  if (!last || compareCanonical(last, event) < 0) return entries.length;
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareCanonical(entries[mid]!, event) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A run of a document's history, and what a page needs to move through the rest. */
export interface HistoryPage {
  /** Events in the whole history. */
  total: number;
  /** Index, in the whole history, of the first entry here. */
  start: number;
  entries: HistoryEntry[];
  /** Everyone who wrote an event, in the order they first did. */
  authors: string[];
  /** The store position this page is as of: events delivered after it are new to it. */
  position: number;
}

/**
 * A version is how many events of the canonical order it holds (a prefix is closed
 * under parents). A jump names the version to go to, from version `from`.
 */
export type HistoryJump =
  /** The first version whose last event was written at or after `time` (ms). */
  | { to: 'time'; time: number }
  /** The next version (`step` 1) or the previous one (-1) ending in an event by `author`. */
  | { to: 'author'; author: string; from: number; step: 1 | -1 }
  /** The next or previous version where one of `groups` (a conflict's events) begins. */
  | { to: 'group'; groups: EventId[][]; from: number; step: 1 | -1 };

/** The most entries one page carries. */
export const MAX_PAGE = 2000;

/** The snapshot's name in its key: `${stream}\n${HISTORY_SNAPSHOT}`. */
export const HISTORY_SNAPSHOT = 'history';
/** Save a new snapshot once this many events were taken in past the last one. */
const HISTORY_SNAPSHOT_EVERY = 500;

/** An event id's length (EVENT_ID_PATTERN) and an HLC's: fixed, checked on the way in. */
const ID_LENGTH = 22;
const HLC_LENGTH = 17;

/**
 * A history index as a snapshot record holds it: columns, so that reading 100k
 * entries back is a few strings and typed arrays, not 100k objects, and an entry's
 * fields are cut from them when asked for. Ids and HLCs have fixed lengths and are
 * joined by a space; times (RFC 3339, free in length) are concatenated, each ending
 * where `timeEnds` says. A parent is named by its entry's index: it always sorts
 * before its child. (Version 1 split every column on reading: not read any more,
 * a cache, rebuilt from the events.)
 */
interface HistorySnapshotState {
  version: 2;
  ids: string;
  hlcs: string;
  times: string;
  timeEnds: Uint32Array;
  types: string[];
  typeOf: Uint32Array;
  authors: string[];
  authorOf: Uint32Array;
  parentCount: Uint32Array;
  parents: Uint32Array;
}

/** A snapshot's columns as read back: entries are made of them only when asked for. */
interface Columns {
  count: number;
  ids: string;
  hlcs: string;
  times: string;
  timeEnds: Uint32Array;
  types: string[];
  typeOf: Uint32Array;
  authors: string[];
  authorOf: Uint32Array;
  /** Entry i's parents are `parents[parentStart[i]]` up to `parentStart[i + 1]`. */
  parentStart: Uint32Array;
  parents: Uint32Array;
}

const idIn = (c: Columns, i: number) =>
  c.ids.slice(i * (ID_LENGTH + 1), i * (ID_LENGTH + 1) + ID_LENGTH);
const hlcIn = (c: Columns, i: number) =>
  c.hlcs.slice(i * (HLC_LENGTH + 1), i * (HLC_LENGTH + 1) + HLC_LENGTH);
const timeIn = (c: Columns, i: number) =>
  c.times.slice(i === 0 ? 0 : c.timeEnds[i - 1]!, c.timeEnds[i]!);

/**
 * A history's entries in canonical order: the columns of the snapshot it was read
 * from, then the entries taken in since. An entry object is made when asked for,
 * so reading 100k entries back makes none; putting one among the columns (an event
 * from the past, rare) turns them into entries first.
 */
class Entries {
  private tail: HistoryEntry[] = [];

  constructor(private cols?: Columns) {}

  private get colCount(): number {
    return this.cols?.count ?? 0;
  }

  get length(): number {
    return this.colCount + this.tail.length;
  }

  id(i: number): EventId {
    const c = this.cols;
    return c && i < c.count ? idIn(c, i) : this.tail[i - this.colCount]!.id;
  }

  hlc(i: number): string {
    const c = this.cols;
    return c && i < c.count ? hlcIn(c, i) : this.tail[i - this.colCount]!.hlc;
  }

  time(i: number): string {
    const c = this.cols;
    return c && i < c.count ? timeIn(c, i) : this.tail[i - this.colCount]!.time;
  }

  author(i: number): string {
    const c = this.cols;
    return c && i < c.count
      ? c.authors[c.authorOf[i]!]!
      : this.tail[i - this.colCount]!.author;
  }

  parents(i: number): EventId[] {
    const c = this.cols;
    if (!c || i >= c.count) return this.tail[i - this.colCount]!.parents;
    const out: EventId[] = [];
    for (let k = c.parentStart[i]!; k < c.parentStart[i + 1]!; k++)
      out.push(idIn(c, c.parents[k]!));
    return out;
  }

  entry(i: number): HistoryEntry {
    const c = this.cols;
    if (!c || i >= c.count) return this.tail[i - this.colCount]!;
    return {
      id: idIn(c, i),
      parents: this.parents(i),
      type: c.types[c.typeOf[i]!]!,
      author: c.authors[c.authorOf[i]!]!,
      time: timeIn(c, i),
      hlc: hlcIn(c, i),
    };
  }

  /** The heads of the first `n` entries, sorted: those none of the others names as a parent. */
  heads(n: number): EventId[] {
    const c = this.cols;
    const inCols = Math.min(n, this.colCount);
    // Among the columns, a parent is an index: marked in one typed array.
    const named = new Uint8Array(inCols);
    if (c)
      for (let k = 0; k < c.parentStart[inCols]!; k++) named[c.parents[k]!] = 1;
    const tailIds = new Set<EventId>();
    for (let i = inCols; i < n; i++) {
      const entry = this.tail[i - this.colCount]!;
      for (const p of entry.parents) tailIds.add(p);
    }
    const heads: EventId[] = [];
    for (let i = 0; i < n; i++) {
      if (i < inCols && named[i]) continue;
      const id = this.id(i);
      if (!tailIds.has(id)) heads.push(id);
    }
    return heads.sort();
  }

  /** Where `key` goes: the index of the first entry that does not sort before it. */
  placeOf(key: Pick<LogEvent, 'hlc' | 'id'>): number {
    const sortsBefore = (i: number) =>
      compareCanonical({ hlc: this.hlc(i), id: this.id(i) }, key) < 0;
    const n = this.length;
    if (n === 0 || sortsBefore(n - 1)) return n;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sortsBefore(mid)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(at: number, entry: HistoryEntry): void {
    if (at === this.length) {
      this.tail.push(entry);
      return;
    }
    if (at < this.colCount) {
      const all = Array.from({ length: this.length }, (_, i) => this.entry(i));
      this.cols = undefined;
      this.tail = all;
    }
    this.tail.splice(at - this.colCount, 0, entry);
  }
}

function encodeHistory(
  entries: Entries,
  authors: Iterable<string>,
): HistorySnapshotState | undefined {
  const n = entries.length;
  const indexOf = new Map<EventId, number>();
  const types: string[] = [];
  const typeIndex = new Map<string, number>();
  const authorList = [...authors];
  const authorIndex = new Map(authorList.map((a, i) => [a, i]));
  const ids: string[] = new Array(n);
  const hlcs: string[] = new Array(n);
  const times: string[] = new Array(n);
  const timeEnds = new Uint32Array(n);
  const typeOf = new Uint32Array(n);
  const authorOf = new Uint32Array(n);
  const parentCount = new Uint32Array(n);
  const parents: number[] = [];
  let timeEnd = 0;
  for (let i = 0; i < n; i++) {
    const e = entries.entry(i);
    // Not this format's (a stored event always has them): no snapshot, a cache.
    if (e.id.length !== ID_LENGTH || e.hlc.length !== HLC_LENGTH)
      return undefined;
    let t = typeIndex.get(e.type);
    if (t === undefined) typeIndex.set(e.type, (t = types.push(e.type) - 1));
    ids[i] = e.id;
    hlcs[i] = e.hlc;
    times[i] = e.time;
    timeEnds[i] = timeEnd += e.time.length;
    typeOf[i] = t;
    authorOf[i] = authorIndex.get(e.author) ?? 0;
    parentCount[i] = e.parents.length;
    for (const p of e.parents) {
      const at = indexOf.get(p);
      // A parent outside the stream, or after its child: not this format's.
      if (at === undefined) return undefined;
      parents.push(at);
    }
    indexOf.set(e.id, i);
  }
  return {
    version: 2,
    ids: ids.join(' '),
    hlcs: hlcs.join(' '),
    times: times.join(''),
    timeEnds,
    types,
    typeOf,
    authors: authorList,
    authorOf,
    parentCount,
    parents: Uint32Array.from(parents),
  };
}

/** Whether `joined` is `n` strings of `length` characters joined by a space. */
function fixedWidth(joined: string, n: number, length: number): boolean {
  if (joined.length !== (n === 0 ? 0 : n * (length + 1) - 1)) return false;
  for (let at = length; at < joined.length; at += length + 1)
    if (joined.charCodeAt(at) !== 32) return false;
  return true;
}

/** A snapshot's columns, or undefined for a record this module did not write. */
function decodeHistory(state: unknown): Columns | undefined {
  const s = state as Partial<HistorySnapshotState> | undefined;
  if (
    s?.version !== 2 ||
    typeof s.ids !== 'string' ||
    typeof s.hlcs !== 'string' ||
    typeof s.times !== 'string' ||
    !(s.timeEnds instanceof Uint32Array) ||
    !Array.isArray(s.types) ||
    !s.types.every((t) => typeof t === 'string') ||
    !Array.isArray(s.authors) ||
    !s.authors.every((a) => typeof a === 'string') ||
    !(s.typeOf instanceof Uint32Array) ||
    !(s.authorOf instanceof Uint32Array) ||
    !(s.parentCount instanceof Uint32Array) ||
    !(s.parents instanceof Uint32Array)
  )
    return undefined;
  const n = s.typeOf.length;
  if (
    !fixedWidth(s.ids, n, ID_LENGTH) ||
    !fixedWidth(s.hlcs, n, HLC_LENGTH) ||
    s.timeEnds.length !== n ||
    (n > 0 && s.timeEnds[n - 1] !== s.times.length) ||
    s.authorOf.length !== n ||
    s.parentCount.length !== n
  )
    return undefined;
  const parentStart = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) {
    parentStart[i + 1] = parentStart[i]! + s.parentCount[i]!;
    if (
      s.typeOf[i]! >= s.types.length ||
      s.authorOf[i]! >= s.authors.length ||
      (i > 0 && s.timeEnds[i]! < s.timeEnds[i - 1]!)
    )
      return undefined;
    // A parent sorts before its child.
    for (let k = parentStart[i]!; k < parentStart[i + 1]!; k++)
      if (!(s.parents[k]! < i)) return undefined;
  }
  if (parentStart[n] !== s.parents.length) return undefined;
  return {
    count: n,
    ids: s.ids,
    hlcs: s.hlcs,
    times: s.times,
    timeEnds: s.timeEnds,
    types: s.types,
    typeOf: s.typeOf,
    authors: s.authors,
    authorOf: s.authorOf,
    parentStart,
    parents: s.parents,
  };
}

/**
 * A document's whole history in canonical order, kept beside the log by whoever
 * serves pages of it (the worker), so a page is sent the rows it shows and never
 * the history. It opens from its snapshot in the store (DESIGN §5: saved once 500
 * events came past the last one) and takes in what was stored after it: the cost of
 * opening and of each request is the events stored since. An event that arrives
 * late is put where it sorts, so the snapshot is never void.
 */
export class HistoryIndex {
  private entries = new Entries();
  private readonly authors = new Set<string>();
  private position = 0;
  /** Events taken in since the last snapshot was saved or read. */
  private taken = 0;
  /** Catching up one at a time: each reads from the position the last one left. */
  private caughtUp: Promise<void> = Promise.resolve();
  /** Entry index by id, for jumps to groups: dropped when an entry is inserted. */
  private indexOfId: Map<EventId, number> | undefined;

  private constructor(
    private readonly store: Store,
    private readonly stream: string,
    private readonly every: number,
  ) {}

  static async open(
    store: Store,
    stream: string,
    options: { every?: number } = {},
  ): Promise<HistoryIndex> {
    const index = new HistoryIndex(
      store,
      stream,
      options.every ?? HISTORY_SNAPSHOT_EVERY,
    );
    const record = await store
      .getSnapshot(`${stream}\n${HISTORY_SNAPSHOT}`)
      .catch(() => undefined);
    let columns: Columns | undefined;
    try {
      if (record && Number.isSafeInteger(record.pos))
        columns = decodeHistory(record.state);
    } catch {
      // Unreadable: a cache, read from the events instead.
    }
    if (record && columns) {
      index.entries = new Entries(columns);
      columns.authors.forEach((a) => index.authors.add(a));
      index.position = record.pos;
    } else {
      // Everything stored up to here; what comes meanwhile is caught up next time.
      const upTo = (await store.replica()).lastPos;
      for await (const r of store.streamEvents(stream)) {
        if (r.pos > upTo) continue;
        const entry = historyEntryOf(r.event);
        index.entries.insert(index.entries.length, entry);
        index.authors.add(entry.author);
      }
      index.position = upTo;
      index.taken = index.entries.length;
    }
    await index.catchUp();
    return index;
  }

  /** Takes in the events stored since the last call. */
  catchUp(): Promise<void> {
    const run = this.caughtUp.then(async () => {
      const upTo = (await this.store.replica()).lastPos;
      if (upTo > this.position) {
        const records = await this.store.streamEventsSince(
          this.stream,
          this.position,
        );
        const events = records
          .filter((r) => r.pos <= upTo)
          .map((r) => r.event)
          .sort(compareCanonical);
        for (const event of events) {
          const at = this.entries.placeOf(event);
          if (at < this.entries.length && this.entries.id(at) === event.id)
            continue;
          const entry = historyEntryOf(event);
          this.entries.insert(at, entry);
          this.authors.add(entry.author);
          this.indexOfId = undefined;
          this.taken++;
        }
        this.position = upTo;
      }
      if (this.taken >= this.every) await this.save();
    });
    this.caughtUp = run.catch(() => undefined);
    return run;
  }

  /** Saves the index as its stream's snapshot: best effort, a cache. */
  private async save(): Promise<void> {
    this.taken = 0;
    const state = encodeHistory(this.entries, this.authors);
    if (!state) return;
    await putQuietly(
      this.store,
      orderFreeSnapshot(
        `${this.stream}\n${HISTORY_SNAPSHOT}`,
        this.stream,
        this.position,
        state,
      ),
    );
  }

  get total(): number {
    return this.entries.length;
  }

  /** `count` entries from `start` ('end': the last `count`), clamped to the history. */
  page(start: number | 'end', count: number): HistoryPage {
    const n = Math.max(0, Math.min(MAX_PAGE, Math.floor(count) || 0));
    const total = this.entries.length;
    const from =
      start === 'end'
        ? Math.max(0, total - n)
        : Math.max(0, Math.min(Math.floor(start) || 0, total));
    const entries: HistoryEntry[] = [];
    for (let i = from; i < Math.min(total, from + n); i++)
      entries.push(this.entries.entry(i));
    return {
      total,
      start: from,
      entries,
      authors: [...this.authors],
      position: this.position,
    };
  }

  /** The heads of version `count`: its events that none of its later events names. */
  heads(count: number): EventId[] {
    return this.entries.heads(
      Math.max(0, Math.min(count, this.entries.length)),
    );
  }

  /** The version a jump goes to, or undefined when there is none that way. */
  jump(jump: HistoryJump): number | undefined {
    const entries = this.entries;
    const n = entries.length;
    if (jump.to === 'time') {
      // Canonical order follows the hybrid clocks, close to time order: a binary search.
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (Date.parse(entries.time(mid)) < jump.time) lo = mid + 1;
        else hi = mid;
      }
      return n === 0 ? undefined : Math.min(lo + 1, n);
    }
    if (jump.to === 'author') {
      for (let i = jump.from - 1 + jump.step; i >= 0 && i < n; i += jump.step)
        if (entries.author(i) === jump.author) return i + 1;
      return undefined;
    }
    if (!this.indexOfId) {
      this.indexOfId = new Map();
      for (let i = 0; i < n; i++) this.indexOfId.set(entries.id(i), i);
    }
    const index = this.indexOfId;
    const starts = jump.groups
      .map((ids) => Math.min(...ids.map((id) => index.get(id) ?? Infinity)))
      .filter(Number.isFinite)
      .map((i) => i + 1)
      .sort((a, b) => a - b);
    return jump.step === 1
      ? starts.find((n) => n > jump.from)
      : starts.findLast((n) => n < jump.from);
  }
}
