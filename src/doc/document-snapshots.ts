import * as Y from 'yjs';
import { DELETED_FIELD, fieldWritesOf, textUpdateOf } from './doc-events.ts';
import { BODY } from './doc-state.ts';
import { Registers } from './registers.ts';
import { sameIds } from '../log/append.ts';
import type { EventRecord, SnapshotRecord, Store } from '../log/store.ts';
import type { EventId, Json, LogEvent } from '../log/types.ts';

/** The projection name in snapshot keys: `${stream}\n${SNAPSHOT_NAME}`. */
export const SNAPSHOT_NAME = 'doc.open';
/** Save a new snapshot once opening had to fold this many events past the last one. */
export const SNAPSHOT_EVERY = 500;

/** A register write, with just the event fields Registers reads. */
interface FieldWrite {
  event: Pick<LogEvent, 'id' | 'actor' | 'author' | 'time'>;
  field: string;
  value: Json;
  supersedes: EventId[];
}

/**
 * What a snapshot record of a document holds: every event of the stream with
 * `pos <= record.pos`, folded. Text and registers are both order-independent, so
 * an event that arrives later and sorts before the snapshot's events is simply
 * applied on top: unlike a generic projection's, this snapshot is never void.
 *
 * Version 5 keeps the text's Yjs state in a record of its own (`stateKeyOf`, same
 * `pos` and `takenAt`), written first: this one is small and read first, so the
 * text can be shown while the state (1.2 MB for 260k edits, 10-25 ms to read) is
 * still being read. Versions 3 and 4 held it here.
 */
interface DocumentSnapshotState {
  version: 3 | 4 | 5;
  /**
   * Versions 3 and 4: Y.encodeStateAsUpdate of the text. Not V2: less than half the
   * bytes, but in a new tab, its decoder not yet compiled, applying it took longer
   * (170-260 ms against 145-160 ms for a 260k-edit text).
   */
  text?: Uint8Array;
  /**
   * The same text as a string (versions 4 and 5): what a new tab shows at once,
   * before its Y.Doc has taken the state in (180 ms for a 260k-edit text).
   */
  plain?: string;
  /** Every register write folded in (field sets are rare: titles, deletion). */
  writes: FieldWrite[];
  heads: EventId[];
}

/** Version 5's text state, in its own record. */
interface TextStateRecordState {
  version: 5;
  text: Uint8Array;
}

export interface LoadedDocument {
  /** A Yjs update holding the whole text at `heads`; undefined when not asked for. */
  text: Uint8Array | undefined;
  /** The same text as a string; undefined when not asked for. */
  plain: string | undefined;
  registers: Registers;
  heads: EventId[];
  /** Every event of the stream up to this position is folded in, and none after it. */
  position: number;
  /** Events folded past the snapshot (all of them when there was none). */
  folded: number;
}

export interface LoadOptions {
  /** Whether the caller needs the text (listing documents needs only registers). */
  text: boolean;
  onIgnoredError: (error: unknown) => void;
  /** Snapshot threshold; tests lower it. */
  every?: number;
  /**
   * Hears the text as a string as soon as it is known: from the snapshot when nothing
   * came since, before the text's Yjs state is read.
   */
  onText?(text: string): void;
}

const keyOf = (stream: string) => `${stream}\n${SNAPSHOT_NAME}`;
const stateKeyOf = (stream: string) => `${stream}\n${SNAPSHOT_NAME}.state`;

/**
 * A document as of its latest events: the snapshot record plus the stream's events
 * after it, so opening costs what arrived since the snapshot, not the whole history
 * (DESIGN §5). When that was `every` events or more, the result is saved as the new
 * snapshot. Snapshots are caches: one that is missing, malformed or unwritable (or
 * whose state record is) changes nothing but speed.
 */
export async function loadDocument(
  store: Store,
  stream: string,
  options: LoadOptions,
  useSnapshot = true,
): Promise<LoadedDocument> {
  const every = options.every ?? SNAPSHOT_EVERY;
  const [saved, streamRecord] = await Promise.all([
    useSnapshot
      ? store.getSnapshot(keyOf(stream)).catch(() => undefined)
      : undefined,
    store.stream(stream),
  ]);
  const snapshot = snapshotState(saved);
  const since = snapshot?.pos ?? 0;
  // Every event stored after the snapshot is a head or has one among its
  // descendants, stored later still: the same heads mean nothing came since, and
  // then no event is read (reading the stream's segments has a cost of its own).
  const records =
    // A stream record's heads are sorted.
    snapshot &&
    sameIds([...snapshot.state.heads].sort(), streamRecord?.heads ?? [])
      ? []
      : await store.streamEventsSince(stream, since);
  const writes = [...(snapshot?.state.writes ?? [])];
  const updates: Uint8Array[] = [];
  let heads = snapshot?.state.heads ?? [];
  let position = since;
  for (const record of records) {
    // Causal delivery: a parent always has the smaller position, so this leaves
    // exactly the events no other event names.
    heads = advance(heads, record.event);
    position = record.pos;
    collect(record, writes, updates, options.onIgnoredError);
  }
  const registers = new Registers();
  for (const w of writes)
    registers.apply(w.event as LogEvent, w.field, w.value, w.supersedes);

  const save = records.length >= every;
  let text: Uint8Array | undefined;
  let plain: string | undefined;
  if (options.text || save) {
    // Nothing came since and the snapshot has the string: heard before the state is read.
    const early = updates.length === 0 ? snapshot?.state.plain : undefined;
    if (early !== undefined) options.onText?.(early);
    const base = snapshot && (await snapshotText(store, snapshot));
    // The state record is missing or of another snapshot: fold from scratch.
    if (snapshot && !base) return loadDocument(store, stream, options, false);
    ({ text, plain } =
      updates.length === 0 && base
        ? { text: base, plain: snapshot!.state.plain ?? plainOf(base) }
        : mergeText(base, updates, options.onIgnoredError));
    if (early === undefined) options.onText?.(plain);
  }
  if (save && text) {
    const takenAt = Date.now();
    const record = (key: string, state: unknown): SnapshotRecord => ({
      key,
      stream,
      pos: position,
      extra: [],
      after: null,
      state,
      takenAt,
    });
    const textState: TextStateRecordState = { version: 5, text };
    const state: DocumentSnapshotState = { version: 5, plain, writes, heads };
    // The state first: a snapshot record never names a state that was not written.
    // IndexedDB clones a record when put is called, before anything is transferred.
    await store
      .putSnapshot(record(stateKeyOf(stream), textState))
      .then(() => store.putSnapshot(record(keyOf(stream), state)))
      .catch(options.onIgnoredError);
  }
  return {
    text: options.text ? text : undefined,
    plain: options.text ? plain : undefined,
    registers,
    heads: [...heads].sort(),
    position,
    folded: records.length,
  };
}

/** The Yjs state of `snapshot`'s text: in it (versions 3, 4) or in its own record of the same `pos` and `takenAt`. */
async function snapshotText(
  store: Store,
  snapshot: SnapshotRecord & { state: DocumentSnapshotState },
): Promise<Uint8Array | undefined> {
  if (snapshot.state.text) return snapshot.state.text;
  const record = await store
    .getSnapshot(stateKeyOf(snapshot.stream))
    .catch(() => undefined);
  const state = record?.state as Partial<TextStateRecordState> | undefined;
  return record &&
    record.pos === snapshot.pos &&
    record.takenAt === snapshot.takenAt &&
    state?.version === 5 &&
    state.text instanceof Uint8Array
    ? state.text
    : undefined;
}

/** Live string values of the title, and whether the document is deleted. */
export function summaryOf(registers: Registers): {
  title: string[];
  deleted: boolean;
} {
  return {
    title: registers
      .values('title')
      .map((v) => v.value)
      .filter((t): t is string => typeof t === 'string'),
    deleted: registers.values(DELETED_FIELD).some((v) => v.value === true),
  };
}

/** Heads after `event`: it replaces the parents it names. */
function advance(heads: EventId[], event: LogEvent): EventId[] {
  return [...heads.filter((h) => !event.parents.includes(h)), event.id];
}

/** A malformed event from another replica is reported and skipped, as DocState does. */
function collect(
  { event }: EventRecord,
  writes: FieldWrite[],
  updates: Uint8Array[],
  onIgnoredError: (error: unknown) => void,
): void {
  try {
    const update = textUpdateOf(event);
    const fieldWrites = fieldWritesOf(event);
    if (update) updates.push(update);
    const { id, actor, author, time } = event;
    for (const w of fieldWrites)
      writes.push({
        event: { id, actor, time, ...(author !== undefined ? { author } : {}) },
        ...w,
      });
  } catch (error) {
    onIgnoredError(error);
  }
}

/** The string of a text's Yjs update. */
function plainOf(text: Uint8Array): string {
  const doc = new Y.Doc();
  try {
    Y.applyUpdate(doc, text);
    return doc.getText(BODY).toString();
  } finally {
    doc.destroy();
  }
}

/**
 * The text with every update applied, as one update and as a string; one Yjs
 * transaction for the lot.
 */
function mergeText(
  base: Uint8Array | undefined,
  updates: Uint8Array[],
  onIgnoredError: (error: unknown) => void,
): { text: Uint8Array; plain: string } {
  const doc = new Y.Doc();
  try {
    doc.transact(() => {
      if (base) Y.applyUpdate(doc, base);
      for (const update of updates) {
        try {
          Y.applyUpdate(doc, update);
        } catch (error) {
          onIgnoredError(
            new Error(
              `a text update could not be applied: ${(error as Error).message}`,
            ),
          );
        }
      }
    });
    return {
      text: Y.encodeStateAsUpdate(doc),
      plain: doc.getText(BODY).toString(),
    };
  } finally {
    doc.destroy();
  }
}

/** The record's state when it is one this module wrote; anything else is ignored. */
function snapshotState(
  record: SnapshotRecord | undefined,
): (SnapshotRecord & { state: DocumentSnapshotState }) | undefined {
  const state = record?.state as Partial<DocumentSnapshotState> | undefined;
  if (
    !record ||
    (state?.version !== 3 && state?.version !== 4 && state?.version !== 5) ||
    // Versions 3 and 4 hold the text's state; 5 keeps it apart and the string here.
    (state.version === 5
      ? typeof state.plain !== 'string'
      : !(state.text instanceof Uint8Array)) ||
    (state.plain !== undefined && typeof state.plain !== 'string') ||
    !Array.isArray(state.writes) ||
    !Array.isArray(state.heads) ||
    !Number.isSafeInteger(record.pos)
  )
    return undefined;
  return record as SnapshotRecord & { state: DocumentSnapshotState };
}
