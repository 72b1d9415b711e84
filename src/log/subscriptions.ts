import type { EventFilter } from './event-filter.ts';
import { eventPages, type EventRecord, type Store } from './store.ts';

/** An event and where it was stored: what a subscription delivers. */
export type Stored = Pick<EventRecord, 'event' | 'pos'>;

/** Records stored after a position, in position order, a page at a time. */
export type PagesAfter = (position: number) => AsyncIterable<readonly Stored[]>;

export interface RecordSubscription {
  /** The last position already delivered, or passed over. */
  after: number;
  read: PagesAfter;
  /**
   * The one stream the subscriber follows (`read` then reads that stream alone):
   * the records this log commits are handed to every subscriber, of any stream.
   */
  stream?: string;
  /** Which records the subscriber wants; the rest are passed over. */
  accept?: (record: Stored) => boolean;
  /** Awaited: the next page is read once it returns. */
  deliver: (records: readonly Stored[]) => void | Promise<void>;
  /** Once, when everything stored before the subscription began was delivered. */
  caughtUp?: () => void;
  /** Hears this subscription's failures (a read, a delivery); by default the log's handler. */
  failed?: (error: unknown) => void;
}

interface Running extends RecordSubscription {
  /** Pumps run one at a time per subscription: the invariant behind "no gap, no duplicate". */
  running: Promise<void>;
  again: boolean;
  active: boolean;
  caughtUpSaid: boolean;
}

/**
 * Live subscriptions fed from the store. Every wake-up (a commit through this log,
 * another tab's announcement) reads what lies past each subscriber's cursor;
 * positions are assigned in commit order, so reading past it can neither skip nor
 * repeat. A read that fails is reported and tried again at the next wake-up.
 */
export class Subscriptions {
  private readonly all = new Set<Running>();

  constructor(private readonly onError: (error: unknown) => void) {}

  /** Starts delivering; the returned function stops it (see `stop`). */
  add(subscription: RecordSubscription): () => Promise<void> {
    const running: Running = {
      ...subscription,
      running: Promise.resolve(),
      again: false,
      active: true,
      caughtUpSaid: false,
    };
    this.all.add(running);
    this.pump(running);
    return () => this.stop(running);
  }

  /** Something was committed: every subscriber catches up. */
  wake(): void {
    for (const subscription of this.all) this.pump(subscription);
  }

  /**
   * This log just stored `records` (in position order, one transaction's): a
   * subscriber whose cursor ends right before them is handed them, with no read;
   * any other catches up by reading, as on a wake.
   */
  committed(records: Stored[]): void {
    if (records.length === 0) return;
    for (const s of this.all) this.hand(s, records);
  }

  /** Stops every subscription, as `stop` does each. */
  async close(): Promise<void> {
    await Promise.all([...this.all].map((s) => this.stop(s)));
  }

  /**
   * Nothing is delivered once this is called; resolves when a delivery under way
   * has returned.
   */
  private async stop(subscription: Running): Promise<void> {
    subscription.active = false;
    this.all.delete(subscription);
    await subscription.running;
  }

  private pump(s: Running): void {
    if (s.again) return;
    s.again = true;
    this.then(s, async () => {
      s.again = false;
      await this.drain(s);
    });
  }

  private hand(s: Running, records: Stored[]): void {
    // A read is waiting to run: it reads these too.
    if (s.again) return;
    this.then(s, async () => {
      if (!s.active || s.after >= records[records.length - 1]!.pos) return;
      // Something else was stored after the cursor first (another tab): read.
      if (s.after !== records[0]!.pos - 1 || !s.caughtUpSaid)
        return this.drain(s);
      await this.take(s, records);
    });
  }

  /** Runs `step` after the subscription's steps so far: one at a time, in order. */
  private then(s: Running, step: () => Promise<void>): void {
    s.running = s.running
      .then(step)
      .catch((error: unknown) => (s.failed ?? this.onError)(error));
  }

  /** Reads and delivers everything after the cursor. */
  private async drain(s: Running): Promise<void> {
    for await (const page of s.read(s.after)) {
      if (!s.active) return;
      if (page.length > 0) await this.take(s, page);
    }
    if (s.active && !s.caughtUpSaid) {
      s.caughtUpSaid = true;
      s.caughtUp?.();
    }
  }

  /** Moves the cursor past `page` and delivers what the subscriber wants of it. */
  private async take(s: Running, page: readonly Stored[]): Promise<void> {
    const { stream, accept } = s;
    const wanted =
      stream === undefined && !accept
        ? page
        : page.filter(
            (r) =>
              (stream === undefined || r.event.stream === stream) &&
              (!accept || accept(r)),
          );
    s.after = page[page.length - 1]!.pos;
    if (wanted.length > 0) await s.deliver(wanted);
  }
}

/**
 * The log's records after a position, in pages; with `only`, the store may pass
 * over records that cannot match it (see `Store.eventsFrom`).
 */
export function logPagesAfter(store: Store, only?: EventFilter): PagesAfter {
  return (after) => eventPages(store, after + 1, only);
}

/**
 * Records a page of one stream's catch-up holds at most. A subscriber that takes
 * each page as a task (a tab's open document: one Yjs transaction and one editor
 * change a page, about 10 µs an event) stays responsive through a catch-up of any
 * length: another tab's import, a device back online after a week.
 */
export const STREAM_PAGE = 1000;

/** One stream's records after a position: read through the stream's own index, delivered STREAM_PAGE at a time. */
export function streamPagesAfter(store: Store, stream: string): PagesAfter {
  return async function* (after) {
    const records = await store.streamEventsSince(stream, after);
    for (let i = 0; i < records.length; i += STREAM_PAGE)
      yield records.slice(i, i + STREAM_PAGE);
  };
}
