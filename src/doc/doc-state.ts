import * as Y from 'yjs';
import { sameIds } from '../log/heads.ts';
import {
  compareCanonical,
  lastOfIds,
  type CanonicalKey,
  type EventRecord,
  type Store,
} from '../log/store.ts';
import type { EventId, Log, LogEvent } from '../log/types.ts';
import { documentChangeOf, fieldWritesOf, textUpdateOf } from './doc-events.ts';
import { Registers, type FieldWrite } from './registers.ts';
import {
  holdsSurrogate,
  splitsSurrogatePair,
  type TextSplice,
} from './text-splice.ts';
import { ClientClaims } from './client-claims.ts';

export const BODY = 'body';

/**
 * A document folded at some heads: its Yjs text, its registers, and what it holds.
 * The one fold of a document: a snapshot (./document-snapshots.ts) is a DocState's
 * parts, and a state opened from one folds what came since with `apply`, as a state
 * folded from the first event does.
 */
export class DocState {
  /** A new Y.Doc draws a fresh random client id: no two producers ever share one. */
  readonly ydoc = new Y.Doc();
  readonly registers = new Registers();
  /** Whose events write under each Yjs client id in the text: kept with snapshots. */
  claims = new ClientClaims();
  /**
   * Every event of the stream stored at a position up to this one is folded in (a
   * state opened from a snapshot); 0 for a state folded event by event.
   */
  position = 0;
  /** The events folded in beyond `position`. */
  readonly applied = new Set<EventId>();
  heads: EventId[] = [];
  /** The text as a string, while no transaction has changed it since. */
  private plain: string | undefined;
  /**
   * Whether the text holds a surrogate code unit (an emoji, say): undefined until
   * looked at, then kept by `splice`; text folded in from elsewhere clears it.
   */
  private surrogates: boolean | undefined;

  constructor() {
    this.ydoc.on('afterTransaction', () => (this.plain = undefined));
  }

  /**
   * A state from a snapshot's parts: its text's Yjs state (and the same as a string,
   * when known), its register writes, its heads, and the position it covers.
   */
  static restore(
    parts: {
      text: Uint8Array | undefined;
      /** Yjs updates applied after `text`, in order (a checkpoint's steps). */
      steps?: readonly Uint8Array[];
      plain?: string | undefined;
      writes: readonly FieldWrite[];
      heads: EventId[];
      position: number;
      /** Whose events write under each client id of the text (ClientClaims). */
      claims: ClientClaims;
    },
    onIgnoredError: (error: Error) => void,
  ): DocState {
    const state = new DocState();
    for (const w of parts.writes)
      state.registers.apply(w.event, w.field, w.value, w.supersedes);
    state.claims = parts.claims;
    const text = [...(parts.text ? [parts.text] : []), ...(parts.steps ?? [])];
    // Whether they insert characters outside the BMP is not known: read the text.
    if (text.length > 0) state.applyText(text, true, onIgnoredError);
    if (parts.plain !== undefined) state.plain = parts.plain;
    state.heads = [...parts.heads].sort();
    state.position = parts.position;
    return state;
  }

  /** Whether the event stored as `record` is folded in. */
  holds(record: EventRecord): boolean {
    return record.pos <= this.position || this.applied.has(record.event.id);
  }

  get text(): Y.Text {
    return this.ydoc.getText(BODY);
  }

  /** The text as a string. Reading it from Yjs walks every item, deleted ones too. */
  textString(): string {
    return (this.plain ??= this.text.toString());
  }

  /** The text's length in UTF-16 code units, without a walk. */
  get length(): number {
    return this.text.length;
  }

  /**
   * Whether a text position falls inside a surrogate pair. Most texts hold no
   * surrogate at all, and then no edit can split one: the first look at the text
   * notes that, and each splice keeps the note, so an edit costs no walk of the
   * text. A text that holds one is kept as a string as well, edit by edit.
   */
  splitsPair(position: number): boolean {
    this.surrogates ??= holdsSurrogate(this.textString());
    return this.surrogates && splitsSurrogatePair(this.textString(), position);
  }

  /**
   * Applies `splice` in one Yjs transaction and returns that transaction's own
   * update, as Yjs emits it, or null when nothing changed. (encodeStateAsUpdate(doc,
   * before) would also carry the whole document's delete set, so every edit would
   * grow with the number of deletions ever made, and so would every replica applying
   * it.) The caller has checked that the splice cuts no surrogate pair: Yjs would
   * turn both halves into U+FFFD here, and the string kept here would be wrong.
   */
  splice(splice: TextSplice): Uint8Array | null {
    return this.spliceAll([splice]);
  }

  /** `splice` for several, each at a position in the text the ones before it left. */
  spliceAll(splices: readonly TextSplice[]): Uint8Array | null {
    let plain = this.plain;
    let update: Uint8Array | null = null;
    const keep = (made: Uint8Array) => (update = made);
    this.ydoc.on('update', keep);
    try {
      this.ydoc.transact(() => {
        for (const { index, deleteCount, insert } of splices) {
          if (deleteCount > 0) this.text.delete(index, deleteCount);
          if (insert) this.text.insert(index, insert);
        }
      });
    } finally {
      this.ydoc.off('update', keep);
    }
    if (
      this.surrogates === false &&
      splices.some(({ insert }) => holdsSurrogate(insert))
    )
      this.surrogates = true;
    // Kept as a string only where positions are checked against it: slicing a long
    // string copies it, every edit.
    if (plain !== undefined && this.surrogates) {
      for (const { index, deleteCount, insert } of splices)
        plain =
          plain.slice(0, index) + insert + plain.slice(index + deleteCount);
      this.plain = plain;
    }
    return update;
  }

  /**
   * Folds events in. Registers and Yjs are both order-independent, so events only
   * need to be complete (every ancestor present), not ordered; one Yjs transaction
   * for the lot. A malformed event is reported and skipped, never half-applied.
   */
  apply(events: LogEvent[], onIgnoredError: (error: Error) => void): void {
    const updates: Uint8Array[] = [];
    let astral = false;
    for (const event of [...events].sort(compareCanonical)) {
      if (this.applied.has(event.id)) continue;
      this.applied.add(event.id);
      try {
        const { writes, update } = documentChangeOf(event);
        // Under a client id another writer's events hold: not folded at all.
        if (update) astral ||= this.claims.take(event, update).astral;
        for (const w of writes)
          this.registers.apply(event, w.field, w.value, w.supersedes);
        if (update) updates.push(update);
      } catch (error) {
        onIgnoredError(error as Error);
      }
    }
    this.applyText(updates, astral, onIgnoredError);
  }

  /**
   * Makes the updates this state produces from now on `actor`'s: a client id whose
   * text is another actor's (this replica's id before an actor fork moved it on)
   * is left for a fresh one, which no event has written under.
   */
  writeAs(actor: string): void {
    if (this.claims.mayWrite(this.ydoc.clientID, actor)) return;
    let fresh: number;
    do fresh = crypto.getRandomValues(new Uint32Array(1))[0]!;
    while (
      !this.claims.mayWrite(fresh, actor) ||
      this.ydoc.store.clients.has(fresh)
    );
    this.ydoc.clientID = fresh;
  }

  /**
   * Folds in an event made against this state: its text change is already in the
   * Y.Doc (applying the update again would only decode it to skip it), its field
   * writes are not in the registers yet.
   */
  adopt(event: LogEvent, onIgnoredError: (error: Error) => void): void {
    if (this.applied.has(event.id)) return;
    this.applied.add(event.id);
    try {
      const update = textUpdateOf(event);
      if (update) this.claims.take(event, update);
      for (const w of fieldWritesOf(event))
        this.registers.apply(event, w.field, w.value, w.supersedes);
    } catch (error) {
      onIgnoredError(error as Error);
    }
  }

  /** `astral`: whether the updates may insert a character outside the BMP. */
  private applyText(
    updates: Uint8Array[],
    astral: boolean,
    onIgnoredError: (error: Error) => void,
  ): void {
    if (updates.length === 0) return;
    // A text known to hold no surrogate holds none after updates that insert none:
    // read the whole text again to know (splitsPair), and every edit after a
    // delivery cost the document's length (a quarter of a concurrent replay).
    if (this.surrogates === false && astral) this.surrogates = undefined;
    this.ydoc.transact(() => {
      for (const update of updates) {
        try {
          Y.applyUpdate(this.ydoc, update);
        } catch (error) {
          onIgnoredError(
            new Error(
              `a text update could not be applied: ${(error as Error).message}`,
            ),
          );
        }
      }
    });
  }
}

const MAX_CACHED = 4;
/** Beyond this many missing events, folding from scratch is as cheap as catching up. */
const MAX_CATCH_UP = 50_000;
/**
 * A walk down from a checkpoint gives up past this many events (checkpoints are a
 * few thousand apart): heads that do not hold the checkpoint are read from the start.
 */
const MAX_FROM_CHECKPOINT = 20_000;

/**
 * A few recent DocStates. Asked for the state at some heads, it advances a cached
 * state those heads descend from (cost: the events since); else, for the stream's
 * current heads, it opens the document's snapshot (cost: the events since it);
 * else, from the latest checkpoint those heads hold (cost: the events since it);
 * else it folds the events those heads hold. A state lives under exactly one heads
 * key; advancing it moves it.
 */
export class DocStates {
  private states: DocState[] = [];

  constructor(
    private readonly store: Store,
    private readonly log: Log,
    private readonly stream: string,
    private readonly onIgnoredError: (error: Error) => void,
    /** Opens the document at its current heads from its snapshot. */
    private readonly openLatest: () => Promise<DocState>,
    /** Opens the latest checkpoint whose events all sort up to `last`, if any. */
    private readonly openCheckpoint: (
      last: CanonicalKey,
    ) => Promise<DocState | undefined>,
  ) {}

  async at(heads: EventId[]): Promise<DocState> {
    const key = heads.join();
    const exact = this.states.find((s) => s.heads.join() === key);
    if (exact) return this.touch(exact);
    for (const candidate of this.states) {
      const missing = await this.missingFrom(candidate, heads);
      if (missing) {
        candidate.apply(missing, this.onIgnoredError);
        candidate.heads = heads;
        return this.touch(candidate);
      }
    }
    const current = (await this.store.stream(this.stream))?.heads ?? [];
    if (sameIds(current, heads)) {
      const latest = await this.openLatest();
      // Opened at heads that moved on meanwhile: from there, as from any state.
      const missing = sameIds(latest.heads, heads)
        ? []
        : await this.missingFrom(latest, heads);
      if (missing) {
        latest.apply(missing, this.onIgnoredError);
        latest.heads = heads;
        return this.touch(latest);
      }
    }
    // An older version: from the latest checkpoint that all sorts before its last
    // event, when the heads hold all of that checkpoint (the history's versions do).
    const { last, missing } = await lastOfIds(this.store, heads, this.stream);
    const checkpoint = last && !missing && (await this.openCheckpoint(last));
    if (checkpoint) {
      const missing = await this.missingFrom(
        checkpoint,
        heads,
        MAX_FROM_CHECKPOINT,
        true,
      );
      if (missing) {
        checkpoint.apply(missing, this.onIgnoredError);
        checkpoint.heads = heads;
        return this.touch(checkpoint);
      }
    }
    const fresh = new DocState();
    const events: LogEvent[] = [];
    for await (const event of this.log.read(this.stream, { at: heads }))
      events.push(event);
    fresh.apply(events, this.onIgnoredError);
    fresh.heads = heads;
    return this.touch(fresh);
  }

  /**
   * A test of whether `state` holds an event stored before now. At the stream's
   * current heads it holds every stored event (they are all the heads' ancestors),
   * and nothing is read; a state folded event by event knows its events by id;
   * otherwise the store says whether an event it did not fold one by one is stored
   * up to its position (from a segment's span, mostly: nothing decoded).
   */
  readonly heldBy = async (
    state: DocState,
  ): Promise<(id: EventId) => boolean | Promise<boolean>> => {
    const current = (await this.store.stream(this.stream))?.heads ?? [];
    if (sameIds(current, state.heads)) return () => true;
    // Folded event by event: it knows every event it holds by id.
    if (state.position === 0) return (id) => state.applied.has(id);
    return async (id) =>
      state.applied.has(id) || this.store.storedBy(id, state.position);
  };

  /** A state that made an edit which did not reach the log no longer matches any heads. */
  evict(state: DocState): void {
    this.states = this.states.filter((s) => s !== state);
  }

  private touch(state: DocState): DocState {
    this.states = [state, ...this.states.filter((s) => s !== state)].slice(
      0,
      MAX_CACHED,
    );
    return state;
  }

  /**
   * The events `heads` hold beyond `base`, or undefined when `base` holds something
   * `heads` do not. Walking down from `heads` and stopping at what `base` holds, the
   * walk meets each of `base`'s heads exactly when all of them are ancestors.
   */
  private async missingFrom(
    base: DocState,
    heads: EventId[],
    limit = MAX_CATCH_UP,
    /**
     * Read the events between the base's position and the heads' in one pass first
     * (a checkpoint a few thousand events back): looked up one by one, the jump
     * 90k events back in a 100k-event history took 51 of its worker's 180 ms.
     */
    readAhead = false,
  ): Promise<LogEvent[] | undefined> {
    const baseHeads = new Set(base.heads);
    let met = 0;
    const seen = new Set<EventId>();
    const stack = [...heads];
    const missing: LogEvent[] = [];
    // A parent is of its child's stream; heads are checked for theirs. Whether the
    // base holds a parent is asked of the store, which knows it without decoding the
    // event, mostly: a walk that stops at the base decodes only what it takes in.
    const held = async (id: EventId) =>
      base.applied.has(id) ||
      (base.position > 0 && (await this.store.storedBy(id, base.position)));
    const tips = new Set(heads);
    const ahead = readAhead
      ? await this.readBetween(base.position, heads, limit)
      : undefined;
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      // A record in memory answers at once: a walk over recent events awaits nothing.
      let record = ahead?.get(id) ?? this.store.eventInMemory?.(id);
      if (tips.has(id)) {
        record ??= await this.store.event(id);
        if (!record || record.event.stream !== this.stream) return undefined;
      }
      if (record ? base.holds(record) : await held(id)) {
        if (baseHeads.has(id)) met++;
        continue;
      }
      record ??= await this.store.event(id);
      if (!record || record.event.stream !== this.stream) return undefined;
      missing.push(record.event);
      if (missing.length > limit) return undefined;
      stack.push(...record.event.parents);
    }
    return met === baseHeads.size ? missing : undefined;
  }

  /**
   * The stream's events stored after `after` and up to the last of `heads`, by id:
   * every ancestor of the heads that a state holding everything up to `after` lacks
   * (a parent is stored before its child). Undefined when that is more than `limit`
   * positions or a head is not of this stream (the walk then looks up each event).
   */
  private async readBetween(
    after: number,
    heads: EventId[],
    limit: number,
  ): Promise<Map<EventId, EventRecord> | undefined> {
    if (after <= 0) return undefined;
    let upTo = 0;
    for (const id of heads) {
      const record = await this.store.event(id);
      if (!record || record.event.stream !== this.stream) return undefined;
      upTo = Math.max(upTo, record.pos);
    }
    if (upTo - after > limit) return undefined;
    const between = new Map<EventId, EventRecord>();
    // In position order: the read stops at the first record past the heads.
    for await (const record of this.store.eventsFrom(after + 1, {
      streams: this.stream,
    })) {
      if (record.pos > upTo) break;
      if (record.event.stream === this.stream)
        between.set(record.event.id, record);
    }
    return between;
  }
}
