import * as Y from 'yjs';
import {
  DELETED_FIELD,
  documentChangeOf,
  FIELD_SET,
  TEXT_EDITED,
  titlesOf,
  VERSION_RESTORED,
} from './doc-events.ts';
import { ClientClaims } from './client-claims.ts';
import { BODY, DocState } from './doc-state.ts';
import { Registers, type FieldWrite } from './registers.ts';
import { sameIds } from '../log/heads.ts';
import { orderFreeSnapshot } from '../log/snapshots.ts';
import {
  compareCanonical,
  lastOfIds,
  type CanonicalKey,
  type EventRecord,
  type SnapshotRecord,
  type Store,
} from '../log/store.ts';
import type { EventId } from '../log/types.ts';
import { headsAfter } from '../log/heads.ts';
import { yieldToWaiting } from '../log/yield.ts';

/** The projection name in snapshot keys: `${stream}\n${SNAPSHOT_NAME}`. */
export const SNAPSHOT_NAME = 'doc.open';
/** Save a new snapshot once opening had to fold this many events past the last one. */
export const SNAPSHOT_EVERY = 500;
/**
 * Keep a snapshot as a checkpoint of the document's past once this many events came
 * past the last one: looking at an old version then folds what came after the
 * checkpoint before it (a few thousand events), not the history up to it.
 */
export const CHECKPOINT_EVERY = 4096;
/**
 * Between whole checkpoints, a step every this many events: the Yjs updates of the
 * fold's transactions since the checkpoint before (its items merged as the Y.Doc
 * merges them: 1,800 typed characters make one update of 2-7 KB, applied in a few
 * ms, where applying their 1,800 events took 40-70 ms of a 100k-event history
 * jump). Looking at an old version then folds at most this many events. As long
 * as a fold's run (FOLDED_AT_ONCE): every 512 made the first fold of a 100k-event
 * document twice as long (in Node, 740 ms against 380), a step costing a save and
 * its run a yield.
 */
export const CHECKPOINT_STEP = 1024;
/**
 * Events folded in one go when opening. In the explorer bench's worker profile (the
 * 260k-event log's documents, just imported) a run of 4,096 took 60-75 ms, and a
 * page's request waited behind each run; a quarter of that is the most it waits now.
 */
export const FOLDED_AT_ONCE = 1024;

/**
 * What a snapshot record of a document holds: every event of the stream with
 * `pos <= record.pos`, folded. Text and registers are both order-independent, so
 * an event that arrives later and sorts before the snapshot's events is simply
 * applied on top: unlike a generic projection's, this snapshot is never void.
 *
 * Version 6 adds whose events write under each Yjs client id of the text
 * (`claims`, ClientClaims): a state opened from one without them would fold what
 * another writer wrote under a client id, which a fold from the first event
 * refuses, so a snapshot before 6 is read for its fields alone (listing documents).
 * Version 5 keeps the text's Yjs state in a record of its own (`stateKeyOf`, same
 * `pos` and `takenAt`), written first: this one is small and read first, so the
 * text can be shown while the state (1.2 MB for 260k edits, 10-25 ms to read) is
 * still being read. Versions 3 and 4 held it here.
 */
interface DocumentSnapshotState {
  version: 3 | 4 | 5 | 6;
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
  /** Events folded in past the last checkpoint (absent before checkpoints: 0). */
  sinceCheckpoint?: number;
  /** Version 6: ClientClaims's entries. */
  claims?: [number, string[], number][];
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
  /** Whose events write under each Yjs client id of the text; none when not asked for. */
  claims: [number, string[], number][];
}

export interface LoadOptions {
  /** Whether the caller needs the text (listing documents needs only registers). */
  text: boolean;
  onIgnoredError: (error: unknown) => void;
  /** Snapshot threshold; tests lower it. */
  every?: number;
  /** Checkpoint spacing (CHECKPOINT_EVERY); tests lower it. */
  checkpointEvery?: number;
  /** Spacing of the steps between checkpoints (CHECKPOINT_STEP); tests lower it. */
  checkpointStep?: number;
  /**
   * Hears the text as a string as soon as it is known: from the snapshot when nothing
   * came since, before the text's Yjs state is read.
   */
  onText?(text: string): void;
}

const keyOf = (stream: string) => `${stream}\n${SNAPSHOT_NAME}`;
const stateKeyOf = (stream: string) => `${stream}\n${SNAPSHOT_NAME}.state`;

type DocumentSnapshot = SnapshotRecord & { state: DocumentSnapshotState };

/** The latest snapshot of `stream` (when one is to be used) and the events stored after it. */
async function snapshotAndSince(
  store: Store,
  stream: string,
  useSnapshot: boolean,
): Promise<{ snapshot?: DocumentSnapshot; records: EventRecord[] }> {
  const [saved, streamRecord] = await Promise.all([
    useSnapshot
      ? store.getSnapshot(keyOf(stream)).catch(() => undefined)
      : undefined,
    store.stream(stream),
  ]);
  const snapshot = snapshotState(saved);
  // Every event stored after the snapshot is a head or has one among its
  // descendants, stored later still: the same heads mean nothing came since, and
  // then no event is read (reading the stream's segments has a cost of its own).
  const records =
    // A stream record's heads are sorted.
    snapshot &&
    sameIds([...snapshot.state.heads].sort(), streamRecord?.heads ?? [])
      ? []
      : await store.streamEventsSince(stream, snapshot?.pos ?? 0);
  return { ...(snapshot ? { snapshot } : {}), records };
}

/**
 * The document at its latest events, as a DocState: the snapshot's parts, then the
 * events stored after it folded in by `DocState.apply`, as any state folds. The
 * cost is the snapshot's Yjs state and what arrived since, not the whole history.
 * When that was `every` events or more, the result is saved as the new snapshot.
 * `folded` counts the events folded past the snapshot (all of them without one).
 */
export async function openDocState(
  store: Store,
  stream: string,
  options: Pick<LoadOptions, 'every' | 'checkpointEvery' | 'checkpointStep'> & {
    onIgnoredError: (error: Error) => void;
  },
  useSnapshot = true,
): Promise<{ state: DocState; folded: number }> {
  const { snapshot, records } = await snapshotAndSince(
    store,
    stream,
    useSnapshot,
  );
  const base = snapshot && (await snapshotText(store, snapshot));
  const claims = snapshot
    ? ClientClaims.read(snapshot.state.claims)
    : new ClientClaims();
  // The state record is missing or of another snapshot, or the snapshot is from
  // before claims were kept: fold from scratch.
  if (snapshot && (!base || !claims))
    return openDocState(store, stream, options, false);
  const state = DocState.restore(
    {
      text: base,
      plain: snapshot?.state.plain,
      writes: snapshot?.state.writes ?? [],
      heads: snapshot?.state.heads ?? [],
      position: snapshot?.pos ?? 0,
      claims: claims!,
    },
    options.onIgnoredError,
  );
  if (records.length === 0) return { state, folded: 0 };
  // Folded in runs that end where a checkpoint is due, and at most FOLDED_AT_ONCE
  // long, the thread serving whatever is more urgent between them (yieldToWaiting).
  // One consistent read of every event after the snapshot, in position order: after
  // a run, the state holds every event of the stream up to the run's last position
  // (an event is stored after its parents, so any prefix of the records is whole).
  const checkpointEvery = options.checkpointEvery ?? CHECKPOINT_EVERY;
  const step = options.checkpointStep ?? CHECKPOINT_STEP;
  const kept = snapshot?.state.sinceCheckpoint;
  let since = Number.isSafeInteger(kept) && kept! > 0 ? kept! : 0;
  // Steps chain from a checkpoint this fold wrote: it heard every update since.
  let chained:
    { base: number; updates: Uint8Array[]; since: number } | undefined;
  // The list as this fold last wrote it: read once, not again at every save.
  let listed: ListedCheckpoint[] | undefined;
  const hear = (update: Uint8Array) => chained?.updates.push(update);
  state.ydoc.on('update', hear);
  try {
    for (let i = 0; i < records.length;) {
      if (i > 0) await yieldToWaiting();
      const due = Math.min(
        checkpointEvery - since,
        chained ? step - chained.since : Infinity,
      );
      const run = records.slice(
        i,
        i + Math.min(FOLDED_AT_ONCE, Math.max(1, due)),
      );
      i += run.length;
      since += run.length;
      if (chained) chained.since += run.length;
      state.apply(
        run.map((r) => r.event),
        options.onIgnoredError,
      );
      state.position = run[run.length - 1]!.pos;
      state.applied.clear();
      state.heads = headsOf(state.heads, run);
      // A step needs nothing pending in the Y.Doc: updates it holds back (their
      // dependencies not yet folded) are in no transaction's update.
      const { pendingStructs, pendingDs } = state.ydoc.store;
      const whole =
        since >= checkpointEvery ||
        (chained?.since === step &&
          (pendingStructs !== null || pendingDs !== null));
      if (whole || chained?.since === step) {
        // A whole one encodes the Y.Doc (tens of ms); a step is saved as it is.
        if (whole) await yieldToWaiting();
        listed ??= await checkpointsOf(store, stream);
        const saved = await saveCheckpoint(
          store,
          stream,
          state,
          listed,
          options.onIgnoredError,
          whole ? undefined : chained,
        );
        if (whole) since = 0;
        chained = saved
          ? { base: state.position, updates: [], since: 0 }
          : undefined;
      }
    }
  } finally {
    state.ydoc.off('update', hear);
  }
  if (records.length >= (options.every ?? SNAPSHOT_EVERY)) {
    await yieldToWaiting();
    await saveSnapshot(
      store,
      stream,
      state,
      Y.encodeStateAsUpdate(state.ydoc),
      since,
      options.onIgnoredError,
    );
  }
  return { state, folded: records.length };
}

/**
 * A document as of its latest events, for showing it: its text as a Yjs update and
 * a string, its registers, heads and position. When nothing came since the snapshot
 * these are the snapshot's, read without building a Y.Doc; else the same fold as
 * `openDocState`. Listing documents asks for registers alone, and then no text is
 * read or folded. Snapshots are caches: one that is missing, malformed or
 * unwritable (or whose state record is) changes nothing but speed.
 */
export async function loadDocument(
  store: Store,
  stream: string,
  options: LoadOptions,
): Promise<LoadedDocument> {
  const every = options.every ?? SNAPSHOT_EVERY;
  const onIgnoredError = (e: Error) => options.onIgnoredError(e);
  const { snapshot, records } = await snapshotAndSince(store, stream, true);
  const heads = headsOf(snapshot?.state.heads ?? [], records);
  const position = records[records.length - 1]?.pos ?? snapshot?.pos ?? 0;
  const registersOnly = () => {
    const registers = new Registers();
    for (const w of snapshot?.state.writes ?? [])
      registers.apply(w.event, w.field, w.value, w.supersedes);
    for (const { event } of records) {
      try {
        for (const w of documentChangeOf(event).writes)
          registers.apply(event, w.field, w.value, w.supersedes);
      } catch (error) {
        onIgnoredError(error as Error);
      }
    }
    return registers;
  };
  // Registers alone never fold the text: a listing just after a long import reads
  // the fields of 100k events in well under a second, where folding their text (to
  // save a snapshot on the way) took the page's document list 4 s.
  if (!options.text)
    return {
      text: undefined,
      plain: undefined,
      registers: registersOnly(),
      heads,
      position,
      folded: records.length,
      claims: [],
    };
  // No text came since the snapshot: its text is current, read without a Y.Doc.
  if (
    snapshot &&
    records.length < every &&
    records.every(
      ({ event }) =>
        event.type !== TEXT_EDITED && event.type !== VERSION_RESTORED,
    )
  ) {
    // The snapshot has the string: heard before the state is read.
    const early = snapshot.state.plain;
    if (early !== undefined) options.onText?.(early);
    const base = await snapshotText(store, snapshot);
    const claims = ClientClaims.read(snapshot.state.claims);
    if (base && claims) {
      const plain = early ?? plainOf(base);
      if (early === undefined) options.onText?.(plain);
      return {
        text: base,
        plain,
        registers: registersOnly(),
        heads,
        position,
        folded: records.length,
        claims: claims.entries(),
      };
    }
  }
  const { state, folded } = await openDocState(store, stream, {
    every,
    ...(options.checkpointEvery !== undefined
      ? { checkpointEvery: options.checkpointEvery }
      : {}),
    onIgnoredError,
  });
  const plain = state.textString();
  options.onText?.(plain);
  const text = options.text ? Y.encodeStateAsUpdate(state.ydoc) : undefined;
  state.ydoc.destroy();
  return {
    text,
    plain: options.text ? plain : undefined,
    registers: state.registers,
    heads: state.heads,
    position: state.position,
    claims: state.claims.entries(),
    folded,
  };
}

/** The event types that write fields (`documentChangeOf`): what a listing reads. */
const FIELD_WRITING = [FIELD_SET, VERSION_RESTORED];

/**
 * The fields (registers) of each of `streams`, for listing documents: each one's
 * snapshot's writes, then the writes stored after it, read in one pass over the log
 * that asks the store for field writes alone (`Store.eventsFrom`'s filter), so that
 * a packed run builds a record only for its field writes and no text is read. Per
 * stream, as `loadDocument` gives with `text: false`; registers are order-free, so
 * the log's arrival order will do.
 */
export async function documentFields(
  store: Store,
  streams: readonly string[],
  onIgnoredError: (error: unknown) => void,
): Promise<Map<string, Registers>> {
  const fields = new Map<string, { registers: Registers; after: number }>();
  await Promise.all(
    streams.map(async (stream) => {
      const snapshot = snapshotState(
        await store.getSnapshot(keyOf(stream)).catch(() => undefined),
      );
      const registers = new Registers();
      for (const w of snapshot?.state.writes ?? [])
        registers.apply(w.event, w.field, w.value, w.supersedes);
      fields.set(stream, { registers, after: snapshot?.pos ?? 0 });
    }),
  );
  if (fields.size === 0) return new Map();
  let from = Infinity;
  for (const { after } of fields.values()) from = Math.min(from, after + 1);
  const only = { streams: commonPrefix(streams), types: FIELD_WRITING };
  for await (const { event, pos } of store.eventsFrom(from, only)) {
    const listed = fields.get(event.stream);
    if (!listed || pos <= listed.after || !FIELD_WRITING.includes(event.type))
      continue;
    try {
      for (const w of documentChangeOf(event).writes)
        listed.registers.apply(event, w.field, w.value, w.supersedes);
    } catch (error) {
      onIgnoredError(error);
    }
  }
  return new Map([...fields].map(([stream, f]) => [stream, f.registers]));
}

/** The longest prefix every one of `names` starts with. */
function commonPrefix(names: readonly string[]): string {
  let prefix = names[0] ?? '';
  for (const name of names)
    while (!name.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}

/** Saves `state` (whose text's Yjs state is `text`) as the stream's snapshot: best effort. */
async function saveSnapshot(
  store: Store,
  stream: string,
  state: DocState,
  text: Uint8Array,
  sinceCheckpoint: number,
  onIgnoredError: (error: Error) => void,
): Promise<void> {
  const takenAt = Date.now();
  const record = (key: string, value: unknown) =>
    orderFreeSnapshot(key, stream, state.position, value, takenAt);
  const textState: TextStateRecordState = { version: 5, text };
  const snapshot: DocumentSnapshotState = {
    version: 6,
    plain: state.textString(),
    writes: [...state.registers.writes],
    heads: state.heads,
    sinceCheckpoint,
    claims: state.claims.entries(),
  };
  // The state first: a snapshot record never names a state that was not written.
  // IndexedDB clones a record when put is called, before anything is transferred.
  await store
    .putSnapshot(record(stateKeyOf(stream), textState))
    .then(() => store.putSnapshot(record(keyOf(stream), snapshot)))
    .catch(onIgnoredError);
}

const checkpointsKeyOf = (stream: string) => `${stream}\ndoc.checkpoints`;
const checkpointKeyOf = (stream: string, pos: number) =>
  `${stream}\ndoc.checkpoint.${pos}`;

/**
 * The list of a document's checkpoints, oldest first: where each is (its position)
 * and the last of its events in canonical order, which no event it holds sorts after.
 * A step names the checkpoint it is a delta on (`base`, that one's position).
 */
interface CheckpointsState {
  version: 1;
  checkpoints: ListedCheckpoint[];
}

type ListedCheckpoint = CanonicalKey & { pos: number; base?: number };

/**
 * A checkpoint: a snapshot kept, the document holding every event up to `pos`. A
 * whole one holds the text's Yjs state (`text`); a step holds the updates that
 * make its base's state this one's (`steps`). Both hold every register write, the
 * heads and (version 2) the text's client claims; one of version 1 is not read.
 */
interface CheckpointState {
  version: 2;
  text?: Uint8Array;
  steps?: Uint8Array[];
  writes: FieldWrite[];
  heads: EventId[];
  claims: [number, string[], number][];
}

/**
 * Keeps `state` (every event of the stream up to `state.position`) as a checkpoint,
 * then names it in the list: the list never names a checkpoint that was not written.
 * Best effort, like every snapshot.
 */
async function saveCheckpoint(
  store: Store,
  stream: string,
  state: DocState,
  /** The stream's list of checkpoints, which this updates: as it was last read or written. */
  list: ListedCheckpoint[],
  onIgnoredError: (error: Error) => void,
  /** A step: the checkpoint it is a delta on, and the updates since it. */
  step?: { base: number; updates: Uint8Array[] },
): Promise<boolean> {
  try {
    const { last, missing } = await lastOfIds(store, state.heads, stream);
    if (!last || missing) return false;
    const checkpoint: CheckpointState = {
      version: 2,
      ...(step
        ? { steps: step.updates }
        : { text: Y.encodeStateAsUpdate(state.ydoc) }),
      writes: [...state.registers.writes],
      heads: [...state.heads],
      claims: state.claims.entries(),
    };
    const pos = state.position;
    await store.putSnapshot(
      orderFreeSnapshot(checkpointKeyOf(stream, pos), stream, pos, checkpoint),
    );
    const at = list.findIndex((c) => c.pos === pos);
    if (at >= 0) list.splice(at, 1);
    list.push({
      pos,
      hlc: last.hlc,
      id: last.id,
      ...(step ? { base: step.base } : {}),
    });
    list.sort((a, b) => a.pos - b.pos);
    const listed: CheckpointsState = { version: 1, checkpoints: list };
    await store.putSnapshot(
      orderFreeSnapshot(checkpointsKeyOf(stream), stream, pos, listed),
    );
    return true;
  } catch (error) {
    onIgnoredError(error as Error);
    return false;
  }
}

/** The checkpoints listed for `stream`; none when the list is missing or not this module's. */
async function checkpointsOf(
  store: Store,
  stream: string,
): Promise<CheckpointsState['checkpoints']> {
  const record = await store
    .getSnapshot(checkpointsKeyOf(stream))
    .catch(() => undefined);
  const state = record?.state as Partial<CheckpointsState> | undefined;
  if (state?.version !== 1 || !Array.isArray(state.checkpoints)) return [];
  return state.checkpoints.filter(
    (c: unknown) =>
      typeof c === 'object' &&
      c !== null &&
      Number.isSafeInteger((c as { pos: unknown }).pos) &&
      typeof (c as { hlc: unknown }).hlc === 'string' &&
      typeof (c as { id: unknown }).id === 'string' &&
      ((c as { base?: unknown }).base === undefined ||
        Number.isSafeInteger((c as { base: unknown }).base)),
  );
}

/**
 * The latest checkpoint of `stream` whose events all sort up to `last` (the last,
 * in canonical order, of the heads a version is wanted at), as a DocState: a
 * version that holds every event up to `last` (the history's versions do) holds
 * all of it. Undefined when there is none, or it is unreadable.
 */
export async function openCheckpoint(
  store: Store,
  stream: string,
  last: CanonicalKey,
  onIgnoredError: (error: Error) => void,
): Promise<DocState | undefined> {
  const listed = await checkpointsOf(store, stream);
  const byPos = new Map(listed.map((c) => [c.pos, c]));
  // The latest usable one, back through its bases to a whole one; where a base is
  // not listed, the latest usable whole one. A step's base sorts before it.
  const chainTo = (c: ListedCheckpoint | undefined): ListedCheckpoint[] => {
    const chain: ListedCheckpoint[] = [];
    for (
      let at = c;
      at;
      at = at.base === undefined ? undefined : byPos.get(at.base)
    ) {
      chain.unshift(at);
      if (at.base === undefined) return chain;
      if (at.base >= at.pos) break;
    }
    return [];
  };
  const usable = listed.filter((c) => compareCanonical(c, last) <= 0);
  let chain = chainTo(usable[usable.length - 1]);
  if (chain.length === 0)
    chain = chainTo(usable.findLast((c) => c.base === undefined));
  if (chain.length === 0) return undefined;
  const states = await Promise.all(
    chain.map((c) => readCheckpoint(store, stream, c.pos)),
  );
  // A step that cannot be read ends the chain at the one before it.
  const whole = states[0]?.text;
  if (!whole) return undefined;
  let end = 1;
  while (end < states.length && states[end]?.steps) end++;
  const at = states[end - 1]!;
  return DocState.restore(
    {
      text: whole,
      steps: states.slice(1, end).flatMap((s) => s!.steps!),
      writes: at.writes,
      heads: at.heads,
      position: chain[end - 1]!.pos,
      claims: ClientClaims.read(at.claims)!,
    },
    onIgnoredError,
  );
}

/** The checkpoint of `stream` at `pos`; undefined when missing or not this module's. */
async function readCheckpoint(
  store: Store,
  stream: string,
  pos: number,
): Promise<CheckpointState | undefined> {
  const record = await store
    .getSnapshot(checkpointKeyOf(stream, pos))
    .catch(() => undefined);
  const state = record?.state as Partial<CheckpointState> | undefined;
  const bytes = (v: unknown) => v instanceof Uint8Array;
  if (
    !record ||
    record.pos !== pos ||
    state?.version !== 2 ||
    !ClientClaims.read(state.claims) ||
    (state.text === undefined) === (state.steps === undefined) ||
    (state.text !== undefined && !bytes(state.text)) ||
    (state.steps !== undefined &&
      !(Array.isArray(state.steps) && state.steps.every(bytes))) ||
    !Array.isArray(state.writes) ||
    !Array.isArray(state.heads) ||
    !state.heads.every((h) => typeof h === 'string')
  )
    return undefined;
  return state as CheckpointState;
}

/** The Yjs state of `snapshot`'s text: in it (versions 3, 4) or in its own record of the same `pos` and `takenAt`. */
async function snapshotText(
  store: Store,
  snapshot: DocumentSnapshot,
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
    title: titlesOf(registers.values('title').map((v) => v.value)),
    deleted: registers.values(DELETED_FIELD).some((v) => v.value === true),
  };
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

/** The record's state when it is one this module wrote; anything else is ignored. */
function snapshotState(
  record: SnapshotRecord | undefined,
): DocumentSnapshot | undefined {
  const state = record?.state as Partial<DocumentSnapshotState> | undefined;
  if (
    !record ||
    (state?.version !== 3 &&
      state?.version !== 4 &&
      state?.version !== 5 &&
      state?.version !== 6) ||
    // Versions 3 and 4 hold the text's state; 5 and 6 keep it apart and the
    // string here.
    (state.version === 5 || state.version === 6
      ? typeof state.plain !== 'string'
      : !(state.text instanceof Uint8Array)) ||
    (state.plain !== undefined && typeof state.plain !== 'string') ||
    !Array.isArray(state.writes) ||
    !Array.isArray(state.heads) ||
    !Number.isSafeInteger(record.pos)
  )
    return undefined;
  return record as DocumentSnapshot;
}

/**
 * Sorted heads after `records`, stored after a state whose heads were `heads`: by
 * causal delivery a parent always has the smaller position, so each event replaces
 * the parents it names.
 */
function headsOf(heads: EventId[], records: readonly EventRecord[]): EventId[] {
  return headsAfter(
    heads,
    records.length,
    (i) => records[i]!.event.id,
    (i) => records[i]!.event.parents,
  );
}
