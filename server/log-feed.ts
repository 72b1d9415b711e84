import type { Log, LogEvent, VersionVector } from '../src/index.ts';
import { storeOf } from '../src/log/log.ts';
import {
  firstLacking,
  type EventRecord,
  type Store,
} from '../src/log/store.ts';
import { raiseTo, seqIn } from '../src/log/version-vector.ts';
import {
  encodeEvent,
  EVENTS_ENVELOPE_BYTES,
  MAX_BATCH,
  type OutgoingBatch,
} from '../src/sync/messages.ts';
import { BatchBuilder, type Outbox } from '../src/sync/sync-session.ts';

/** Recent events kept for the log's sessions: the live part of every push. */
const TAIL_EVENTS = 4096;
/**
 * Positions a block of the feed's encoding covers: a caught-up session's batch is
 * views of a few blocks, and a block is encoded again only while it still grows.
 */
const BLOCK_EVENTS = 128;

interface Entry {
  event: LogEvent;
  pos: number;
  /** The event's actor, numbered by this feed: a caught-up outbox reads an array by it. */
  actor: number;
}

/**
 * The feed's events from `first` on as UTF-8, each text followed by a comma: what
 * every caught-up session is sent, encoded once. `ends[i]` is where the text of
 * position `first + i` and its comma end. Bytes once written are never changed
 * (views of them may be on their way to sockets): a block that grows past its
 * buffer moves to a larger one.
 */
interface Block {
  first: number;
  bytes: Uint8Array;
  ends: number[];
}

/**
 * What a relay holds of one open log for its sessions: the events stored lately, in
 * position order, read from the store once however many sessions send them, and
 * each session's outbox (`outbox`). A push costs the events that came since the
 * session last looked, not a look at the whole log's vector and a scan from the
 * oldest event any peer lacks (which, with a hundred sessions, each push did).
 */
export class LogFeed {
  private tail: Entry[] = [];
  private lastPos = 0;
  private reading: Promise<void> = Promise.resolve();
  /** A refresh asked for that has not started reading yet. */
  private waiting: Promise<void> | undefined;
  /** Actor numbers (Entry.actor), and the actor of each number. */
  private readonly actors = new Map<string, number>();
  private readonly actorNames: string[] = [];
  /** Blocks of the tail's encoding, by position / BLOCK_EVENTS. */
  private readonly blocks = new Map<number, Block>();
  /** Outboxes of caught-up sessions: told when the tail is cut from under them. */
  private readonly caughtUp = new Set<FeedOutbox>();

  private constructor(
    /** @internal The log's store, for a reader behind the tail. */
    readonly store: Store,
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

  /**
   * The outbox of a session whose peer holds `sent` (the session's to keep). It
   * starts by asking the store where its peer stands, then goes on by position,
   * checking each event against `sent`. Once it has sent everything the feed holds
   * it is caught up: its peer lacks every later event but those it sent itself, so
   * it is sent the tail's shared encoding less those, without a look-up per event
   * (with hundreds of sessions per log, those look-ups and a copy of every batch
   * per session were a quarter of a relay's work).
   */
  outbox(sent: VersionVector): Outbox {
    return new FeedOutbox(this, sent);
  }

  /** @internal The number of `actor` in this feed. */
  actorNumber(actor: string): number {
    let n = this.actors.get(actor);
    if (n === undefined) {
      n = this.actorNames.length;
      this.actors.set(actor, n);
      this.actorNames.push(actor);
    }
    return n;
  }

  /** @internal The number of `actor`, if the feed has numbered it. */
  numberOf(actor: string): number | undefined {
    return this.actors.get(actor);
  }

  /** @internal Actors numbered. */
  get actorCount(): number {
    return this.actorNames.length;
  }

  /** @internal */
  actorName(n: number): string {
    return this.actorNames[n]!;
  }

  /** @internal The last position the feed holds. */
  get end(): number {
    return this.lastPos;
  }

  /** @internal The first position the tail holds (end + 1 when it is empty). */
  get start(): number {
    return this.tail[0]?.pos ?? this.lastPos + 1;
  }

  /** @internal The entry at `pos`, which the tail holds. */
  entry(pos: number): Entry {
    return this.tail[pos - this.tail[0]!.pos]!;
  }

  /** @internal */
  joined(outbox: FeedOutbox): void {
    this.caughtUp.add(outbox);
  }

  /** @internal */
  left(outbox: FeedOutbox): void {
    this.caughtUp.delete(outbox);
  }

  /**
   * @internal The block holding `pos` (which the tail holds), encoded up to the
   * feed's end or the block's.
   */
  block(pos: number): Block {
    const key = Math.floor((pos - 1) / BLOCK_EVENTS);
    const last = Math.min(this.lastPos, (key + 1) * BLOCK_EVENTS);
    let block = this.blocks.get(key);
    if (!block) {
      // From the first position the tail holds: a reader further back may come.
      const first = Math.max(key * BLOCK_EVENTS + 1, this.start);
      block = { first, bytes: new Uint8Array(0), ends: [] };
      this.blocks.set(key, block);
    }
    let used = block.ends.at(-1) ?? 0;
    for (let p = block.first + block.ends.length; p <= last; p++) {
      const { text, bytes } = encodeEvent(this.entry(p).event);
      if (used + bytes + 1 > block.bytes.length) {
        const larger = new Uint8Array(
          Math.max(2 * block.bytes.length, used + bytes + 1),
        );
        larger.set(block.bytes.subarray(0, used));
        block.bytes = larger;
      }
      used += utf8.encodeInto(text, block.bytes.subarray(used)).written;
      block.bytes[used++] = 0x2c; // ,
      block.ends.push(used);
    }
    return block;
  }

  /** Adds the event at `lastPos + 1` (skips one it holds); false for a gap. */
  private take(record: EventRecord): boolean {
    if (record.pos <= this.lastPos) return true;
    if (record.pos !== this.lastPos + 1) return false;
    this.tail.push({
      event: record.event,
      pos: record.pos,
      actor: this.actorNumber(record.event.actor),
    });
    this.lastPos = record.pos;
    // Cut at twice the bound, so the copy is paid once per tailEvents events.
    if (this.tail.length > 2 * this.tailEvents) this.cutTail();
    return true;
  }

  /**
   * Keeps the last tailEvents events. A new array: readers walking the old one are
   * not shifted under. A caught-up outbox whose next event is cut goes back to
   * checking each event (read from the store) against a vector.
   */
  private cutTail(): void {
    this.tail = this.tail.slice(-this.tailEvents);
    const start = this.tail[0]!.pos;
    for (const outbox of this.caughtUp)
      if (outbox.position < start - 1) outbox.fallBehind();
    // A block whose next event to encode is cut is made again if it is needed.
    for (const [key, block] of this.blocks)
      if (block.first + block.ends.length < start) this.blocks.delete(key);
  }
}

const utf8 = new TextEncoder();

/**
 * A session's outbox over the feed. Until caught up it holds the vector of what was
 * sent (`sent`) and checks each event against it; behind the tail (a new peer, or
 * one that reads slowly) it reads the store from its cursor. Caught up, what was
 * sent is everything up to the cursor, and beyond it, by actor number, the highest
 * seq the peer holds otherwise (`extra`: what it sent, and at first the vector it
 * was caught up with): an event beyond the cursor is lacking unless `extra` covers
 * it. The feed orders each actor's events by seq, so once the cursor passes an
 * actor's event at or above its `extra`, the entry says nothing more.
 */
class FeedOutbox implements Outbox {
  /** The last position whose event the peer holds or was sent, and every one before. */
  private cursor: number | undefined;
  /** What was sent, until caught up. */
  private sent: VersionVector | undefined;
  /** Caught up: by actor number, a seq the peer holds beyond the cursor, or 0. */
  private extra: number[] = [];
  /**
   * Caught up: the same for actors the feed has not numbered yet. The peer's hello
   * names them, so they stay with its session: numbered, they would stay with the
   * feed, and a peer could grow it with every connection.
   */
  private readonly unnumbered = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly feed: LogFeed,
    sent: VersionVector,
  ) {
    this.sent = sent;
  }

  /** Where a caught-up outbox stands (the feed cuts its tail by it). */
  get position(): number {
    return this.cursor ?? 0;
  }

  next(limit: number): Promise<OutgoingBatch | undefined> {
    if (!this.sent) return Promise.resolve(this.caughtUpBatch(limit));
    return this.lookingBatch(limit, this.sent);
  }

  held(events: readonly LogEvent[]): void {
    if (this.sent) return raiseTo(this.sent, events);
    // Stored (and so verified) events: their actors are the log's.
    for (const { actor, seq } of events) {
      const n = this.feed.actorNumber(actor);
      this.reach(n);
      if (this.extra[n]! < seq) this.extra[n] = seq;
    }
  }

  close(): void {
    this.closed = true;
    this.feed.left(this);
  }

  /**
   * The feed is cutting the events after the cursor: from now on this outbox checks
   * each event against a vector. Only events after the cursor are checked, and an
   * actor's events there have higher seqs than any of its events up to the cursor,
   * so what the peer holds beyond those, `extra`, is the whole vector it needs.
   */
  fallBehind(): void {
    const sent: VersionVector = Object.create(null);
    for (const [actor, seq] of this.unnumbered) sent[actor] = seq;
    this.extra.forEach((seq, n) => {
      if (seq > 0) sent[this.feed.actorName(n)] = seq;
    });
    this.sent = sent;
    this.extra = [];
    this.unnumbered.clear();
    this.feed.left(this);
  }

  /** Makes `extra` cover actor number `n`, taking actors numbered since from `unnumbered`. */
  private reach(n: number): void {
    while (this.extra.length <= n) {
      const name = this.feed.actorName(this.extra.length);
      this.extra.push(this.unnumbered.get(name) ?? 0);
      this.unnumbered.delete(name);
    }
  }

  /** Checking each event against `sent`: from the store up to the tail, then the tail. */
  private async lookingBatch(
    limit: number,
    sent: VersionVector,
  ): Promise<OutgoingBatch | undefined> {
    const feed = this.feed;
    const builder = new BatchBuilder(limit);
    const lacks = (event: LogEvent) => event.seq > seqIn(sent, event.actor);
    if (this.cursor === undefined) {
      // Everything stored before the first lacking event is held by the peer; with
      // none lacking, everything stored by now, which covers what the feed holds.
      const upTo = feed.end;
      const from = await firstLacking(feed.store, sent);
      this.cursor = from === undefined ? upTo : from - 1;
    }
    let full = false;
    if (this.cursor < feed.start - 1) {
      for await (const { event, pos } of feed.store.eventsFrom(
        this.cursor + 1,
      )) {
        if (pos >= feed.start) break;
        if (lacks(event) && !builder.add(event)) {
          full = true;
          break;
        }
        this.cursor = pos;
      }
    }
    // Past the store's read, the tail, without an await: nothing is cut meanwhile.
    if (!full && this.cursor >= feed.start - 1)
      for (let pos = this.cursor + 1; pos <= feed.end; pos++) {
        const { event } = feed.entry(pos);
        if (lacks(event) && !builder.add(event)) {
          full = true;
          break;
        }
        this.cursor = pos;
      }
    raiseTo(sent, builder.events);
    if (!full && this.cursor === feed.end && !this.closed) {
      // Caught up: what the peer holds beyond the cursor is at most `sent`.
      this.extra = Array.from({ length: feed.actorCount }, () => 0);
      for (const [actor, seq] of Object.entries(sent)) {
        const n = feed.numberOf(actor);
        if (n === undefined) this.unnumbered.set(actor, seq);
        else this.extra[n] = seq;
      }
      this.sent = undefined;
      feed.joined(this);
    }
    return builder.batch();
  }

  /** Caught up: views of the tail's shared encoding, less what the peer holds. */
  private caughtUpBatch(limit: number): OutgoingBatch | undefined {
    const feed = this.feed;
    const extra = this.extra;
    const pieces: Uint8Array[] = [];
    let cursor = this.cursor!;
    let count = 0;
    let bytes = EVENTS_ENVELOPE_BYTES;
    let block: Block | undefined;
    let from = 0;
    let to = 0;
    for (let pos = cursor + 1; pos <= feed.end; pos++) {
      const { actor, event } = feed.entry(pos);
      if (actor >= extra.length) this.reach(actor);
      const holds = extra[actor]!;
      if (holds >= event.seq) {
        if (holds === event.seq) extra[actor] = 0;
        cursor = pos;
        continue;
      }
      if (!block || pos >= block.first + block.ends.length) {
        if (block && to > from) pieces.push(block.bytes.subarray(from, to));
        block = feed.block(pos);
        from = to =
          pos === block.first ? 0 : block.ends[pos - block.first - 1]!;
      }
      const at = pos - block.first;
      const start = at === 0 ? 0 : block.ends[at - 1]!;
      const end = block.ends[at]!;
      if (count > 0 && bytes + (end - start) > limit) break;
      if (holds > 0) extra[actor] = 0;
      if (start !== to) {
        if (to > from) pieces.push(block.bytes.subarray(from, to));
        from = start;
      }
      to = end;
      count++;
      bytes += end - start;
      cursor = pos;
      if (count === MAX_BATCH) break;
    }
    if (block && to > from) pieces.push(block.bytes.subarray(from, to));
    this.cursor = cursor;
    if (count === 0) return undefined;
    // The last text's comma is not sent.
    const last = pieces.length - 1;
    pieces[last] = pieces[last]!.subarray(0, pieces[last]!.length - 1);
    return { count, utf8: pieces };
  }
}
