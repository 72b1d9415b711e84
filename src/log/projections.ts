import { matcherOf, type EventFilter } from './event-filter.ts';
import { putQuietly } from './snapshots.ts';
import { mergeStreams, reorderCanonical } from './canonical-order.ts';
import {
  compareCanonical,
  eventPages,
  type CanonicalKey,
  type Store,
} from './store.ts';
import { logPagesAfter, type RecordSubscription } from './subscriptions.ts';
import type {
  LogEvent,
  Projection,
  ProjectionHandle,
  ProjectionStats,
  VersionVector,
} from './types.ts';
import { copyVector, seqIn } from './version-vector.ts';

/** Events folded in order between two checkpoints, saved and kept in memory. */
const DEFAULT_EVERY = 500;
/** Checkpoints kept in memory to refold from when an event arrives that sorts before what was folded. */
const KEPT = 4;
/**
 * Records a read in arrival order holds back to sort them: an event arriving more
 * than this many records late (in the projection's streams or not) makes the first
 * fold read again, stream by stream.
 */
const REORDER_WINDOW = 8192;
/**
 * A projection checkpoint's snapshot key: no stream name holds a control character.
 * One per projection name, whatever the state's format: a new format's checkpoint
 * replaces the old one instead of leaving it behind. The record is small (where the
 * checkpoint ends, its vector); the state is a record of its own
 * (`projectionStateKeyOf`), so that reopening reads the events since while the
 * state, up to megabytes, is still being read.
 */
export const projectionKeyOf = (name: string) => `\u0000project\n${name}`;
/** The key of a projection checkpoint's state (no projection key starts so). */
export const projectionStateKeyOf = (name: string) =>
  `\u0000projectState\n${name}`;

/**
 * What a checkpoint's record holds as its state. Version 3 keeps the projection's
 * state in a record of its own, named by `stamp`; 1 and 2 (before) are read as no
 * checkpoint, and replaced by the first save.
 */
interface Checkpoint {
  version: 3;
  /** The projection's `snapshot.name` (its state's format), '' without one. */
  format: string;
  vector: VersionVector;
  /** The state record this checkpoint goes with: written first, with the same stamp. */
  stamp: string;
}

/** What a checkpoint's state record holds as its state. */
interface CheckpointState {
  version: 3;
  stamp: string;
  state: unknown;
}

/**
 * A restart's state when it is the checkpoint the projection opened from: read
 * again when wanted.
 */
const STORED = Symbol('the stored checkpoint');

/** A state to start again from: the fold of every event up to `after`. */
interface Restart {
  after: CanonicalKey | null;
  /**
   * Encoded and copied: a fold that mutates its state cannot reach it. STORED: the
   * checkpoint's, still in the store (so opening copies no state: refolds are rare).
   */
  state: unknown;
  /** Where the events folded after it start in `recent`. */
  index: number;
}

export interface ProjectionSource {
  store: Store;
  /** Starts a subscription over the log's records (it wakes on every commit). */
  subscribe(subscription: RecordSubscription): () => Promise<void>;
  now: () => number;
  /** Hears a failure once the projection is open (before, `openProjection` rejects). */
  onError: (error: unknown) => void;
}

/**
 * A projection the log keeps current (DESIGN §11): its state is the fold, in
 * canonical order, of every event of its streams stored so far. It opens from its
 * checkpoint (a snapshot saved every `every` events folded) and folds what arrived
 * since, then each event as it is stored.
 *
 * Arrival order is not canonical order: an event synced from another replica may
 * sort before events already folded. The projection then refolds from the last
 * state it kept (in memory, one every `every` events) that sorts before it, with
 * the events since; if it kept none that early, from the start, reading its streams
 * in canonical order. `stats` counts how often.
 */
export async function openProjection<S>(
  source: ProjectionSource,
  name: string,
  projection: Projection<S>,
  filter: EventFilter,
): Promise<ProjectionHandle<S>> {
  const { store } = source;
  const every = projection.snapshot?.every ?? DEFAULT_EVERY;
  const encode = projection.snapshot?.encode ?? ((s: S) => s as unknown);
  const decode = projection.snapshot?.decode ?? ((v: unknown) => v as S);
  const copyOut = (s: S) => structuredClone(encode(s));
  const copyIn = (v: unknown) => decode(structuredClone(v));
  const matches = matcherOf(filter);
  const key = projectionKeyOf(name);
  const stateKey = projectionStateKeyOf(name);
  const format = projection.snapshot?.name ?? '';

  let state = projection.initial();
  let vector: VersionVector = copyVector({});
  let after: CanonicalKey | null = null;
  /** Every record at a position up to here has been seen. */
  let position = 0;
  /** Events folded since the oldest restart, in canonical order. */
  let recent: LogEvent[] = [];
  /** The states to refold from: the initial one, or the checkpoint opened from. */
  let restarts: Restart[] = [];
  let sinceSaved = 0;
  /**
   * Until the projection has caught up, nothing it does is only for later: it takes
   * no restart copies (while what it folded fits in the KEPT restarts' events, so
   * the checkpoint it opened from is the restart) and saves no checkpoint (one is
   * saved right after). Reopening costs the read of its checkpoint and the events
   * since, not three more copies of the whole state.
   */
  let opened = false;
  /** Deliveries and saves, one at a time: a save reads the state and the restarts. */
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(job: () => Promise<T>): Promise<T> => {
    const done = queue.then(job);
    queue = done.catch(() => undefined);
    return done;
  };
  const stats: ProjectionStats = { folded: 0, refolds: 0, refolded: 0 };
  const listeners = new Set<(state: S) => void>();

  /** The checkpoint's record, if it is one this format wrote (version 3). */
  const readHead = async () => {
    const saved = await store.getSnapshot(key).catch(() => undefined);
    const head = saved?.state as Partial<Checkpoint> | undefined;
    return saved &&
      head?.version === 3 &&
      head.format === format &&
      typeof head.stamp === 'string' &&
      Number.isSafeInteger(saved.pos) &&
      typeof head.vector === 'object' &&
      head.vector !== null &&
      isKeyOrNull(saved.after)
      ? {
          pos: saved.pos,
          after: saved.after,
          vector: head.vector,
          stamp: head.stamp,
        }
      : undefined;
  };
  /**
   * The state saved with the checkpoint stamped `stamp`, a copy of its own
   * (Store.getSnapshot); undefined when the store holds another one or none.
   */
  const readState = async (stamp: string) => {
    const saved = await store.getSnapshot(stateKey).catch(() => undefined);
    const record = saved?.state as Partial<CheckpointState> | undefined;
    return record?.version === 3 && record.stamp === stamp && 'state' in record
      ? { state: record.state }
      : undefined;
  };
  /** Where the checkpoint opened from ends, while a restart is STORED. */
  let storedPos = -1;
  const head = await readHead();

  /**
   * Events folded before this many take no restart and are not kept: a fold of a
   * whole history keeps only its last KEPT restarts, so it copies no state before.
   */
  let restartFrom = 0;

  const foldInOrder = (events: LogEvent[]) => {
    for (const event of events) {
      state = projection.evolve(state, event);
      after = { hlc: event.hlc, id: event.id };
      stats.folded++;
      if (stats.folded < restartFrom) continue;
      if (stats.folded === restartFrom) {
        restarts = [{ after, state: copyOut(state), index: 0 }];
        recent = [];
        continue;
      }
      recent.push(event);
      if (!opened && recent.length <= KEPT * every) continue;
      if (recent.length - restarts[restarts.length - 1]!.index >= every) {
        restarts.push({ after, state: copyOut(state), index: recent.length });
        if (restarts.length > KEPT) {
          restarts.shift();
          const first = restarts[0]!.index;
          recent = recent.slice(first);
          for (const r of restarts) r.index -= first;
        }
      }
    }
  };

  /**
   * A restart's state, encoded: the checkpoint's read again if STORED, or undefined
   * when the store holds another by now (saved by another opening of this name).
   */
  const encodedOf = async (restart: Restart) => {
    if (restart.state !== STORED) return restart.state;
    const again = await readHead();
    const same =
      again?.pos === storedPos &&
      (again.after === null
        ? restart.after === null
        : restart.after !== null &&
          compareCanonical(again.after, restart.after) === 0);
    return same ? (await readState(again.stamp))?.state : undefined;
  };

  /** Folds again from the last restart before `first`, or from the start. */
  const refold = async (late: LogEvent[]) => {
    const first = late[0]!;
    stats.refolds++;
    let at = restarts.length - 1;
    while (at >= 0 && !sortsBefore(restarts[at]!.after, first)) at--;
    const from = at >= 0 ? restarts[at]! : undefined;
    const encoded = from && (await encodedOf(from));
    if (from && encoded !== undefined) {
      const events = [...recent.slice(from.index), ...late].sort(
        compareCanonical,
      );
      // Read again from the store (its copy is ours), or kept here (copied).
      state = from.state === STORED ? decode(encoded) : copyIn(encoded);
      recent = recent.slice(0, from.index);
      restarts = restarts.slice(0, at + 1);
      stats.refolded += events.length;
      stats.folded -= events.length - late.length;
      foldInOrder(events);
      return;
    }
    // Earlier than anything kept: every event of the streams up to `position`.
    stats.refolded += (await foldUpTo(position, 'streams')) ?? 0;
  };

  /**
   * Folds, from the initial state, every event of the streams stored up to
   * `upTo`, in canonical order; returns how many, or undefined when the records
   * did not come in canonical order (then the state is partial: fold again).
   * `read`: 'arrival' reads the log in arrival order, sorted in a window (the
   * cheapest read, nearly always enough); 'streams' merges the streams, each read
   * in canonical order (exact, and slower: every late event is a look-up).
   */
  const foldUpTo = async (upTo: number, read: 'arrival' | 'streams') => {
    const names = await store.streamNames(filter.streams ?? '');
    let total = 0;
    for (const name of names) total += (await store.stream(name))?.size ?? 0;
    state = projection.initial();
    after = null;
    recent = [];
    stats.folded = 0;
    restartFrom = Math.max(0, total - KEPT * every);
    restarts =
      restartFrom > 0 ? [] : [{ after: null, state: copyOut(state), index: 0 }];
    let inOrder = true;
    if (read === 'arrival') {
      const pages = reorderCanonical(
        eventPages(store, 1, filter),
        REORDER_WINDOW,
        matches,
      );
      for await (const page of pages) {
        const events: LogEvent[] = [];
        for (const { event, pos } of page) if (pos <= upTo) events.push(event);
        // Each page is sorted: a record later than the window shows where two meet.
        if (events.length > 0 && !sortsBefore(after, events[0]!)) {
          inOrder = false;
          break;
        }
        foldInOrder(events);
      }
    } else {
      const batch: LogEvent[] = [];
      const merged = mergeStreams(names.map((n) => store.streamEvents(n)));
      for await (const { event, pos } of merged) {
        if (pos > upTo || !matches(event)) continue;
        batch.push(event);
        if (batch.length >= 1000) foldInOrder(batch.splice(0));
      }
      foldInOrder(batch);
    }
    restartFrom = 0;
    // Fewer events than the streams' sizes said: a restart where the fold ended.
    if (restarts.length === 0) {
      restarts = [{ after, state: copyOut(state), index: 0 }];
      recent = [];
    }
    return inOrder ? stats.folded : undefined;
  };

  const save = async () => {
    sinceSaved = 0;
    // The checkpoint a restart reads again is about to be replaced: keep it here.
    const stored = restarts.findIndex((r) => r.state === STORED);
    if (stored >= 0) {
      const encoded = await encodedOf(restarts[stored]!);
      if (encoded !== undefined) restarts[stored]!.state = encoded;
      else {
        // Gone: the state now is where the next refold can start.
        restarts = [{ after, state: copyOut(state), index: 0 }];
        recent = [];
      }
    }
    // The state first: a checkpoint record names only a state already stored.
    // Two openings of one name saving at once may leave one's record beside the
    // other's state: the stamps then differ, and the next opening folds from the start.
    const stamp = `${position}.${Math.random().toString(36).slice(2)}`;
    const where = {
      stream: '',
      pos: position,
      extra: [],
      after,
      takenAt: source.now(),
    };
    const saved: CheckpointState = { version: 3, stamp, state: encode(state) };
    if (!(await putQuietly(store, { key: stateKey, ...where, state: saved })))
      return;
    const record: Checkpoint = {
      version: 3,
      format,
      vector: copyVector(vector),
      stamp,
    };
    await putQuietly(store, { key, ...where, state: record });
  };

  /** Folds from the initial state every event of the streams stored up to `upTo`. */
  const foldFromStart = async (upTo: number) => {
    if ((await foldUpTo(upTo, 'arrival')) === undefined) {
      stats.refolds++;
      stats.refolded += (await foldUpTo(upTo, 'streams')) ?? 0;
    }
    sinceSaved = stats.folded;
  };

  /**
   * From the checkpoint: its state is read (up to megabytes) while the subscription
   * reads the events since, whose folds wait for it in the queue. If the state is
   * gone or unreadable (a cache), every event up to where the checkpoint ends is
   * folded from the start instead.
   */
  let stateIn = !head;
  const loading =
    head &&
    serially(async () => {
      vector = copyVector(head.vector);
      after = head.after;
      storedPos = head.pos;
      restarts = [{ after, state: STORED, index: 0 }];
      const saved = await readState(head.stamp);
      try {
        // The store's copy is this projection's own: no copy made.
        if (saved) return void (state = decode(saved.state));
      } catch {
        // Unreadable: folded from the start below.
      } finally {
        stateIn = true;
      }
      storedPos = -1;
      await foldFromStart(head.pos);
    });
  loading?.catch(() => undefined); // awaited below
  if (head) position = head.pos;
  else {
    // From nothing: the streams read in canonical order up to a position whose
    // vector is known (nothing was stored between the reads), so that no arrival
    // order makes the fold start over. What comes after is followed live.
    restarts = [{ after: null, state: copyOut(state), index: 0 }];
    for (let tries = 0; tries < 3; tries++) {
      const upTo = (await store.replica()).lastPos;
      const at = await store.versionVector();
      if ((await store.replica()).lastPos !== upTo) continue;
      await foldFromStart(upTo);
      vector = copyVector(at);
      position = upTo;
      break;
    }
  }

  let caughtUp!: () => void;
  let failed!: (error: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => {
    caughtUp = resolve;
    failed = reject;
  });
  /** Folds delivered while the checkpoint's state was read: awaited once caught up. */
  const waiting: Promise<void>[] = [];
  const stop = source.subscribe({
    after: position,
    // Every record, not only its streams': the vector counts them all.
    read: logPagesAfter(store),
    deliver: (records) => {
      const folded = serially(async () => {
        // The vector moves with the state, once the batch is folded: a reader never
        // sees a vector that claims events a refold under way has not yet taken in.
        const next = copyVector(vector);
        const wanted: LogEvent[] = [];
        for (const { event, pos } of records) {
          if (event.seq > seqIn(next, event.actor))
            next[event.actor] = event.seq;
          position = pos;
          if (matches(event)) wanted.push(event);
        }
        if (wanted.length > 0) {
          wanted.sort(compareCanonical);
          if (sortsBefore(after, wanted[0]!)) foldInOrder(wanted);
          else await refold(wanted);
        }
        vector = next;
        if (wanted.length === 0) return;
        sinceSaved += wanted.length;
        if (opened && sinceSaved >= every) await save();
        for (const listener of listeners) listener(state);
      });
      if (stateIn) return folded;
      // The subscription reads on while the state is read (the time that takes,
      // tens of milliseconds, bounds what waits here).
      folded.catch(() => undefined);
      waiting.push(folded);
      return undefined;
    },
    caughtUp: () => caughtUp(),
    failed: (error) => (opened ? source.onError(error) : failed(error)),
  });
  try {
    await ready;
    await loading;
    await Promise.all(waiting);
  } catch (error) {
    await stop();
    throw error;
  }
  opened = true;
  // The checkpoint the catch-up owes, in a task of its own once the state is handed over.
  const owed =
    sinceSaved >= every
      ? setTimeout(
          () =>
            void serially(async () => {
              if (sinceSaved >= every) await save();
            }).catch((error: unknown) => source.onError(error)),
        )
      : undefined;

  return {
    get state() {
      return state;
    },
    get vector() {
      return copyVector(vector);
    },
    get stats() {
      return { ...stats };
    },
    onChange(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    async close() {
      listeners.clear();
      clearTimeout(owed);
      await stop();
      await serially(async () => {
        if (sinceSaved > 0) await save();
      });
    },
  };
}

function isKeyOrNull(key: unknown): key is CanonicalKey | null {
  if (key === null) return true;
  const k = key as Partial<CanonicalKey> | undefined;
  return typeof k?.hlc === 'string' && typeof k.id === 'string';
}

/** Whether `key` (null: before everything) sorts before `event`. */
const sortsBefore = (key: CanonicalKey | null, event: LogEvent) =>
  key === null || compareCanonical(key, event) < 0;
