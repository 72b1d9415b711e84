import type { Log, LogEvent, VersionVector } from '../src/index.ts';
import { storeOf } from '../src/log/log.ts';
import {
  firstLacking,
  type EventRecord,
  type Store,
} from '../src/log/store.ts';
import { seqIn } from '../src/log/version-vector.ts';

/** Recent events kept for the log's sessions: the live part of every push. */
const TAIL_EVENTS = 4096;
/**
 * Events a reader hands over at a time: a batch is filled from runs with no async
 * step per event, and a run cut short by a full batch is short enough to look at
 * again.
 */
const RUN_EVENTS = 128;

interface Entry {
  event: LogEvent;
  pos: number;
}

/**
 * What a relay holds of one open log for its sessions: the events stored lately, in
 * position order, read from the store once however many sessions send them. A
 * session's reader remembers how far into the feed it has looked, so a push costs
 * the events that came since, not a look at the whole log's vector and a scan from
 * the oldest event any peer lacks (which, with a hundred sessions, each push did). A
 * new reader asks the log what its peer lacks; one that fell behind the feed's start
 * (its peer reads slowly) reads the store on from where it stopped.
 */
export class LogFeed {
  private tail: Entry[] = [];
  private lastPos = 0;
  private reading: Promise<void> = Promise.resolve();
  /** A refresh asked for that has not started reading yet. */
  private waiting: Promise<void> | undefined;

  private constructor(
    private readonly store: Store,
    private readonly tailEvents: number,
  ) {}

  /** `tail`: the recent events kept (TAIL_EVENTS); tests make it small. */
  static async open(
    log: Log,
    options: { tail?: number } = {},
  ): Promise<LogFeed> {
    const store = storeOf(log);
    const feed = new LogFeed(store, options.tail ?? TAIL_EVENTS);
    feed.lastPos = (await store.replica()).lastPos;
    return feed;
  }

  /**
   * Takes in what was stored since the last look (by this relay or another). One read
   * at a time; a refresh asked for while one waits to start is that one, which reads
   * whatever is stored by the time it starts: a burst of notifications is one read,
   * not a read each.
   */
  refresh(): Promise<void> {
    if (this.waiting) return this.waiting;
    const run = this.reading.then(async () => {
      this.waiting = undefined;
      for await (const record of this.store.eventsFrom(this.lastPos + 1))
        this.take(record);
    });
    this.waiting = run;
    this.reading = run.catch(() => undefined);
    return run;
  }

  /**
   * Events this process just stored, in position order: taken without reading them
   * back when they follow what the feed holds. Returns false when they do not (a
   * write of another process came between): the caller refreshes.
   */
  written(records: readonly EventRecord[]): boolean {
    for (const record of records) if (!this.take(record)) return false;
    return true;
  }

  /** Adds the event at `lastPos + 1` (skips one it holds); false for a gap. */
  private take(record: EventRecord): boolean {
    if (record.pos <= this.lastPos) return true;
    if (record.pos !== this.lastPos + 1) return false;
    this.tail.push({ event: record.event, pos: record.pos });
    this.lastPos = record.pos;
    // A new array: readers walking the old one are not shifted under. Cut at twice
    // the bound, so the copy is paid once per tailEvents events.
    if (this.tail.length > 2 * this.tailEvents)
      this.tail = this.tail.slice(-this.tailEvents);
    return true;
  }

  /**
   * A session's `since` in runs (SyncedLog's `sinceRuns`): the events a peer holding
   * `vector` lacks, in position order, at most RUN_EVENTS a run. A new reader asks
   * the store once where its peer stands (the first event it lacks); from then on a
   * cursor says how far it has looked, whether its pushes take the whole walk or
   * stop after a batch. The cursor passes a run once the session asks for the next
   * one: a run it stopped in (its batch was full) is offered again, and the events
   * it took are then skipped by `vector`. Behind the tail (a new peer, or one that
   * reads slowly) it reads the store from its cursor up to the tail.
   */
  reader(): (vector: VersionVector) => AsyncIterable<readonly LogEvent[]> {
    let cursor: number | undefined;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const feed = this;
    const lacks = (vector: VersionVector, event: LogEvent) =>
      event.seq > seqIn(vector, event.actor);
    return async function* (vector: VersionVector) {
      if (cursor === undefined) {
        // Everything stored before the first lacking event is held by the peer; with
        // none lacking, everything stored by now, which covers what the feed holds.
        const upTo = feed.lastPos;
        const from = await firstLacking(feed.store, vector);
        cursor = from === undefined ? upTo : from - 1;
      }
      const tail = feed.tail;
      const first = tail[0]?.pos ?? feed.lastPos + 1;
      if (cursor < first - 1) {
        let run: LogEvent[] = [];
        let looked = cursor;
        for await (const { event, pos } of feed.store.eventsFrom(cursor + 1)) {
          if (pos >= first) break;
          if (lacks(vector, event)) run.push(event);
          looked = pos;
          if (run.length === RUN_EVENTS) {
            yield run;
            cursor = looked;
            run = [];
          }
        }
        if (run.length > 0) yield run;
        cursor = looked;
      }
      let lo = 0;
      let hi = tail.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (tail[mid]!.pos <= cursor) lo = mid + 1;
        else hi = mid;
      }
      // tail.length is read as it grows: events taken in meanwhile are met too.
      while (lo < tail.length) {
        const end = Math.min(tail.length, lo + RUN_EVENTS);
        const run: LogEvent[] = [];
        for (let i = lo; i < end; i++)
          if (lacks(vector, tail[i]!.event)) run.push(tail[i]!.event);
        if (run.length > 0) yield run;
        // Taken (the session asked for the next run), or held by the peer already.
        cursor = tail[end - 1]!.pos;
        lo = end;
      }
    };
  }
}
