import type { EventRecord, IngestResult, Log, LogEvent } from '../src/index.ts';
import { LogFeed } from './log-feed.ts';
import { LogClosedError } from '../src/log/errors.ts';

/** How long a feed's failed read waits before it is tried again. */
const RETRY_MS = 1000;

/** A log a relay has open, over whichever storage it keeps logs in. */
export interface OpenedLog {
  log: Log;
  /**
   * Stores a client's batch, when not through `log.ingest`: over PostgreSQL, a log
   * that another relay writes is sent its batches (docs/scaling.md, "One writer
   * per log").
   */
  ingest?(events: Iterable<LogEvent>): Promise<IngestResult>;
  close(): Promise<void>;
}

/** A connection's session of a log, as the log's other sessions see it. */
export interface LogMember {
  /** Send what the peer lacks: another session stored events. */
  push(): void;
  close(code: number, reason: string): void;
}

/** A log open in this relay, with the feed its sessions send from. */
export type LiveLog = OpenedLog & { feed: LogFeed };

/** One open log and who uses it. */
export interface LogSlot {
  readonly logId: string;
  readonly sessions: Set<LogMember>;
  readonly opened: Promise<LiveLog>;
  /** Joins under way: a slot with any is not idle. */
  joining: number;
  idle: ReturnType<typeof setTimeout> | undefined;
}

export interface LogRegistryOptions {
  /**
   * Opens a log: loads its file, or names its rows in the database. `stored` is
   * told the events each write through it stored, once durable.
   */
  open(
    logId: string,
    stored: (records: readonly EventRecord[]) => void,
  ): Promise<OpenedLog>;
  /** A log with no session for this long is closed and leaves memory. */
  idleMs: number;
  say(message: string): void;
}

/**
 * The logs a relay holds open: each loaded on first use, shared by its sessions, and
 * closed once no session has used it for `idleMs`, so memory holds only live logs.
 * A log is never open twice: reopening waits for the previous close to finish.
 */
export class LogRegistry {
  private readonly slots = new Map<string, LogSlot>();
  private readonly closing = new Map<string, Promise<void>>();
  /** Logs whose sessions are pushed to at the next pushSoon. */
  private readonly due = new Set<LogSlot>();
  private pushing: ReturnType<typeof setImmediate> | undefined;
  /** Set by closeAll: a connection still authorizing must not open a log after it. */
  private shut = false;

  constructor(private readonly options: LogRegistryOptions) {}

  /** Logs loaded in memory. */
  get size(): number {
    return this.slots.size;
  }

  /**
   * A session of `logId` stored events, which its feed took as they were committed:
   * each of its sessions is sent what its peer lacks.
   */
  pushTo(logId: string): void {
    const slot = this.slots.get(logId);
    if (slot) this.pushSoon(slot);
  }

  /**
   * Pushes to the sessions of `slot` once the I/O that is waiting has been handled
   * (setImmediate runs after the event loop's poll phase): every write of a group
   * commit resolves at once and tells its log, and a log's sessions are then pushed
   * once, not once per write. The replies a transaction of this relay waits for are
   * handled before the fan-out's socket writes, which would otherwise keep the log's
   * lock held, across every relay, while they are made.
   */
  private pushSoon(slot: LogSlot): void {
    this.due.add(slot);
    if (this.pushing) return;
    this.pushing = setImmediate(() => {
      this.pushing = undefined;
      const due = [...this.due];
      this.due.clear();
      for (const { sessions } of due)
        for (const member of sessions) member.push();
    });
  }

  /**
   * Events were stored in `logId` (in every log open here, without one), up to `at`
   * when that is known: its feed reads them in, unless it holds `at` already (this
   * process wrote past it, or read past it on an earlier word), then each of its
   * sessions is sent what its peer lacks. A read that fails (the database is away)
   * is tried again a second later while the log is open here, so its sessions are
   * not left behind; it never rejects.
   */
  moved(logId?: string, at?: number): Promise<void> {
    const slots =
      logId === undefined
        ? [...this.slots.values()]
        : [this.slots.get(logId)].filter((s) => s !== undefined);
    return Promise.all(slots.map((slot) => this.refresh(slot, at))).then(
      () => undefined,
    );
  }

  private async refresh(slot: LogSlot, at?: number): Promise<void> {
    try {
      const { feed } = await slot.opened;
      if (at !== undefined && feed.end >= at) return;
      await feed.refresh();
      this.pushSoon(slot);
    } catch (error) {
      if (this.slots.get(slot.logId) !== slot) return;
      this.options.say(
        `reading log ${slot.logId}: ${(error as Error)?.message ?? error}; trying again in ${RETRY_MS} ms`,
      );
      setTimeout(() => {
        if (this.slots.get(slot.logId) === slot) void this.refresh(slot);
      }, RETRY_MS).unref();
    }
  }

  /**
   * The slot of `logId`, loaded; the caller adds its session, then calls `joined`.
   * @throws LogClosedError once the relay is closing; whatever opening throws
   *   (ImportError for a damaged file)
   */
  async join(logId: string): Promise<{ slot: LogSlot; opened: LiveLog }> {
    if (this.shut) throw new LogClosedError();
    let slot = this.slots.get(logId);
    if (!slot) {
      const previous = this.closing.get(logId) ?? Promise.resolve();
      slot = {
        logId,
        sessions: new Set(),
        joining: 0,
        idle: undefined,
        opened: previous.then(async () => {
          let feed: LogFeed | undefined;
          // Its own writes go to the feed as they are committed, unread; what it
          // cannot take (another process wrote in between) is read.
          const opened = await this.options.open(logId, (records) => {
            if (feed && !feed.written(records)) void this.moved(logId);
          });
          try {
            feed = await LogFeed.open(opened.log);
            return { ...opened, feed };
          } catch (error) {
            await opened.close();
            throw error;
          }
        }),
      };
      const opened = slot;
      this.slots.set(logId, opened);
      opened.opened.catch(() => {
        if (this.slots.get(logId) === opened) this.slots.delete(logId);
      });
    }
    clearTimeout(slot.idle);
    slot.idle = undefined;
    slot.joining++;
    try {
      return { slot, opened: await slot.opened };
    } catch (error) {
      slot.joining--;
      throw error;
    }
  }

  /** A session of `slot` is ready; the join is complete. */
  joined(slot: LogSlot, member: LogMember): void {
    slot.joining--;
    slot.sessions.add(member);
  }

  /** A join that found its connection gone meanwhile. */
  abandoned(slot: LogSlot): void {
    slot.joining--;
    this.idleLater(slot);
  }

  leave(slot: LogSlot, member: LogMember): void {
    slot.sessions.delete(member);
    this.idleLater(slot);
  }

  /**
   * Drops the log from memory now, ending its sessions with `code`: a log whose file
   * could not be cut back after a failed write is reloaded from the file.
   */
  retire(slot: LogSlot, code: number, reason: string): void {
    for (const member of slot.sessions) member.close(code, reason);
    slot.sessions.clear();
    this.drop(slot);
  }

  /** Closes every log (the relay is shutting down); sessions are closed by then. */
  async closeAll(): Promise<void> {
    this.shut = true;
    for (const slot of [...this.slots.values()]) this.drop(slot);
    await Promise.all(this.closing.values());
  }

  private idleLater(slot: LogSlot): void {
    if (slot.sessions.size > 0 || slot.joining > 0 || slot.idle) return;
    if (this.slots.get(slot.logId) !== slot) return;
    slot.idle = setTimeout(() => {
      slot.idle = undefined;
      if (slot.sessions.size === 0 && slot.joining === 0) this.drop(slot);
    }, this.options.idleMs);
    // An idle log alone does not keep the process alive.
    slot.idle.unref?.();
  }

  private drop(slot: LogSlot): void {
    clearTimeout(slot.idle);
    slot.idle = undefined;
    if (this.slots.get(slot.logId) !== slot) return;
    this.slots.delete(slot.logId);
    const previous = this.closing.get(slot.logId) ?? Promise.resolve();
    const closed: Promise<void> = previous
      .then(() => slot.opened)
      .then((opened) => opened.close())
      .catch((error: Error) =>
        this.options.say(`closing log ${slot.logId}: ${error.message}`),
      )
      .finally(() => {
        if (this.closing.get(slot.logId) === closed)
          this.closing.delete(slot.logId);
      });
    this.closing.set(slot.logId, closed);
  }
}
