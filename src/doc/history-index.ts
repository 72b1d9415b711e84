import { EVENT_ID_LENGTH } from '../log/event-id.ts';
import { clockedTime } from '../log/event-time.ts';
import { orderFreeSnapshot, putQuietly } from '../log/snapshots.ts';
import { compareCanonical, type Store } from '../log/store.ts';
import type { EventId, LogEvent } from '../log/types.ts';
import { headsAfter } from '../log/heads.ts';
import { DELETED_FIELD, FIELD_SET, fieldWritesOf } from './doc-events.ts';
import { writerKey } from './writers.ts';

/** One event of a document's history, as the timeline draws it. */
export interface HistoryEntry {
  id: EventId;
  parents: EventId[];
  type: string;
  /** Its writer (writers.ts's writerKey): shown by writerNames of the page's authors. */
  author: string;
  time: string;
  hlc: string;
  /** For a field's write, what it changed (`fieldChangeOf`); undefined for any other event. */
  field: string | undefined;
}

/** An event as the history and the timeline show it: worker and page alike. */
export const historyEntryOf = (e: LogEvent): HistoryEntry => ({
  id: e.id,
  parents: e.parents,
  type: e.type,
  author: writerKey(e),
  time: clockedTime(e),
  hlc: e.hlc,
  field: fieldChangeOf(e),
});

/** The tombstone set: the document deleted. */
export const DELETED = '@deleted';
/** The tombstone cleared: the document brought back. */
export const UNDELETED = '@undeleted';

/**
 * What a field's write changed, for its line in the history: the field's name; for
 * the tombstone, DELETED or UNDELETED; '@' for another reserved name (no writer
 * through the API writes one, and another replica's such field is no document's
 * deletion). Undefined for any other event, or a write the document's registers
 * would not take either (read by the same `fieldWritesOf`).
 */
export function fieldChangeOf(e: LogEvent): string | undefined {
  if (e.type !== FIELD_SET) return undefined;
  let write: ReturnType<typeof fieldWritesOf>[number] | undefined;
  try {
    [write] = fieldWritesOf(e);
  } catch {
    return undefined;
  }
  if (!write) return undefined;
  if (write.field === DELETED_FIELD)
    return write.value === true ? DELETED : UNDELETED;
  return write.field.startsWith('@') ? '@' : write.field;
}

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
  /**
   * The document as it was at `time` (ms): the last version whose last event was
   * written at or before it; none when nothing was written by then.
   */
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
/**
 * Entries per page of the saved index. Opening reads the head record (the entries
 * after the last full page, and a summary of each page) and no page: a page is read
 * when something on it is asked for. One record of a whole 100k-event history took
 * a new tab's worker 73 ms to read, most of opening a long document's timeline.
 */
export const HISTORY_PAGE_SIZE = 4096;

/** An HLC's length: fixed, checked on the way in, as an id's is (EVENT_ID_LENGTH). */
const HLC_LENGTH = 17;

/**
 * A run of the history's entries as a record holds them: columns, so that reading
 * thousands of entries back is a few strings and typed arrays, not thousands of
 * objects, and an entry's fields are cut from them when asked for. Ids and HLCs
 * have fixed lengths and are joined by a space; times (RFC 3339, free in length)
 * are concatenated, each ending where `timeEnds` says. A parent in the run is named
 * by its index there (it sorts before its child); one before the run, by its place
 * in `external` (-1 the first, -2 the second, …). Types and authors are the run's own.
 */
interface RunState {
  ids: string;
  hlcs: string;
  times: string;
  timeEnds: Uint32Array;
  types: string[];
  typeOf: Uint32Array;
  /** The fields written (`HistoryEntry.field`), and per entry its index there or -1. */
  fields: string[];
  fieldOf: Int32Array;
  authors: string[];
  authorOf: Uint32Array;
  parentCount: Uint32Array;
  parents: Int32Array;
  external: string[];
}

/** What the head record knows of a full page without reading it. */
interface PageSummary {
  /** Written with the page: a page of another stamp is of another save. */
  stamp: number;
  /** Its first entry's canonical key and time, for finding a place or a time. */
  first: { hlc: string; id: EventId };
  firstTime: string;
  /** Everyone who wrote one of its events. */
  authors: string[];
  /** The heads of the history up to the page's end, sorted. */
  heads: EventId[];
}

/**
 * The records' format: 6 dates an event by its clock where its writer's time
 * disagrees with it (`clockedTime`); 5 says what each field's write changed
 * (`fields`); 4 named authors as writers (writers.ts), a replica and its label.
 */
const FORMAT = 6 as const;

/**
 * The head record (version FORMAT; versions 1 and 2 held the whole history in one
 * record, and 3 named authors by label alone: not read any more, a cache rebuilt
 * from the events). Page `i` is the
 * record `${stream}\nhistory.page.${i}`, holding entries `i * pageSize` onward.
 */
interface HistoryHeadState {
  version: typeof FORMAT;
  pageSize: number;
  pages: PageSummary[];
  /** The entries after the last full page. */
  tail: RunState;
  /** Everyone who wrote an event, in the order they first did. */
  authors: string[];
}

interface PageState {
  version: typeof FORMAT;
  stamp: number;
  run: RunState;
}

/** A run's columns as read back: entries are made of them only when asked for. */
class Run {
  /** Entry i's parents are `parents[parentStart[i]]` up to `parentStart[i + 1]`. */
  private readonly parentStart: Uint32Array;

  private constructor(
    readonly count: number,
    /** The columns as stored: written back as they are. */
    readonly s: RunState,
  ) {
    this.parentStart = new Uint32Array(count + 1);
    for (let i = 0; i < count; i++)
      this.parentStart[i + 1] = this.parentStart[i]! + s.parentCount[i]!;
  }

  /** The run's columns, or undefined for a state this module did not write. */
  static decode(state: unknown): Run | undefined {
    const s = state as Partial<RunState> | undefined;
    if (
      typeof s?.ids !== 'string' ||
      typeof s.hlcs !== 'string' ||
      typeof s.times !== 'string' ||
      !(s.timeEnds instanceof Uint32Array) ||
      !Array.isArray(s.types) ||
      !s.types.every((t) => typeof t === 'string') ||
      !Array.isArray(s.fields) ||
      !s.fields.every((f) => typeof f === 'string') ||
      !(s.fieldOf instanceof Int32Array) ||
      !Array.isArray(s.authors) ||
      !s.authors.every((a) => typeof a === 'string') ||
      !(s.typeOf instanceof Uint32Array) ||
      !(s.authorOf instanceof Uint32Array) ||
      !(s.parentCount instanceof Uint32Array) ||
      !(s.parents instanceof Int32Array) ||
      !Array.isArray(s.external) ||
      !s.external.every((id) => typeof id === 'string')
    )
      return undefined;
    const n = s.typeOf.length;
    if (
      !fixedWidth(s.ids, n, EVENT_ID_LENGTH) ||
      !fixedWidth(s.hlcs, n, HLC_LENGTH) ||
      s.timeEnds.length !== n ||
      (n > 0 && s.timeEnds[n - 1] !== s.times.length) ||
      s.authorOf.length !== n ||
      s.fieldOf.length !== n ||
      s.parentCount.length !== n
    )
      return undefined;
    let k = 0;
    for (let i = 0; i < n; i++) {
      if (
        s.typeOf[i]! >= s.types.length ||
        s.authorOf[i]! >= s.authors.length ||
        s.fieldOf[i]! < -1 ||
        s.fieldOf[i]! >= s.fields.length ||
        (i > 0 && s.timeEnds[i]! < s.timeEnds[i - 1]!)
      )
        return undefined;
      // A parent in the run sorts before its child; one before it is listed.
      for (const end = k + s.parentCount[i]!; k < end; k++) {
        const p = s.parents[k];
        if (p === undefined || p >= i || -p > s.external.length)
          return undefined;
      }
    }
    if (k !== s.parents.length) return undefined;
    return new Run(n, s as RunState);
  }

  /** `entries` as a run's columns; undefined when one is not of this format (no snapshot: a cache). */
  static encode(entries: readonly HistoryEntry[]): RunState | undefined {
    const n = entries.length;
    const indexOf = new Map<EventId, number>();
    const types: string[] = [];
    const typeIndex = new Map<string, number>();
    const fields: string[] = [];
    const fieldIndex = new Map<string, number>();
    const fieldOf = new Int32Array(n);
    const authors: string[] = [];
    const authorIndex = new Map<string, number>();
    const external: string[] = [];
    const externalIndex = new Map<string, number>();
    const timeEnds = new Uint32Array(n);
    const typeOf = new Uint32Array(n);
    const authorOf = new Uint32Array(n);
    const parentCount = new Uint32Array(n);
    const parents: number[] = [];
    let timeEnd = 0;
    for (let i = 0; i < n; i++) {
      const e = entries[i]!;
      if (e.id.length !== EVENT_ID_LENGTH || e.hlc.length !== HLC_LENGTH)
        return undefined;
      let t = typeIndex.get(e.type);
      if (t === undefined) typeIndex.set(e.type, (t = types.push(e.type) - 1));
      let f = -1;
      if (e.field !== undefined) {
        f = fieldIndex.get(e.field) ?? -1;
        if (f === -1) fieldIndex.set(e.field, (f = fields.push(e.field) - 1));
      }
      fieldOf[i] = f;
      let a = authorIndex.get(e.author);
      if (a === undefined)
        authorIndex.set(e.author, (a = authors.push(e.author) - 1));
      timeEnds[i] = timeEnd += e.time.length;
      typeOf[i] = t;
      authorOf[i] = a;
      parentCount[i] = e.parents.length;
      for (const p of e.parents) {
        const at = indexOf.get(p);
        if (at !== undefined) parents.push(at);
        else {
          let x = externalIndex.get(p);
          if (x === undefined) externalIndex.set(p, (x = external.push(p) - 1));
          parents.push(-(x + 1));
        }
      }
      indexOf.set(e.id, i);
    }
    return {
      ids: entries.map((e) => e.id).join(' '),
      hlcs: entries.map((e) => e.hlc).join(' '),
      times: entries.map((e) => e.time).join(''),
      timeEnds,
      types,
      typeOf,
      fields,
      fieldOf,
      authors,
      authorOf,
      parentCount,
      parents: Int32Array.from(parents),
      external,
    };
  }

  id(i: number): EventId {
    const at = i * (EVENT_ID_LENGTH + 1);
    return this.s.ids.slice(at, at + EVENT_ID_LENGTH);
  }

  hlc(i: number): string {
    const at = i * (HLC_LENGTH + 1);
    return this.s.hlcs.slice(at, at + HLC_LENGTH);
  }

  time(i: number): string {
    return this.s.times.slice(
      i === 0 ? 0 : this.s.timeEnds[i - 1]!,
      this.s.timeEnds[i]!,
    );
  }

  author(i: number): string {
    return this.s.authors[this.s.authorOf[i]!]!;
  }

  authors(): string[] {
    return this.s.authors;
  }

  parents(i: number): EventId[] {
    const out: EventId[] = [];
    for (let k = this.parentStart[i]!; k < this.parentStart[i + 1]!; k++) {
      const p = this.s.parents[k]!;
      out.push(p >= 0 ? this.id(p) : this.s.external[-p - 1]!);
    }
    return out;
  }

  entry(i: number): HistoryEntry {
    const field = this.s.fieldOf[i]!;
    return {
      id: this.id(i),
      parents: this.parents(i),
      type: this.s.types[this.s.typeOf[i]!]!,
      author: this.author(i),
      time: this.time(i),
      hlc: this.hlc(i),
      field: field < 0 ? undefined : this.s.fields[field],
    };
  }
}

/** Whether `joined` is `n` strings of `length` characters joined by a space. */
function fixedWidth(joined: string, n: number, length: number): boolean {
  if (joined.length !== (n === 0 ? 0 : n * (length + 1) - 1)) return false;
  for (let at = length; at < joined.length; at += length + 1)
    if (joined.charCodeAt(at) !== 32) return false;
  return true;
}

/** A page record that is missing, malformed or of another save: the index is read from the events again. */
class StalePage extends Error {}

/**
 * A document's whole history in canonical order, kept beside the log by whoever
 * serves pages of it (the worker), so a page is sent the rows it shows and never
 * the history. It opens from its snapshot in the store (DESIGN §5: saved once 500
 * events came past the last one) and takes in what was stored after it: the cost of
 * opening and of each request is the events stored since, and the pages of the
 * saved index the request reaches. An event that arrives late is put where it
 * sorts, so the snapshot is never void: the pages from its place on are read,
 * and written again at the next save.
 */
export class HistoryIndex {
  /** Full pages of the saved index: read when first reached. */
  private pages: (Run | undefined)[] = [];
  private summaries: PageSummary[] = [];
  /** The entries after the last full page. */
  private tail: HistoryEntry[] = [];
  /** Pages from here on are new or changed: written at the next save. */
  private dirtyFrom = 0;
  private readonly authors = new Set<string>();
  private position = 0;
  /** Events taken in since the last snapshot was saved or read. */
  private taken = 0;
  /** Catching up one at a time: each reads from the position the last one left. */
  private caughtUp: Promise<void> = Promise.resolve();
  /** Entry index by id, for jumps to groups: dropped when an entry is inserted. */
  private indexOfId: Map<EventId, number> | undefined;
  /**
   * Moves on whenever the pages are replaced or cut back into the tail: a page read
   * that began before is not kept, since its index may hold other entries by then,
   * or none.
   */
  private generation = 0;
  /** The pages being read in this generation: two requests at once read one once. */
  private loading = new Map<number, Promise<Run>>();

  private constructor(
    private readonly store: Store,
    private readonly stream: string,
    private readonly every: number,
    private readonly pageSize: number,
  ) {}

  static async open(
    store: Store,
    stream: string,
    options: { every?: number; pageSize?: number } = {},
  ): Promise<HistoryIndex> {
    const index = new HistoryIndex(
      store,
      stream,
      options.every ?? HISTORY_SNAPSHOT_EVERY,
      options.pageSize ?? HISTORY_PAGE_SIZE,
    );
    if (!(await index.readHead())) await index.readEvents();
    await index.catchUp();
    return index;
  }

  private get headKey(): string {
    return `${this.stream}\n${HISTORY_SNAPSHOT}`;
  }

  private pageKey(page: number): string {
    return `${this.stream}\n${HISTORY_SNAPSHOT}.page.${page}`;
  }

  /** Takes in the head record, if it is one this module wrote with these pages. */
  private async readHead(): Promise<boolean> {
    const record = await this.store
      .getSnapshot(this.headKey)
      .catch(() => undefined);
    const s = record?.state as Partial<HistoryHeadState> | undefined;
    if (
      !record ||
      !Number.isSafeInteger(record.pos) ||
      s?.version !== FORMAT ||
      s.pageSize !== this.pageSize ||
      !Array.isArray(s.authors) ||
      !s.authors.every((a) => typeof a === 'string') ||
      !Array.isArray(s.pages) ||
      !s.pages.every(isPageSummary)
    )
      return false;
    let tail: Run | undefined;
    try {
      tail = Run.decode(s.tail);
    } catch {
      // Unreadable: a cache, read from the events instead.
    }
    if (!tail) return false;
    this.summaries = s.pages;
    this.pages = s.pages.map(() => undefined);
    this.pagesChanged();
    this.dirtyFrom = s.pages.length;
    this.tail = Array.from({ length: tail.count }, (_, i) => tail.entry(i));
    s.authors.forEach((a) => this.authors.add(a));
    this.position = record.pos;
    return true;
  }

  /** Starts over from the events: everything stored up to now, in the tail. */
  private async readEvents(): Promise<void> {
    this.pages = [];
    this.pagesChanged();
    this.summaries = [];
    this.dirtyFrom = 0;
    this.authors.clear();
    this.indexOfId = undefined;
    const upTo = (await this.store.replica()).lastPos;
    const entries: HistoryEntry[] = [];
    for await (const r of this.store.streamEvents(this.stream)) {
      if (r.pos > upTo) continue;
      const entry = historyEntryOf(r.event);
      entries.push(entry);
      this.authors.add(entry.author);
    }
    this.tail = entries;
    this.position = upTo;
    this.taken = entries.length;
  }

  private pagesChanged(): void {
    this.generation++;
    this.loading.clear();
  }

  /**
   * Reads page `page` into memory, once however many ask at once (the history's
   * rows and a version's heads, asked together on a jump, read the same page). Kept
   * unless the pages changed meanwhile. @throws StalePage
   */
  private load(page: number): Promise<Run> {
    let reading = this.loading.get(page);
    if (!reading) {
      const generation = this.generation;
      const loading = this.loading;
      reading = this.read(page).then((run) => {
        if (generation === this.generation) this.pages[page] = run;
        return run;
      });
      loading.set(page, reading);
      const done = () => {
        if (loading.get(page) === reading) loading.delete(page);
      };
      reading.then(done, done);
    }
    return reading;
  }

  /** Page `page` as stored. @throws StalePage */
  private async read(page: number): Promise<Run> {
    const record = await this.store
      .getSnapshot(this.pageKey(page))
      .catch(() => undefined);
    const s = record?.state as Partial<PageState> | undefined;
    let run: Run | undefined;
    try {
      if (s?.version === FORMAT && s.stamp === this.summaries[page]?.stamp)
        run = Run.decode(s.run);
    } catch {
      // Unreadable: as if missing.
    }
    if (!run || run.count !== this.pageSize) throw new StalePage();
    return run;
  }

  /**
   * Runs `read` once the pages holding entries `from` up to `to` are in memory. A
   * page that cannot be read makes the index start over from the events (a cache),
   * and then `read` runs on that.
   */
  private async reading<T>(
    from: number,
    to: number,
    read: () => T,
  ): Promise<T> {
    const size = this.pageSize;
    try {
      // Until every page of the range is in: a read the pages' change left out is
      // read again, from what the pages are now.
      for (;;) {
        const last = Math.min(Math.ceil(to / size), this.pages.length);
        let p = Math.max(0, Math.floor(from / size));
        while (p < last && this.pages[p]) p++;
        if (p >= last) break;
        await this.load(p);
      }
    } catch (error) {
      if (!(error instanceof StalePage)) throw error;
      await this.readEvents();
    }
    return read();
  }

  private get paged(): number {
    return this.pages.length * this.pageSize;
  }

  /** Entry `i`, from its page (which must be in memory) or the tail. */
  private entry(i: number): HistoryEntry {
    return i < this.paged
      ? this.pages[Math.floor(i / this.pageSize)]!.entry(i % this.pageSize)
      : this.tail[i - this.paged]!;
  }

  /** One field of entry `i`, cut from its page's columns without making the entry. */
  private field<K extends 'id' | 'author' | 'time' | 'parents'>(
    i: number,
    name: K,
  ): HistoryEntry[K] {
    return i < this.paged
      ? (this.pages[Math.floor(i / this.pageSize)]![name](
          i % this.pageSize,
        ) as HistoryEntry[K])
      : this.tail[i - this.paged]![name];
  }

  /** Where `key` goes: the index of the first entry that does not sort before it. */
  private async placeOf(key: Pick<LogEvent, 'hlc' | 'id'>): Promise<number> {
    const paged = this.paged;
    const first = this.tail[0];
    if (paged === 0 || (first && compareCanonical(first, key) < 0))
      return paged + placeOf(this.tail, key);
    // The pages whose first entry sorts before it: it goes in the last of them.
    let lo = 0;
    let hi = this.summaries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareCanonical(this.summaries[mid]!.first, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) return 0;
    const page = lo - 1;
    const from = page * this.pageSize;
    return this.reading(from, from + this.pageSize, () => {
      // Started over from the events: no pages.
      if (this.pages.length === 0) return placeOf(this.tail, key);
      const run = this.pages[page]!;
      let a = 0;
      let b = run.count;
      while (a < b) {
        const mid = (a + b) >>> 1;
        if (compareCanonical({ hlc: run.hlc(mid), id: run.id(mid) }, key) < 0)
          a = mid + 1;
        else b = mid;
      }
      return from + a;
    });
  }

  /**
   * Puts `entry` at `at`; the pages from there on become the tail's, to be written
   * again. False when it was there already (the index started over from the events
   * meanwhile, taking it in).
   */
  private async insert(at: number, entry: HistoryEntry): Promise<boolean> {
    if (at < this.paged) {
      const page = Math.floor(at / this.pageSize);
      const moved = await this.reading(at, this.paged, () => {
        const out: HistoryEntry[] = [];
        for (let i = page * this.pageSize; i < this.paged; i++)
          out.push(this.entry(i));
        return out;
      });
      if (this.pages.length <= page) {
        // Started over from the events: every entry in the tail.
        const place = placeOf(this.tail, entry);
        if (this.tail[place]?.id === entry.id) return false;
        this.tail.splice(place, 0, entry);
        return true;
      }
      this.tail = [...moved, ...this.tail];
      this.pages.length = page;
      this.pagesChanged();
      this.summaries.length = page;
      this.dirtyFrom = Math.min(this.dirtyFrom, page);
    }
    this.tail.splice(at - this.paged, 0, entry);
    return true;
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
          const at = await this.placeOf(event);
          const there = await this.reading(at, at + 1, () =>
            at < this.total ? this.field(at, 'id') : undefined,
          );
          if (there === event.id) continue;
          const entry = historyEntryOf(event);
          if (!(await this.insert(at, entry))) continue;
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

  /**
   * Saves the index as its stream's snapshot, best effort (a cache): the tail's full
   * pages are cut from it, pages new or changed are written, then the head record
   * naming them. A head is never written before its pages; a page written by a save
   * whose head was not carries another stamp, and then the index is read from the
   * events again.
   */
  private async save(): Promise<void> {
    this.taken = 0;
    const size = this.pageSize;
    while (this.tail.length >= size) {
      const entries = this.tail.splice(0, size);
      const state = Run.encode(entries);
      if (!state) {
        this.tail.unshift(...entries);
        return;
      }
      const run = Run.decode(state)!;
      const before = this.summaries[this.summaries.length - 1]?.heads ?? [];
      this.pages.push(run);
      this.summaries.push({
        stamp: 0,
        first: { hlc: entries[0]!.hlc, id: entries[0]!.id },
        firstTime: entries[0]!.time,
        authors: run.authors(),
        heads: headsAfter(
          before,
          entries.length,
          (i) => entries[i]!.id,
          (i) => entries[i]!.parents,
        ),
      });
    }
    const tail = Run.encode(this.tail);
    if (!tail) return;
    const stamp = this.position;
    for (let p = this.dirtyFrom; p < this.pages.length; p++) {
      // In memory since it was cut or rewritten: always held.
      this.summaries[p]!.stamp = stamp;
      const page: PageState = { version: FORMAT, stamp, run: this.pages[p]!.s };
      await putQuietly(
        this.store,
        orderFreeSnapshot(this.pageKey(p), this.stream, this.position, page),
      );
    }
    this.dirtyFrom = this.pages.length;
    const head: HistoryHeadState = {
      version: FORMAT,
      pageSize: size,
      pages: this.summaries,
      tail,
      authors: [...this.authors],
    };
    await putQuietly(
      this.store,
      orderFreeSnapshot(this.headKey, this.stream, this.position, head),
    );
  }

  get total(): number {
    return this.paged + this.tail.length;
  }

  /** `count` entries from `start` ('end': the last `count`), clamped to the history. */
  async page(start: number | 'end', count: number): Promise<HistoryPage> {
    const n = Math.max(0, Math.min(MAX_PAGE, Math.floor(count) || 0));
    const at = (total: number) =>
      start === 'end'
        ? Math.max(0, total - n)
        : Math.max(0, Math.min(Math.floor(start) || 0, total));
    const from = at(this.total);
    return this.reading(from, from + n, () => {
      const total = this.total;
      const first = at(total);
      const entries: HistoryEntry[] = [];
      for (let i = first; i < Math.min(total, first + n); i++)
        entries.push(this.entry(i));
      return {
        total,
        start: first,
        entries,
        authors: [...this.authors],
        position: this.position,
      };
    });
  }

  /**
   * The heads of version `count`: its events that none of its later events names.
   * The heads at the last page boundary before it are kept with the pages, so only
   * the entries since that boundary are read.
   */
  async heads(count: number): Promise<EventId[]> {
    const n = Math.max(0, Math.min(count, this.total));
    const page = Math.min(Math.floor(n / this.pageSize), this.pages.length);
    const from = page * this.pageSize;
    return this.reading(from, n, () => {
      // Started over from the events: no pages, every entry in the tail.
      const base = Math.min(from, this.paged);
      const before =
        base === 0 ? [] : this.summaries[base / this.pageSize - 1]!.heads;
      return headsAfter(
        before,
        Math.min(n, this.total) - base,
        (i) => this.field(base + i, 'id'),
        (i) => this.field(base + i, 'parents'),
      );
    });
  }

  /**
   * The version whose heads are exactly `heads` (events given by canonical key):
   * the count up to the latest of them, which that version ends with. Undefined
   * when one is not in this history, or when they are not some version's heads (a
   * restore through the API may name any events).
   */
  async versionOf(
    heads: readonly Pick<LogEvent, 'hlc' | 'id'>[],
  ): Promise<number | undefined> {
    let version = 0;
    for (const key of heads) {
      const at = await this.placeOf(key);
      const held = await this.reading(
        at,
        at + 1,
        () => at < this.total && this.field(at, 'id') === key.id,
      );
      if (!held) return undefined;
      version = Math.max(version, at + 1);
    }
    if (version === 0) return undefined;
    const same = (await this.heads(version)).sort();
    const named = heads.map((h) => h.id).sort();
    return same.length === named.length &&
      same.every((id, i) => id === named[i])
      ? version
      : undefined;
  }

  /** The version a jump goes to, or undefined when there is none that way. */
  async jump(jump: HistoryJump): Promise<number | undefined> {
    if (jump.to === 'time') {
      // Canonical order follows the hybrid clocks, close to time order: a binary
      // search for the first event written after `time`, over the pages' first
      // times, then in the page. The events before it are the version then.
      let lo = 0;
      let hi = this.summaries.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (Date.parse(this.summaries[mid]!.firstTime) <= jump.time)
          lo = mid + 1;
        else hi = mid;
      }
      const from = Math.max(0, lo - 1) * this.pageSize;
      const to = lo < this.summaries.length ? lo * this.pageSize : Infinity;
      return this.reading(from, Math.min(to, this.total), () => {
        const n = this.total;
        let a = Math.min(from, this.paged);
        let b = Math.min(to, n);
        while (a < b) {
          const mid = (a + b) >>> 1;
          if (Date.parse(this.field(mid, 'time')) <= jump.time) a = mid + 1;
          else b = mid;
        }
        return a === 0 ? undefined : Math.min(a, n);
      });
    }
    if (jump.to === 'author') {
      const size = this.pageSize;
      for (let i = jump.from - 1 + jump.step; i >= 0 && i < this.total;) {
        const page = Math.floor(i / size);
        if (
          i < this.paged &&
          !this.summaries[page]!.authors.includes(jump.author)
        ) {
          // None of the page's: on to the next page that way.
          i = jump.step === 1 ? (page + 1) * size : page * size - 1;
          continue;
        }
        const found = await this.reading(
          i,
          i + 1,
          () => i < this.total && this.field(i, 'author') === jump.author,
        );
        if (found) return i + 1;
        i += jump.step;
      }
      return undefined;
    }
    return this.reading(0, this.total, () => {
      if (!this.indexOfId) {
        this.indexOfId = new Map();
        for (let i = 0; i < this.total; i++)
          this.indexOfId.set(this.field(i, 'id'), i);
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
    });
  }
}

function isPageSummary(value: unknown): value is PageSummary {
  const s = value as Partial<PageSummary> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    Number.isSafeInteger(s.stamp) &&
    typeof s.first?.hlc === 'string' &&
    typeof s.first.id === 'string' &&
    typeof s.firstTime === 'string' &&
    Array.isArray(s.authors) &&
    s.authors.every((a) => typeof a === 'string') &&
    Array.isArray(s.heads) &&
    s.heads.every((h) => typeof h === 'string')
  );
}
