import {
  compareCanonical,
  type CanonicalKey,
  type EventRecord,
  type SnapshotRecord,
  type Store,
} from './store.ts';
import type { EventId, Projection, SnapshotOptions } from './types.ts';

const DEFAULT_EVERY = 500;

/**
 * Folds `stream` at its current heads from the latest valid snapshot: the cost is the
 * events that arrived since it. A snapshot is void when a later arrival sorts before
 * its last folded event (a synced event from the past); the fold then starts over.
 */
export async function foldFromSnapshot<S>(
  store: Store,
  stream: string,
  projection: Projection<S> & { snapshot: SnapshotOptions<S> },
  now: number,
): Promise<S> {
  const {
    name,
    every = DEFAULT_EVERY,
    encode = (s: S) => s,
    decode = (v: unknown) => v as S,
  } = projection.snapshot;
  const key = `${stream}\n${name}`;
  const snapshot = await store.getSnapshot(key).catch(() => undefined);
  if (snapshot) {
    const extra = new Set(snapshot.extra);
    const newer = (await store.streamEventsSince(stream, snapshot.pos)).filter(
      (r) => !extra.has(r.event.id),
    );
    const after = snapshot.after;
    if (!after || newer.every((r) => compareCanonical(r.event, after) > 0)) {
      newer.sort((a, b) => compareCanonical(a.event, b.event));
      let state = decode(snapshot.state);
      for (const record of newer)
        state = projection.evolve(state, record.event);
      if (newer.length >= every) {
        const last = newer[newer.length - 1]!;
        const pos = Math.max(snapshot.pos, ...newer.map((r) => r.pos));
        await putQuietly(store, {
          key,
          stream,
          pos,
          extra: [],
          after: keyOf(last),
          state: encode(state),
          takenAt: now,
        });
      }
      return state;
    }
  }
  const startPos = (await store.replica()).lastPos;
  let state = projection.initial();
  let last: CanonicalKey | null = null;
  let count = 0;
  const arrivedDuring: EventId[] = [];
  for await (const record of store.streamEvents(stream)) {
    state = projection.evolve(state, record.event);
    last = keyOf(record);
    if (record.pos > startPos) arrivedDuring.push(record.event.id);
    count++;
  }
  if (count >= every) {
    await putQuietly(store, {
      key,
      stream,
      pos: startPos,
      extra: arrivedDuring,
      after: last,
      state: encode(state),
      takenAt: now,
    });
  }
  return state;
}

const keyOf = (record: EventRecord): CanonicalKey => ({
  hlc: record.event.hlc,
  id: record.event.id,
});

/**
 * The record of a fold that holds every event of `stream` up to position `pos` and
 * that no later arrival voids, because its order does not matter (a document's
 * text and registers, its history index, its conflicts at its heads).
 */
export function orderFreeSnapshot(
  key: string,
  stream: string,
  pos: number,
  state: unknown,
  takenAt = Date.now(),
): SnapshotRecord {
  return { key, stream, pos, extra: [], after: null, state, takenAt };
}

/**
 * Snapshots are caches: failing to write one (quota, a closing tab) must not fail
 * the fold. Resolves to whether it was written.
 */
export async function putQuietly(
  store: Store,
  record: Parameters<Store['putSnapshot']>[0],
): Promise<boolean> {
  return store.putSnapshot(record).then(
    () => true,
    () => false,
  );
}
