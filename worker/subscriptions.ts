import type { EventRecord } from '../src/index.ts';
import type { Delivery, DocumentFacts } from '../src/contract/index.ts';

export interface SubscriptionSource {
  /** Events of `stream` (every stream when null) after `position`, in position order. */
  after(stream: string | null, position: number): Promise<EventRecord[]>;
}

/** What comes with a batch besides its events: a document's facts, when they may have changed. */
export type Accompany = (
  records: EventRecord[],
) => Promise<DocumentFacts | undefined>;

interface Subscription {
  stream: string | null;
  delivered: number;
  deliver: (batch: Delivery[], facts?: DocumentFacts) => void;
  accompany: Accompany | undefined;
  /** Pumps run one at a time per subscription: the invariant behind "no gap, no duplicate". */
  running: Promise<void>;
  again: boolean;
  active: boolean;
}

/**
 * Live subscriptions fed from the database. Every wake-up (a local commit, another
 * tab's announcement) reads what lies past each subscriber's last delivered position;
 * positions are assigned in commit order, so reading past it can neither skip nor repeat.
 */
export class Subscriptions {
  private next = 1;
  private readonly all = new Map<number, Subscription>();

  constructor(
    private readonly source: SubscriptionSource,
    private readonly onError: (error: unknown) => void,
  ) {}

  add(
    stream: string | null,
    fromPosition: number,
    deliver: (batch: Delivery[], facts?: DocumentFacts) => void,
    accompany?: Accompany,
  ): number {
    const id = this.next++;
    const subscription: Subscription = {
      stream,
      delivered: fromPosition,
      deliver,
      accompany,
      running: Promise.resolve(),
      again: false,
      active: true,
    };
    this.all.set(id, subscription);
    this.pump(subscription);
    return id;
  }

  remove(id: number): void {
    const subscription = this.all.get(id);
    if (subscription) subscription.active = false;
    this.all.delete(id);
  }

  /** Something was committed somewhere: every subscriber catches up. */
  wake(): void {
    for (const subscription of this.all.values()) this.pump(subscription);
  }

  private pump(subscription: Subscription): void {
    if (subscription.again) return;
    subscription.again = true;
    subscription.running = subscription.running
      .then(async () => {
        subscription.again = false;
        if (!subscription.active) return;
        const records = await this.source.after(
          subscription.stream,
          subscription.delivered,
        );
        if (records.length === 0 || !subscription.active) return;
        subscription.delivered = records[records.length - 1]!.pos;
        const batch = records.map((r) => ({ event: r.event, position: r.pos }));
        const facts = await subscription.accompany?.(records);
        if (!subscription.active) return;
        // Copied, not transferred: packed events come from the store's cache of
        // decoded segments, which a transfer would leave with detached payloads.
        subscription.deliver(batch, facts);
      })
      .catch(this.onError);
  }
}
