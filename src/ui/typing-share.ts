import * as Y from 'yjs';
import type { EventId } from '../index.ts';

/**
 * What the tabs of one document tell each other before the log does: each Yjs
 * update typed (`n` counts a tab's updates), and, once a batch of them is an event,
 * which event holds the updates up to `upTo`.
 */
export type TypingMessage =
  | { kind: 'typed'; tab: number; n: number; update: Uint8Array }
  | { kind: 'committed'; tab: number; upTo: number; id: EventId };

/** A channel between the tabs of one document: what one posts, the others receive. */
export interface TypingChannel {
  post(message: TypingMessage): void;
  close(): void;
}

export type OpenTypingChannel = (
  receive: (message: TypingMessage) => void,
) => TypingChannel;

/** A BroadcastChannel per document: tabs of one browser profile, one origin. */
export function broadcastTyping(docId: string): OpenTypingChannel {
  return (receive) => {
    const channel = new BroadcastChannel(`forkline:typing:${docId}`);
    channel.onmessage = ({ data }: MessageEvent<TypingMessage>) =>
      receive(data);
    return {
      post: (message) => channel.postMessage(message),
      close: () => channel.close(),
    };
  };
}

interface EarlyUpdate {
  tab: number;
  n: number;
  update: Uint8Array;
}

/** Early updates a send carried: dropped once its event is in the log. */
export type Carried = EarlyUpdate[];

/**
 * Typing shown in the other tabs of a document as it is typed, before its batch is
 * committed (LiveDocument batches typing for up to MAX_DELAY_MS). Another tab's
 * update applied early may be what this tab's next edit builds on (a character typed
 * next to it, or deleting it), while the event that will carry it is not in the log
 * yet, or never will be if that tab dies first. So until this tab has received that
 * event through the log, a send of its own that builds on such updates carries them
 * too: an event never depends on text the log does not hold. Yjs ignores an update
 * it already has, so carrying one twice is harmless. A send that does not build on
 * them carries nothing: an event holds only its own text, so the conflict timeline
 * sees where each edit really was.
 */
export class TypingShare {
  private readonly channel: TypingChannel;
  private typedHere = 0;
  /** Other tabs' updates applied here whose events have not reached this tab yet. */
  private early: EarlyUpdate[] = [];
  /** Events said to hold a tab's updates up to `upTo`, not received here yet. */
  private commits = new Map<EventId, { tab: number; upTo: number }>();

  constructor(
    /** This tab's id: its Y.Doc's client id, fresh and random. */
    private readonly tab: number,
    open: OpenTypingChannel,
    private readonly applyEarly: (update: Uint8Array) => void,
    /** The events this tab has received through the log (see `received`). */
    private readonly inLog: ReadonlySet<EventId>,
  ) {
    this.channel = open((message) => this.receive(message));
  }

  /** Posts an update typed here; returns its number, for `committed`. */
  typed(update: Uint8Array): number {
    const n = ++this.typedHere;
    this.channel.post({ kind: 'typed', tab: this.tab, n, update });
    return n;
  }

  /** Tells the other tabs that event `id` holds this tab's updates up to `upTo`. */
  committed(upTo: number, id: EventId): void {
    this.channel.post({ kind: 'committed', tab: this.tab, upTo, id });
  }

  /**
   * Event `id` reached this tab through the log (it is in `inLog` now): the early
   * updates it holds are the log's, and no send carries them again. A tab that only
   * watches another type holds no more than the typing not committed yet.
   */
  received(id: EventId): void {
    const commit = this.commits.get(id);
    if (!commit) return;
    this.commits.delete(id);
    this.drop(commit.tab, commit.upTo);
  }

  /**
   * The early updates a send of `own` must carry: none when `own` builds on no
   * early text, else every early update whose event this tab has not received yet,
   * in the order they were typed.
   */
  carriedBy(own: Uint8Array[]): Carried {
    return buildsOn(own, this.early) ? [...this.early] : [];
  }

  /** `carried` went out in one of this tab's own events, which the log now holds. */
  delivered(carried: Carried): void {
    if (carried.length === 0) return;
    const gone = new Set(carried);
    this.early = this.early.filter((e) => !gone.has(e));
  }

  /** Other tabs' updates held, applied early, that the log has not brought here yet. */
  get held(): number {
    return this.early.length;
  }

  close(): void {
    this.channel.close();
  }

  private drop(tab: number, upTo: number): void {
    this.early = this.early.filter((e) => e.tab !== tab || e.n > upTo);
  }

  private receive(message: TypingMessage): void {
    if (message.tab === this.tab) return;
    if (message.kind === 'committed') {
      // The event may have come through the log first.
      if (this.inLog.has(message.id)) this.drop(message.tab, message.upTo);
      else
        this.commits.set(message.id, {
          tab: message.tab,
          upTo: message.upTo,
        });
      return;
    }
    if (!(message.update instanceof Uint8Array)) return;
    this.early.push({ tab: message.tab, n: message.n, update: message.update });
    this.applyEarly(message.update);
  }
}

/**
 * Whether `own` builds on text that only `early` holds: an insertion next to a
 * character of it (its Yjs origin or right origin), or a deletion of one.
 */
function buildsOn(own: Uint8Array[], early: Carried): boolean {
  if (early.length === 0) return false;
  // Per client, the clock ranges [from, to) the early updates inserted.
  const ranges = new Map<number, [number, number][]>();
  for (const { update } of early) {
    const { from, to } = Y.parseUpdateMeta(update);
    for (const [client, start] of from) {
      const list = ranges.get(client) ?? [];
      list.push([start, to.get(client) ?? start]);
      ranges.set(client, list);
    }
  }
  const inEarly = (client: number, clock: number, length = 1) =>
    (ranges.get(client) ?? []).some(
      ([from, to]) => clock < to && clock + length > from,
    );
  return own.some((update) => {
    const { structs, ds } = Y.decodeUpdate(update);
    for (const struct of structs) {
      if (!(struct instanceof Y.Item)) continue;
      for (const id of [struct.origin, struct.rightOrigin])
        if (id && inEarly(id.client, id.clock)) return true;
    }
    for (const [client, deletes] of ds.clients)
      for (const d of deletes) if (inEarly(client, d.clock, d.len)) return true;
    return false;
  });
}

/** One update of the carried early ones and a batch's own, in that order. */
export function withCarried(carried: Carried, own: Uint8Array[]): Uint8Array {
  const all = [...carried.map((e) => e.update), ...own];
  return all.length === 1 ? all[0]! : Y.mergeUpdates(all);
}
