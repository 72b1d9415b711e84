import {
  compareCanonical,
  type SnapshotRecord,
  type Store,
} from '../log/store.ts';
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

/**
 * Adds events to a history kept in canonical order, in place: most go at the end;
 * one from the past (a synced device's) is put where it sorts. Events it already
 * holds are skipped. Costs the new events, not the history. Returns the events added.
 */
export function addToHistory(
  history: HistoryEntry[],
  events: LogEvent[],
): LogEvent[] {
  const added: LogEvent[] = [];
  for (const event of [...events].sort(compareCanonical)) {
    const at = placeOf(history, event);
    if (history[at]?.id === event.id) continue;
    if (at === history.length) history.push(historyEntryOf(event));
    else history.splice(at, 0, historyEntryOf(event));
    added.push(event);
  }
  return added;
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
export const HISTORY_SNAPSHOT_EVERY = 500;

/**
 * A history index as a snapshot record holds it: columns, so that reading 100k
 * entries back is a few strings and typed arrays, not 100k objects. Ids and HLCs
 * have formats without spaces and are joined by one; times (RFC 3339, free in
 * form) are a JSON array. A parent is named by its entry's index: it always sorts
 * before its child.
 */
interface HistorySnapshotState {
  version: 1;
  ids: string;
  hlcs: string;
  times: string;
  types: string[];
  typeOf: Uint32Array;
  authors: string[];
  authorOf: Uint32Array;
  parentCount: Uint32Array;
  parents: Uint32Array;
}

function encodeHistory(
  entries: readonly HistoryEntry[],
  authors: Iterable<string>,
): HistorySnapshotState | undefined {
  const indexOf = new Map<EventId, number>();
  const types: string[] = [];
  const typeIndex = new Map<string, number>();
  const authorList = [...authors];
  const authorIndex = new Map(authorList.map((a, i) => [a, i]));
  const typeOf = new Uint32Array(entries.length);
  const authorOf = new Uint32Array(entries.length);
  const parentCount = new Uint32Array(entries.length);
  const parents: number[] = [];
  for (const [i, e] of entries.entries()) {
    let t = typeIndex.get(e.type);
    if (t === undefined) typeIndex.set(e.type, (t = types.push(e.type) - 1));
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
    version: 1,
    ids: entries.map((e) => e.id).join(' '),
    hlcs: entries.map((e) => e.hlc).join(' '),
    times: JSON.stringify(entries.map((e) => e.time)),
    types,
    typeOf,
    authors: authorList,
    authorOf,
    parentCount,
    parents: Uint32Array.from(parents),
  };
}

/** The entries a snapshot holds, or undefined for a record this module did not write. */
function decodeHistory(
  state: unknown,
): { entries: HistoryEntry[]; authors: string[] } | undefined {
  const s = state as Partial<HistorySnapshotState> | undefined;
  if (
    s?.version !== 1 ||
    typeof s.ids !== 'string' ||
    typeof s.hlcs !== 'string' ||
    typeof s.times !== 'string' ||
    !Array.isArray(s.types) ||
    !Array.isArray(s.authors) ||
    !(s.typeOf instanceof Uint32Array) ||
    !(s.authorOf instanceof Uint32Array) ||
    !(s.parentCount instanceof Uint32Array) ||
    !(s.parents instanceof Uint32Array)
  )
    return undefined;
  const ids = s.ids === '' ? [] : s.ids.split(' ');
  const hlcs = s.hlcs === '' ? [] : s.hlcs.split(' ');
  const times = JSON.parse(s.times) as unknown;
  const n = ids.length;
  if (
    hlcs.length !== n ||
    !Array.isArray(times) ||
    times.length !== n ||
    s.typeOf.length !== n ||
    s.authorOf.length !== n ||
    s.parentCount.length !== n
  )
    return undefined;
  const entries: HistoryEntry[] = new Array(n);
  let next = 0;
  for (let i = 0; i < n; i++) {
    const parents: EventId[] = [];
    for (let k = s.parentCount[i]!; k > 0; k--) {
      const at = s.parents[next++];
      if (at === undefined || at >= i) return undefined;
      parents.push(ids[at]!);
    }
    const type = s.types[s.typeOf[i]!];
    const author = s.authors[s.authorOf[i]!];
    if (typeof type !== 'string' || typeof author !== 'string')
      return undefined;
    entries[i] = {
      id: ids[i]!,
      parents,
      type,
      author,
      time: String(times[i]),
      hlc: hlcs[i]!,
    };
  }
  return next === s.parents.length
    ? { entries, authors: s.authors.map(String) }
    : undefined;
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
  private entries: HistoryEntry[] = [];
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
    let decoded: ReturnType<typeof decodeHistory>;
    try {
      if (record && Number.isSafeInteger(record.pos))
        decoded = decodeHistory(record.state);
    } catch {
      // Unreadable (its times are not JSON): a cache, read from the events instead.
    }
    if (record && decoded) {
      index.entries = decoded.entries;
      decoded.authors.forEach((a) => index.authors.add(a));
      index.position = record.pos;
    } else {
      // Everything stored up to here; what comes meanwhile is caught up next time.
      const upTo = (await store.replica()).lastPos;
      for await (const r of store.streamEvents(stream)) {
        if (r.pos > upTo) continue;
        index.entries.push(historyEntryOf(r.event));
        index.authors.add(index.entries[index.entries.length - 1]!.author);
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
        const events = records.filter((r) => r.pos <= upTo).map((r) => r.event);
        const added = addToHistory(this.entries, events);
        for (const e of added) this.authors.add(e.author ?? e.actor);
        if (added.length > 0) this.indexOfId = undefined;
        this.taken += added.length;
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
    const record: SnapshotRecord = {
      key: `${this.stream}\n${HISTORY_SNAPSHOT}`,
      stream: this.stream,
      pos: this.position,
      extra: [],
      after: null,
      state,
      takenAt: Date.now(),
    };
    await this.store.putSnapshot(record).catch(() => undefined);
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
    return {
      total,
      start: from,
      entries: this.entries.slice(from, from + n),
      authors: [...this.authors],
      position: this.position,
    };
  }

  /** The heads of version `count`: its events that none of its later events names. */
  heads(count: number): EventId[] {
    const heads = new Set<EventId>();
    const n = Math.max(0, Math.min(count, this.entries.length));
    for (let i = 0; i < n; i++) {
      const e = this.entries[i]!;
      e.parents.forEach((p) => heads.delete(p));
      heads.add(e.id);
    }
    return [...heads].sort();
  }

  /** The version a jump goes to, or undefined when there is none that way. */
  jump(jump: HistoryJump): number | undefined {
    const entries = this.entries;
    if (jump.to === 'time') {
      // Canonical order follows the hybrid clocks, close to time order: a binary search.
      let lo = 0;
      let hi = entries.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (Date.parse(entries[mid]!.time) < jump.time) lo = mid + 1;
        else hi = mid;
      }
      return entries.length === 0
        ? undefined
        : Math.min(lo + 1, entries.length);
    }
    if (jump.to === 'author') {
      for (
        let i = jump.from - 1 + jump.step;
        i >= 0 && i < entries.length;
        i += jump.step
      )
        if (entries[i]!.author === jump.author) return i + 1;
      return undefined;
    }
    const index = (this.indexOfId ??= new Map(
      entries.map((e, i) => [e.id, i]),
    ));
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
