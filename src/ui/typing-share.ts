import * as Y from 'yjs';
import type { EventId } from '../index.ts';
import type { RescuedTyping } from '../contract/documents.ts';
import { advance, keyOf } from './heads.ts';

/**
 * What the tabs of one document tell each other before the log does: each Yjs
 * update typed (`n` counts a tab's updates; `base`, the heads its batch was made
 * against; `author`, the label its event names), and, once a batch of them is in
 * the log, which events hold the updates up to `upTo`: `ids`, all of which a tab
 * must have received before the log has given it those updates.
 */
export type TypingMessage =
  | {
      kind: 'typed';
      tab: number;
      n: number;
      update: Uint8Array;
      base: EventId[];
      author: string;
    }
  | { kind: 'committed'; tab: number; upTo: number; ids: EventId[] };

/** A channel between the tabs of one document: what one posts, the others receive. */
export interface TypingChannel {
  post(message: TypingMessage): void;
  /**
   * Runs `gone` once tab `tab` has left the document (closed it, or its page closed,
   * reloaded or crashed), after everything it posted. Tabs that watch one tab run
   * `gone` one at a time, each after the one before has settled.
   */
  watch(tab: number, gone: () => Promise<void>): void;
  /** Leaves the document: this tab's watchers run, and its own watches end. */
  close(): void;
}

/** Opens tab `tab`'s channel, which holds that tab's place until it is closed. */
export type OpenTypingChannel = (
  tab: number,
  receive: (message: TypingMessage) => void,
) => TypingChannel;

/**
 * A BroadcastChannel per document (tabs of one browser profile, one origin), with a
 * Web Lock per tab that it holds from before its first post until it leaves: the
 * browser releases it when the page closes, reloads or crashes, and grants it to
 * the tabs waiting on it one at a time. Undefined where the page has no Web Locks
 * (not a secure context: a page served over plain http to another machine): there
 * no tab could learn that another died with typing it had shown, so typing is not
 * shown early at all, and tabs see each other's edits when they are stored.
 */
export function broadcastTyping(docId: string): OpenTypingChannel | undefined {
  if (
    typeof BroadcastChannel === 'undefined' ||
    typeof navigator === 'undefined' ||
    !navigator.locks
  )
    return undefined;
  const lockOf = (tab: number) => `forkline:typing:${docId}:${tab}`;
  return (tab, receive) => {
    const channel = new BroadcastChannel(`forkline:typing:${docId}`);
    channel.onmessage = ({ data }: MessageEvent<TypingMessage>) =>
      receive(data);
    const leaving = new AbortController();
    let leave!: () => void;
    const left = new Promise<void>((resolve) => (leave = resolve));
    // Posted before this tab holds its lock, a message could reach a tab that
    // would then be granted the lock at once, as if this one had gone.
    let waiting: TypingMessage[] | undefined = [];
    navigator.locks
      .request(lockOf(tab), { signal: leaving.signal }, () => {
        for (const message of waiting ?? []) channel.postMessage(message);
        waiting = undefined;
        return left;
      })
      .catch(() => undefined); // aborted: left before it was granted
    return {
      post: (message) =>
        waiting ? waiting.push(message) : channel.postMessage(message),
      watch: (other, gone) =>
        void navigator.locks
          .request(lockOf(other), { signal: leaving.signal }, gone)
          .catch(() => undefined),
      close: () => {
        leaving.abort();
        leave();
        channel.close();
      },
    };
  };
}

interface EarlyUpdate {
  tab: number;
  n: number;
  update: Uint8Array;
  base: EventId[];
  author: string;
}

/** Early updates a send carried: dropped once its event is in the log. */
export type Carried = EarlyUpdate[];

/**
 * Stores `update`, the typing of a tab that has gone, as an event that names
 * `author` and `expected` (that tab's): unless the log holds all of it already.
 */
export type Rescue = (
  update: Uint8Array,
  expected: EventId[],
  author: string,
) => Promise<RescuedTyping>;

/** What TypingShare needs of its tab. */
export interface TypingShareOptions {
  /** This tab's id: its Y.Doc's client id, fresh and random. */
  tab: number;
  open: OpenTypingChannel;
  /** Shows another tab's update. */
  applyEarly(update: Uint8Array): void;
  /** The events this tab has received through the log (see `received`). */
  inLog: ReadonlySet<EventId>;
  /** The label this tab's events name as their author, now. */
  author(): string;
  /** Saves the typing of a tab that went before its events were stored. */
  rescue: Rescue;
  /** Bytes of early updates one rescued event holds at most (more go as several). */
  rescueBytes: number;
  /** What went wrong saving a gone tab's typing (it was tried RESCUE_TRIES times). */
  onRescueError?(error: Error): void;
}

/** What a tab's owner gives for its typing to be shared (the rest is the tab's own). */
export type SharedTyping = Pick<
  TypingShareOptions,
  'open' | 'author' | 'rescue' | 'onRescueError'
>;

/** Tries at saving a gone tab's typing, a second apart and doubling, before it is left. */
const RESCUE_TRIES = 4;

/**
 * Typing shown in the other tabs of a document as it is typed, before its batch is
 * committed (LiveDocument batches typing for up to MAX_DELAY_MS).
 *
 * Another tab's update applied early may be what this tab's next edit builds on (a
 * character typed next to it, or deleting it), while the event that will carry it
 * is not in the log yet. So until this tab has received that event through the
 * log, a send of its own that builds on such updates carries them too: an event
 * never depends on text the log does not hold. Yjs ignores an update it already
 * has, so carrying one twice is harmless. A send that does not build on them
 * carries nothing: an event holds only its own text, so the conflict timeline sees
 * where each edit really was.
 *
 * A tab may go (closed, reloaded, crashed) before its typing is stored, while every
 * other tab shows it. Each tab watches the tabs whose typing it shows; when one
 * goes, the watchers in turn store what of its typing no event is known to hold,
 * as that tab's (its author label, the heads its batches were made against): the
 * first stores it, and the log, which holds it then, tells the others so. Text a
 * tab showed is never text the log lacks.
 */
export class TypingShare {
  private readonly channel: TypingChannel;
  private typedHere = 0;
  /** Other tabs' updates applied here whose events have not reached this tab yet. */
  private early: EarlyUpdate[] = [];
  /** Words of events holding a tab's updates up to `upTo`, not all received here yet. */
  private commits: { tab: number; upTo: number; ids: Set<EventId> }[] = [];
  /** The tabs watched, so as to save what they typed if they go. */
  private readonly watched = new Set<number>();
  private closed = false;

  constructor(private readonly options: TypingShareOptions) {
    this.channel = options.open(options.tab, (message) =>
      this.receive(message),
    );
  }

  /**
   * Posts an update typed here, made against `base`; returns its number, for
   * `committed`.
   */
  typed(update: Uint8Array, base: EventId[]): number {
    const n = ++this.typedHere;
    this.channel.post({
      kind: 'typed',
      tab: this.options.tab,
      n,
      update,
      base,
      author: this.options.author(),
    });
    return n;
  }

  /** Tells the other tabs that event `id` holds this tab's updates up to `upTo`. */
  committed(upTo: number, id: EventId): void {
    this.channel.post({
      kind: 'committed',
      tab: this.options.tab,
      upTo,
      ids: [id],
    });
  }

  /**
   * Event `id` reached this tab through the log (it is in `inLog` now): the early
   * updates the words of it name are the log's, and no send carries them again. A
   * tab that only watches another type holds no more than the typing not committed
   * yet.
   */
  received(id: EventId): void {
    for (const commit of this.commits) commit.ids.delete(id);
    const done = this.commits.filter((c) => c.ids.size === 0);
    if (done.length === 0) return;
    this.commits = this.commits.filter((c) => c.ids.size > 0);
    for (const { tab, upTo } of done) this.drop(tab, upTo);
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
    this.closed = true;
    this.channel.close();
  }

  private drop(tab: number, upTo: number): void {
    this.early = this.early.filter((e) => e.tab !== tab || e.n > upTo);
  }

  private receive(message: TypingMessage): void {
    if (message.tab === this.options.tab || !Number.isSafeInteger(message.tab))
      return;
    if (message.kind === 'committed') {
      if (!Number.isSafeInteger(message.upTo) || !isIds(message.ids)) return;
      // The events may have come through the log first.
      const ids = new Set(
        message.ids.filter((id) => !this.options.inLog.has(id)),
      );
      if (ids.size === 0) this.drop(message.tab, message.upTo);
      else this.commits.push({ tab: message.tab, upTo: message.upTo, ids });
      return;
    }
    const { tab, n, update, base, author } = message;
    if (
      !(update instanceof Uint8Array) ||
      !Number.isSafeInteger(n) ||
      !isIds(base) ||
      typeof author !== 'string'
    )
      return;
    this.early.push({ tab, n, update, base, author });
    this.options.applyEarly(update);
    if (!this.watched.has(tab)) {
      this.watched.add(tab);
      this.channel.watch(tab, () => this.gone(tab));
    }
  }

  /**
   * Tab `tab` has gone: what of its typing shown here no event is known to hold is
   * stored now, in events of the heads it was typed against, each after the one
   * before, as its own batches would have been.
   */
  private async gone(tab: number): Promise<void> {
    this.watched.delete(tab);
    // Updates a word of an event already covers are the log's, received or not.
    const covered = (e: EarlyUpdate) =>
      this.commits.some((c) => c.tab === tab && e.n <= c.upTo);
    const left = this.early.filter((e) => e.tab === tab && !covered(e));
    let after: { id: EventId; parents: EventId[] } | undefined;
    for (const group of groupsOf(left, this.options.rescueBytes)) {
      const last = group[group.length - 1]!;
      const base = after ? advance(last.base, after) : last.base;
      const rescued = await this.tryRescue(
        withCarried(group, []),
        base,
        last.author,
      );
      if (!rescued) return;
      const ids = 'stored' in rescued ? [rescued.stored] : rescued.heldAt;
      if ('stored' in rescued) after = { id: rescued.stored, parents: base };
      const word = {
        kind: 'committed' as const,
        tab,
        upTo: last.n,
        ids,
      };
      this.channel.post(word);
      this.receive(word);
    }
  }

  private async tryRescue(
    update: Uint8Array,
    base: EventId[],
    author: string,
  ): Promise<RescuedTyping | undefined> {
    let wait = 1000;
    for (let tries = 1; !this.closed; tries++) {
      try {
        return await this.options.rescue(update.slice(), base, author);
      } catch (error) {
        if (tries === RESCUE_TRIES) {
          this.options.onRescueError?.(error as Error);
          return undefined;
        }
        await new Promise((resolve) => setTimeout(resolve, wait));
        wait *= 2;
      }
    }
    return undefined;
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

/** Whether `value` is a list of event ids, as a message from another tab must hold. */
const isIds = (value: unknown): value is EventId[] =>
  Array.isArray(value) && value.every((id) => typeof id === 'string');

/**
 * `updates` in runs typed against the same heads, each of at most `bytes` (or one
 * update, if larger), in their order.
 */
function groupsOf(updates: EarlyUpdate[], bytes: number): EarlyUpdate[][] {
  const groups: EarlyUpdate[][] = [];
  let size = 0;
  for (const early of updates) {
    const group = groups[groups.length - 1];
    const last = group?.[group.length - 1];
    if (
      last &&
      keyOf(last.base) === keyOf(early.base) &&
      size + early.update.length <= bytes
    ) {
      group!.push(early);
      size += early.update.length;
    } else {
      groups.push([early]);
      size = early.update.length;
    }
  }
  return groups;
}

/** One update of the carried early ones and a batch's own, in that order. */
export function withCarried(carried: Carried, own: Uint8Array[]): Uint8Array {
  const all = [...carried.map((e) => e.update), ...own];
  return all.length === 1 ? all[0]! : Y.mergeUpdates(all);
}
