import * as Y from 'yjs';
import {
  LIMITS,
  TEXT_EDITED,
  textUpdateOf,
  VERSION_RESTORED,
  type AppendResult,
  type EventId,
  type Json,
  type LogEvent,
  type TextSplice,
} from '../index.ts';
import { fieldWritesOf, readableTextUpdate } from '../doc/doc-events.ts';
import { ClientClaims } from '../doc/client-claims.ts';
import { PIECE_BYTES, piecesOfUpdate } from '../doc/update-pieces.ts';
import type { SideEdits } from '../doc/conflict-changes.ts';
import { takeBackSplices } from '../doc/text-restore.ts';
import { loneSurrogateIn } from '../doc/text-splice.ts';
import {
  TypingShare,
  withCarried,
  type Carried,
  type SharedTyping,
} from './typing-share.ts';
import { advance, keyOf } from './heads.ts';

/** A change to a Y.Text: retain, insert and delete runs from its start. */
export type TextDelta = Y.YTextEvent['delta'];

/** Typing is sent after this much quiet, and never held longer than MAX_DELAY_MS. */
export const QUIET_MS = 80;
export const MAX_DELAY_MS = 250;
/**
 * An event holds at most LIMITS.maxDataBytes of data. A batch ends before its
 * updates pass a quarter of that (other tabs' early updates it carries come on top),
 * and a transaction larger than that (a paste of megabytes, or undoing the deletion
 * of them) is sent in pieces: saved as several events, never as one the log refuses
 * every time it is sent.
 */
const BATCH_BYTES = PIECE_BYTES;
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 60_000;

const LOCAL = Symbol('local edit');
const REMOTE = Symbol('remote edit');
/**
 * A change this tab made by a command rather than by typing (taking a conflict's
 * side back): sent and undone as typing is, and shown to the view, which did not
 * make it.
 */
const COMMAND = Symbol('command');
/**
 * A text change this tab asked the log for (restoring a version): stored already,
 * so not sent, but this tab's to undo, as typing is.
 */
const OWN = Symbol('own write');
const EARLY = Symbol('another tab typing');

interface Batch {
  /** The heads these edits were made against: exactly what they had seen. */
  base: EventId[];
  updates: Uint8Array[];
  /** Bytes of `updates`. */
  bytes: number;
  /** What was sent for it, once sent: its echo is recognised by these bytes. */
  sent?: Uint8Array;
  /** The number TypingShare gave its last update. */
  upTo: number;
  /** Other tabs' early updates it carries (see TypingShare). */
  carried?: Carried;
  /** Its event, once the log stored it. */
  stored?: { id: EventId; parents: EventId[] };
  /**
   * Its time came (its timer fired, or a flush or retry was asked for): it goes
   * out once the batches before it have. A batch opened while others are sent
   * waits for its own time.
   */
  due?: boolean;
}

export interface LiveDocumentOptions {
  /** Y.encodeStateAsUpdate of the document at `heads`. */
  state: Uint8Array;
  heads: EventId[];
  /** Later events already in `state`, to skip when delivered. */
  included: EventId[];
  /**
   * Whose events write under each Yjs client id of `state` (ClientClaims): an event
   * delivered that writes under another writer's is not taken, as the fold takes
   * none. None known when omitted.
   */
  claims?: readonly (readonly [number, readonly string[], number])[];
  send(update: Uint8Array, expected: EventId[]): Promise<AppendResult>;
  /** Whether unsent edits exist changed, or a send failed (the edit stays queued). */
  onPendingChange?(pending: number, error?: Error): void;
  /**
   * Shows typing in the document's other tabs as it is typed, before it is batched,
   * and stores the typing such a tab showed here when it goes before storing it
   * (see TypingShare).
   */
  shareTyping?: SharedTyping;
  /**
   * Undo or redo took back, or made again, the text of one of this tab's restores:
   * the fields that restore changed are to be written as `fields` says, each with
   * all its values (a field in conflict gets all its values back). Returns what
   * those fields hold now, before the write: what redoing it (or undoing the redo)
   * writes back, however many values the restore had written.
   */
  onFieldsUndone?(fields: FieldValues): FieldValues;
  /**
   * This tab's own typing came back written under a Yjs client id that another
   * writer's events hold (ClientClaims): the fold does not take it, so the tab's
   * typing from here on would be in the log and not in the document.
   */
  onOwnTypingRefused?(error: Error): void;
}

/** Fields, each with all its values; [null] for one that held none. */
export type FieldValues = Record<string, Json[]>;

/** The values the fields `names` hold in `held` (a document's live values). */
export const valuesHeld = (
  names: Iterable<string>,
  held: Readonly<Record<string, Json[]>>,
): FieldValues =>
  Object.fromEntries(
    [...names].map((name) => [
      name,
      held[name]?.length ? [...held[name]] : [null],
    ]),
  );

/** What Yjs's UndoManager tells of an item added to, updated on or popped off a stack. */
interface StackEvent {
  stackItem: Y.UndoManager['undoStack'][number];
  type: 'undo' | 'redo';
  origin: unknown;
}
/**
 * The key, in a Yjs undo stack item's meta, of the FieldValues that popping the item
 * writes (the text of one of this tab's restores, undone or redone).
 */
const FIELDS = 'forkline:fields';
/** The key, in a Yjs undo stack item's meta, of when it was made (`LiveDocument.made`). */
const MADE = 'forkline:made';

/**
 * The version a restore event restores (its `data.from`), as `keyOf` writes it; ''
 * for any other event, or a restore whose data does not read (it came from anyone).
 */
function restoredKeyOf(event: LogEvent): string {
  if (event.type !== VERSION_RESTORED) return '';
  const from = (event.data as { from?: unknown } | null)?.from;
  return Array.isArray(from) && from.every((id) => typeof id === 'string')
    ? keyOf(from)
    : '';
}

/**
 * Applies a Yjs update from the log; false when it does not decode (Yjs may have
 * taken part of it, as the worker's fold does).
 */
function applyFromLog(doc: Y.Doc, update: Uint8Array, origin: symbol): boolean {
  try {
    Y.applyUpdate(doc, update, origin);
    return true;
  } catch {
    return false;
  }
}

/**
 * One tab's live copy of a document's text: a Y.Doc with its own fresh client id,
 * fed by the log's deliveries and by local typing. Local edits are batched into
 * events; each batch records the heads its edits had seen, so the log learns
 * exactly which edits were concurrent.
 */
export class LiveDocument {
  readonly ydoc = new Y.Doc();
  readonly text = this.ydoc.getText('body');
  private seen: EventId[];
  private readonly applied = new Set<EventId>();
  private readonly batches: Batch[] = [];
  private open: Batch | undefined;
  private sending: Promise<void> | undefined;
  private inFlight: Batch | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private firstPendingAt = 0;
  private closed = false;
  /** After a refused send: wait this long before trying again, doubling up to a minute. */
  private retryMs = RETRY_MIN_MS;
  private readonly sharing: TypingShare | undefined;

  /** Changes to the text not typed here (others' edits, undo and redo), not yet taken. */
  private remote: TextDelta[] = [];
  private readonly watchers = new Set<() => void>();
  /**
   * Undo and redo of this tab's own typing, never of anyone else's, as Yjs's
   * UndoManager does it: an undo is an edit like any other, sent as an event.
   */
  private readonly history = new Y.UndoManager(this.text, {
    trackedOrigins: new Set([LOCAL, OWN, COMMAND]),
    captureTimeout: 500,
  });
  /**
   * This tab's restores that changed fields and no text, to undo and redo: Yjs
   * stacks only changes to the text. Taken in turn with Yjs's items, by the order
   * each was made (an item's `MADE`).
   */
  private readonly fieldsOnly = {
    undo: [] as { made: number; fields: FieldValues }[],
    redo: [] as { made: number; fields: FieldValues }[],
  };
  /** Undo and redo entries made so far, Yjs's items and fields-only restores alike. */
  private made = 0;
  /**
   * Versions this tab asked to restore, by their heads (`keyOf`), each with the
   * fields' values before it: see `restoring`.
   */
  private readonly restores = new Map<string, Record<string, Json[]>>();
  /** Whose events write under each Yjs client id here (the fold's ClientClaims). */
  private readonly claims: ClientClaims;
  /** onOwnTypingRefused was called. */
  private refusedOwn = false;

  constructor(private readonly options: LiveDocumentOptions) {
    this.claims = new ClientClaims(options.claims);
    Y.applyUpdate(this.ydoc, options.state, REMOTE);
    this.text.observe((event) => {
      if (event.transaction.origin !== LOCAL) this.remote.push(event.delta);
    });
    this.seen = [...options.heads].sort();
    options.included.forEach((id) => this.applied.add(id));
    this.sharing =
      options.shareTyping &&
      new TypingShare({
        ...options.shareTyping,
        tab: this.ydoc.clientID,
        applyEarly: (update) => {
          Y.applyUpdate(this.ydoc, update, EARLY);
          this.showChanges();
        },
        inLog: this.applied,
        rescueBytes: BATCH_BYTES,
      });
    // A restore's text and fields are one change: undoing its text writes back the
    // fields it changed, and redoing it writes them again. (Undo took back the text
    // only, and a title the restore had replaced stayed lost.)
    this.history.on('stack-item-popped', ({ stackItem, type }: StackEvent) => {
      const fields = stackItem.meta.get(FIELDS) as FieldValues | undefined;
      if (!fields || !this.options.onFieldsUndone) return;
      const replaced = this.options.onFieldsUndone(fields);
      // What this undo or redo put on the other stack writes back, in turn, what
      // the fields held before it.
      const other =
        type === 'undo' ? this.history.redoStack : this.history.undoStack;
      other[other.length - 1]?.meta.set(FIELDS, replaced);
    });
    // A change of this tab's own that is no undo or redo leaves nothing to redo,
    // fields-only restores included (Yjs clears its own redo stack then).
    const changed = ({ type, origin }: StackEvent) => {
      if (type === 'undo' && origin !== this.history) this.fieldsOnly.redo = [];
    };
    this.history.on('stack-item-added', (event: StackEvent) => {
      event.stackItem.meta.set(MADE, ++this.made);
      changed(event);
    });
    this.history.on('stack-item-updated', changed);
    this.ydoc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin !== LOCAL && origin !== COMMAND && origin !== this.history)
        return;
      for (const piece of piecesOfUpdate(update, BATCH_BYTES))
        this.queue(piece);
      this.schedule();
      this.options.onPendingChange?.(this.pending);
    });
  }

  get heads(): EventId[] {
    return this.seen;
  }

  /**
   * The changes to the text not typed into the view since the last call (someone
   * else's edits, and this tab's undo and redo), oldest first, as Yjs deltas: what a
   * view holding the text as of the last call applies to be current, without
   * comparing the whole text.
   */
  takeRemoteChanges(): TextDelta[] {
    const taken = this.remote;
    this.remote = [];
    return taken;
  }

  /**
   * Calls `watcher` right after each change to the text not typed here (the changes:
   * `takeRemoteChanges`), before anything else can run: a view that takes them then
   * is never behind the text when its user types. Returns the function that stops it.
   */
  watch(watcher: () => void): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  private showChanges(): void {
    for (const watcher of this.watchers) watcher();
  }

  /**
   * Undoes this tab's last run of typing (runs end after half a second without
   * typing), leaving everyone else's edits as they are. The change reaches the view
   * as `takeRemoteChanges` do, since it was not typed there. False if nothing is
   * left to undo.
   */
  undo(): boolean {
    return this.step('undo');
  }

  /** Makes again what `undo` took back. False if nothing is left to redo. */
  redo(): boolean {
    return this.step('redo');
  }

  /**
   * Undoes or redoes the latest change on that side: a Yjs stack item, or a restore
   * of fields alone, whichever was made later.
   */
  private step(type: 'undo' | 'redo'): boolean {
    const [items, entries, other] =
      type === 'undo'
        ? [this.history.undoStack, this.fieldsOnly.undo, this.fieldsOnly.redo]
        : [this.history.redoStack, this.fieldsOnly.redo, this.fieldsOnly.undo];
    const entry = entries[entries.length - 1];
    const item = items[items.length - 1];
    if (entry && entry.made > ((item?.meta.get(MADE) as number) ?? 0)) {
      entries.pop();
      const replaced = this.options.onFieldsUndone!(entry.fields);
      other.push({ made: ++this.made, fields: replaced });
      return true;
    }
    const done =
      (type === 'undo' ? this.history.undo() : this.history.redo()) !== null;
    if (done) this.showChanges();
    return done;
  }

  /** Other tabs' typing shown here early whose events the log has not brought yet. */
  get earlyHeld(): number {
    return this.sharing?.held ?? 0;
  }

  /** Events typed here that the log has not acknowledged yet. */
  get pending(): number {
    return this.batches.length;
  }

  /**
   * Applies edits made here (typing, a paste) to the text in one transaction, each
   * at its position in the text the ones before it left; they are sent shortly.
   * `alone`: undo takes it back by itself, not with the typing around it (a paste,
   * a cut, a drop, as editors do).
   */
  edit(splices: readonly TextSplice[], { alone = false } = {}): void {
    if (alone) this.history.stopCapturing();
    this.ydoc.transact(() => {
      for (const { index, deleteCount, insert } of splices) {
        if (deleteCount > 0) this.text.delete(index, deleteCount);
        if (insert) this.text.insert(index, insert);
      }
    }, LOCAL);
    if (alone) this.history.stopCapturing();
  }

  /**
   * Takes one writer's change in a conflict back out of the text (a side's `edits`,
   * by Yjs id: `takeBackSplices`), as one change of this tab's: sent as its typing
   * is, undone alone, and shown to the view. False when the text holds none of the
   * change any more (taken back already, here or anywhere, or undone by its writer).
   * @throws Error when the change cannot be made without splitting a character.
   */
  takeBack(edits: SideEdits): boolean {
    const splices = takeBackSplices(this.text, edits);
    if (!splices || splices.some(({ insert }) => loneSurrogateIn(insert) >= 0))
      throw new Error(
        'that side’s change could not be taken back: the text around it is not as Yjs left it',
      );
    if (splices.length === 0) return false;
    this.history.stopCapturing();
    this.ydoc.transact(() => {
      for (const { index, deleteCount, insert } of splices) {
        if (deleteCount > 0) this.text.delete(index, deleteCount);
        if (insert) this.text.insert(index, insert);
      }
    }, COMMAND);
    this.history.stopCapturing();
    this.showChanges();
    return true;
  }

  /**
   * Deliveries from the log, in position order: others' edits and the echo of ours.
   * Applied in one Yjs transaction: however many events a delivery holds (a
   * catch-up after a night offline, another tab's import), the view takes one
   * change, not one per event.
   */
  receive(events: LogEvent[]): void {
    let changed = false;
    const own: { update: Uint8Array; event: LogEvent }[] = [];
    this.ydoc.transact(() => {
      changed = this.take(events, own);
    }, REMOTE);
    // Outside that transaction: one applied within it takes its origin.
    for (const { update, event } of own)
      this.applyOwn(update, this.fieldsUndo(event));
    if (changed || own.length > 0) this.showChanges();
  }

  /**
   * An event this page wrote itself beside its typing (a field, a restore, a
   * deletion), once stored. A tab is one writer, and one writer never collides with
   * itself: the edits not sent yet build on it, as they build on this tab's own text
   * events. (Taken as someone else's, a rename followed at once by typing was
   * recorded as concurrent with that typing, and the conflict timeline counted the
   * tab's own first words into the next episode with another tab.) A delivery of it
   * later is skipped.
   */
  wrote(event: LogEvent): void {
    if (this.applied.has(event.id)) return;
    this.sharing?.received(event.id);
    this.buildOn(
      event,
      this.batches.filter((b) => b.sent === undefined),
    );
    const update = textUpdateOf(event);
    if (update) {
      this.applyOwn(update, this.fieldsUndo(event));
      this.showChanges();
    } else this.ownFieldsOnly(event);
  }

  /**
   * Says that this tab is restoring the version at `at`: that restore's text change
   * is this tab's to undo, however it arrives (its event may be delivered before the
   * log answers the request with it). Undo takes it back alone; without this, Ctrl+Z
   * right after a restore passed over the typing it had deleted and took back older
   * typing instead. Returns the function that ends the wait.
   */
  restoring(
    at: EventId[],
    /** The fields' values before the restore: what undoing it writes back. */
    fieldsBefore: Record<string, Json[]> = {},
  ): () => void {
    const key = keyOf(at);
    this.restores.set(key, fieldsBefore);
    return () => this.restores.delete(key);
  }

  /**
   * What undoing `event`, if it is one of this tab's restores, writes to the fields
   * it changed: their values before it.
   */
  private fieldsUndo(event: LogEvent): FieldValues | undefined {
    const before = this.restores.get(restoredKeyOf(event));
    if (!before) return undefined;
    let changed;
    try {
      changed = new Set(fieldWritesOf(event).map((w) => w.field));
    } catch {
      return undefined;
    }
    return changed.size > 0 ? valuesHeld(changed, before) : undefined;
  }

  /**
   * `event`, when it is one of this tab's restores that changed fields alone: undone
   * and redone as a change of this tab's own, after the typing before it.
   */
  private ownFieldsOnly(event: LogEvent): void {
    const fields = this.fieldsUndo(event);
    if (!fields || !this.options.onFieldsUndone) return;
    this.history.stopCapturing();
    this.history.clear(false, true);
    this.fieldsOnly.redo = [];
    this.fieldsOnly.undo.push({ made: ++this.made, fields });
  }

  /**
   * A text change of this tab's own stored by other means: undone alone, never
   * sent; with `fields`, the fields its undo and redo write.
   */
  private applyOwn(update: Uint8Array, fields?: FieldValues): void {
    this.history.stopCapturing();
    const items = this.history.undoStack.length;
    applyFromLog(this.ydoc, update, OWN);
    this.history.stopCapturing();
    if (fields && this.history.undoStack.length > items)
      this.history.undoStack[items]!.meta.set(FIELDS, fields);
  }

  /**
   * The typing not stored yet, sent now, for a write that begins meanwhile (a
   * rename): the function returned waits for that send, then moves the heads the
   * write builds on past the events of that typing the log stored. So the write
   * follows this tab's own typing, while what it had seen of everyone else stays as
   * it was. A send that fails leaves the heads as they were: never a wait for ever.
   */
  unsent(): (heads: EventId[]) => Promise<EventId[]> {
    const waiting = [...this.batches];
    const sent = waiting.length > 0 ? this.flush() : Promise.resolve();
    return async (heads) => {
      await sent;
      return waiting.reduce(
        (h, b) => (b.stored ? advance(h, b.stored) : h),
        heads,
      );
    };
  }

  /**
   * `receive`'s work, inside its transaction; whether the text changed. The updates
   * of this tab's own restores go into `own`, to apply as its own after it.
   */
  private take(
    events: LogEvent[],
    own: { update: Uint8Array; event: LogEvent }[],
  ): boolean {
    let changed = false;
    for (const event of events) {
      if (this.applied.has(event.id)) continue;
      // Another replica's change may not read (a text edit of no bytes, bytes that
      // are no Yjs update): passed over, as the worker's fold passes over it
      // (`DocState.apply`), and the events after it in the delivery still taken.
      // Thrown, it stopped the delivery there, and this tab's text lacked them.
      const update = readableTextUpdate(event);
      // Ours when it carries the exact bytes of a batch this tab sent (they embed this
      // tab's own Yjs client id). Not by actor: after an actor fork the worker writes
      // under a fresh one the page has not been told of. Not by author: a duplicated
      // tab starts with its original's label.
      const sent =
        event.type === TEXT_EDITED && update ? this.sentAs(update) : undefined;
      // As the fold takes it: an update under another writer's Yjs client id is
      // passed over (after an actor fork, this tab's own are the old actor's).
      let claimed = false;
      if (!sent)
        try {
          if (update) this.claims.take(event, update);
          claimed = true;
        } catch {
          // Passed over below.
        }
      if (sent) {
        // Our own event, delivered before its append resolved (or after its worker died).
        this.acknowledge(event, sent);
        continue;
      }
      this.applied.add(event.id);
      this.sharing?.received(event.id);
      // Edits typed so far did not see this event: close their batch.
      this.open = undefined;
      this.seen = advance(this.seen, event);
      if (!update) {
        this.ownFieldsOnly(event);
        continue;
      }
      if (!claimed) continue;
      if (this.restores.has(restoredKeyOf(event))) own.push({ update, event });
      else if (applyFromLog(this.ydoc, update, REMOTE)) changed = true;
    }
    return changed;
  }

  /**
   * Sends every queued batch now, one at a time, in order. Typing that goes on
   * meanwhile is a new batch, sent when its own timer fires: a send that took it
   * too would turn steady typing into an event per worker round trip.
   */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    for (const batch of this.batches) batch.due = true;
    this.sending ??= this.sendAll().finally(() => (this.sending = undefined));
    return this.sending;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.sharing?.close();
    this.history.destroy();
    this.ydoc.destroy();
  }

  /** An update made here joins the open batch, or opens the next one. */
  private queue(update: Uint8Array): void {
    if (this.open && this.open.bytes + update.length > BATCH_BYTES) {
      // Full: it goes with the next send; later batches build on its event.
      this.open.due = true;
      this.open = undefined;
    }
    if (!this.open) {
      // The wait is the oldest waiting batch's: one closed by a delivery still counts.
      if (!this.batches.some((b) => !b.due)) this.firstPendingAt = Date.now();
      this.open = { base: this.seen, updates: [], bytes: 0, upTo: 0 };
      this.batches.push(this.open);
    }
    this.open.updates.push(update);
    this.open.bytes += update.length;
    this.open.upTo = this.sharing?.typed(update, this.open.base) ?? 0;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    const wait = Math.max(
      0,
      Math.min(QUIET_MS, this.firstPendingAt + MAX_DELAY_MS - Date.now()),
    );
    this.timer = setTimeout(() => void this.flush(), wait);
  }

  private async sendAll(): Promise<void> {
    while (this.batches[0]?.due && !this.closed) {
      const batch = this.batches[0];
      if (batch === this.open) this.open = undefined;
      // A retry sends the very same bytes; send gets a copy, as it may move it to the worker.
      if (!batch.sent) {
        const carried = this.sharing?.carriedBy(batch.updates) ?? [];
        if (this.carryAhead(batch, carried)) continue;
        batch.carried = carried;
        batch.sent = withCarried(carried, batch.updates);
      }
      this.inFlight = batch;
      let result: AppendResult;
      try {
        result = await this.options.send(batch.sent.slice(), batch.base);
      } catch (error) {
        // Kept: the batch stays first in line, retried with backoff (or sooner, on the next edit).
        this.inFlight = undefined;
        this.options.onPendingChange?.(this.pending, error as Error);
        clearTimeout(this.timer);
        if (!this.closed)
          this.timer = setTimeout(() => void this.flush(), this.retryMs);
        this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
        return;
      }
      this.inFlight = undefined;
      this.retryMs = RETRY_MIN_MS;
      this.acknowledge(result.event, batch);
      this.options.onPendingChange?.(this.pending);
    }
  }

  /**
   * When the early updates `batch` must carry would make its event larger than the
   * log takes (another tab's paste of megabytes, shown here, then typed next to),
   * queues them ahead of it in events of their own, BATCH_BYTES at most each, and
   * says so. `batch` then carries nothing.
   */
  private carryAhead(batch: Batch, carried: Carried): boolean {
    const bytes = carried.reduce((n, e) => n + e.update.length, 0);
    if (bytes + batch.bytes <= LIMITS.maxDataBytes) return false;
    const ahead: Batch[] = [];
    for (const early of carried) {
      const last = ahead.at(-1);
      if (last && last.bytes + early.update.length <= BATCH_BYTES) {
        last.carried!.push(early);
        last.bytes += early.update.length;
      } else
        ahead.push({
          base: batch.base,
          updates: [],
          bytes: early.update.length,
          upTo: 0,
          carried: [early],
          due: true,
        });
    }
    for (const carry of ahead) carry.sent = withCarried(carry.carried!, []);
    batch.carried = [];
    batch.sent = withCarried([], batch.updates);
    this.batches.splice(this.batches.indexOf(batch), 0, ...ahead);
    return true;
  }

  /** The batch this tab sent as exactly `update`, if any. */
  private sentAs(update: Uint8Array): Batch | undefined {
    return this.batches.find(
      (b) =>
        b.sent !== undefined &&
        b.sent.length === update.length &&
        b.sent.every((byte, i) => byte === update[i]),
    );
  }

  /** Our event is in the log: its batch is done, and every later batch had seen it. */
  private acknowledge(event: LogEvent, batch: Batch): void {
    batch.stored = { id: event.id, parents: event.parents };
    const index = this.batches.indexOf(batch);
    if (index >= 0) {
      this.batches.splice(index, 1);
      if (batch.updates.length > 0)
        this.sharing?.committed(batch.upTo, event.id);
      this.sharing?.delivered(batch.carried ?? []);
    }
    if (this.inFlight === batch) this.inFlight = undefined;
    if (this.applied.has(event.id)) return;
    this.claimOwn(event);
    this.buildOn(event, this.batches);
  }

  /**
   * Notes this tab's own event in the claims, as the fold does. Under a client id
   * another writer's events hold, the fold passes it over: said once.
   */
  private claimOwn(event: LogEvent): void {
    const update = readableTextUpdate(event);
    if (!update) return;
    try {
      this.claims.take(event, update);
    } catch (error) {
      if (this.refusedOwn) return;
      this.refusedOwn = true;
      this.options.onOwnTypingRefused?.(error as Error);
    }
  }

  /** This tab's own `event` is taken in: what it sees, and `batches`, build on it. */
  private buildOn(event: LogEvent, batches: readonly Batch[]): void {
    this.applied.add(event.id);
    this.seen = advance(this.seen, event);
    for (const batch of batches) batch.base = advance(batch.base, event);
  }
}
