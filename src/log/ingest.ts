import {
  ActorForkError,
  ClockDriftError,
  IdMismatchError,
  InvalidEventError,
  MissingDependencyError,
} from './errors.ts';
import { computeEventId } from './event-id.ts';
import { canonicalData, checkEventFields } from './validate.ts';
import { boundedClock, maxHlc } from './hlc.ts';
import { mergeConflict } from './conflicts.ts';
import { lookupIn, type NodeLookup } from './dag.ts';
import { follow } from './heads.ts';
import {
  replicaAfter,
  type EventRecord,
  type ReadAhead,
  type StoreTransaction,
} from './store.ts';
import type { EventId, IngestResult, LogEvent } from './types.ts';

/**
 * Events stored between two `tx.settle()`: a batch of any size leaves the thread free
 * every so often (a worker's supervisor gives up on one silent for 20 s).
 */
const SETTLE_EVERY = 1000;

/**
 * An event from another replica, checked before anything is stored: its shape, its
 * id recomputed from its content, its clock at most MAX_CLOCK_DRIFT ahead (`limit`,
 * from `clockLimit`). `index` is its place in the batch, for the error.
 * @throws InvalidEventError, IdMismatchError, ClockDriftError
 */
export function verifyIncoming(
  candidate: unknown,
  index: number,
  limit: string,
): LogEvent {
  const event = checkEventFields(candidate, index);
  const { id } = event;
  const data = canonicalData(event.data, { id, index });
  // The id field is not hashed: no copy without it needed.
  const computed = computeEventId(
    event,
    typeof data === 'string' ? data : undefined,
  );
  if (computed !== id) throw new IdMismatchError(id, computed, index);
  if (event.hlc > limit) throw new ClockDriftError(id, event.hlc, limit, index);
  return event;
}

/** Heads after adding `id`, whose parents are `parents`: causal delivery makes `id` a head. */
export function nextHeads(
  heads: EventId[],
  parents: EventId[],
  id: EventId,
): EventId[] {
  const next = heads.filter((h) => !parents.includes(h));
  next.push(id);
  return next.sort();
}

/**
 * What `ingestInto` looks up for `batch` in its first round: its writers, the
 * parents it names outside itself, its streams (and the replica).
 */
export function readsOf(batch: readonly LogEvent[]): Required<ReadAhead> {
  const ids = new Set(batch.map((e) => e.id));
  return {
    actors: [...new Set(batch.map((e) => e.actor))],
    events: [
      ...new Set(batch.flatMap((e) => e.parents).filter((p) => !ids.has(p))),
    ],
    streams: [...new Set(batch.map((e) => e.stream))],
  };
}

/**
 * Stores a verified batch in causal order inside `tx`: each event waits until its
 * parents and its actor's previous seq are stored or accepted from the batch.
 *
 * Everything the batch needs from the store is fetched first, in a few parallel
 * rounds (IndexedDB pipelines requests within a transaction), so the causal-order
 * pass below awaits nothing: a sequential read per event would cost a round trip to
 * the browser's storage process each.
 */
export async function ingestInto(
  tx: StoreTransaction,
  batch: LogEvent[],
  recordedAt: number,
  /** This replica's own actor: nobody else may write under it. */
  self?: string,
  /**
   * Hand back the events still waiting for a parent or an earlier seq (`deferred`),
   * rather than throw MissingDependencyError: a streamed import gives them again
   * with its next chunk, where what they wait for may be.
   */
  defer = false,
  /** `readsOf(batch)`, when the caller made it already (for `Store.write`'s hint). */
  reads: Required<ReadAhead> = readsOf(batch),
): Promise<
  IngestResult & {
    deferred: LogEvent[];
    /** The stored records of the batch's events that were stored already. */
    held: EventRecord[];
  }
> {
  // An actor's events are stored densely by seq, 1, 2, 3 …, so an event past its
  // actor's stored seq is new without a look-up; only the others (a duplicate, or a
  // fork of its actor) are asked for by id, in rounds of SETTLE_EVERY so that a
  // large batch of them does not hold the thread either.
  // One round of look-ups for the whole batch: its actors' seqs, the parents it
  // names outside itself, its streams and the replica. (A duplicate's are looked up
  // too: duplicates are rare, and a round trip costs more than a look-up.)
  const { actors: batchActors, events: outside, streams: batchStreams } = reads;
  const [seqList, parentRecords, streamRecords, replica] = await Promise.all([
    Promise.all(batchActors.map((a) => tx.actorSeq(a))),
    Promise.all(outside.map((id) => tx.event(id))),
    Promise.all(batchStreams.map((s) => tx.stream(s))),
    tx.replica(),
  ]);
  const storedSeqs = new Map(batchActors.map((a, i) => [a, seqList[i]!]));
  const records = new Map<EventId, EventRecord>();
  outside.forEach(
    (id, i) => parentRecords[i] && records.set(id, parentRecords[i]!),
  );
  const known = batch.filter((e) => e.seq <= storedSeqs.get(e.actor)!);
  const existing = new Set<EventId>();
  const held: EventRecord[] = [];
  for (let i = 0; i < known.length; i += SETTLE_EVERY) {
    const round = known.slice(i, i + SETTLE_EVERY);
    const found = await Promise.all(round.map((e) => tx.event(e.id)));
    round.forEach((e, j) => {
      const record = found[j];
      if (!record) return;
      existing.add(e.id);
      held.push(record);
      // Stored already: a parent of the batch's fresh events, maybe.
      records.set(e.id, record);
    });
  }
  const fresh = batch.filter((e) => !existing.has(e.id));
  const duplicates = batch.length - fresh.length;
  if (fresh.length === 0) return { stored: 0, duplicates, deferred: [], held };

  const actors = [...new Set(fresh.map((e) => e.actor))];
  const storedStreams = new Map(
    batchStreams.map((name, i) => [name, streamRecords[i]] as const),
  );
  const seqs = new Map(actors.map((a) => [a, storedSeqs.get(a)!]));
  // Once this replica has written as `self`, nobody else may: an event of its own
  // actor that it does not hold was written elsewhere. (A store that never wrote
  // may take its actor's events, as when restoring a backup under the same id.)
  const impostor =
    self && seqs.get(self) ? fresh.find((e) => e.actor === self) : undefined;
  if (impostor)
    throw new ActorForkError(impostor.id, impostor.actor, impostor.seq);
  // Each stream's heads as a set while the batch goes in, sorted once at its end:
  // an array filtered and sorted per event cost a stream of H heads H per event,
  // and 20,000 concurrent events (as many writers, none seeing another) 11-29 s.
  const streams = new Map<string, { heads: Set<EventId>; size: number }>(
    [...new Set(fresh.map((e) => e.stream))].map((s) => {
      const stored = storedStreams.get(s);
      return [s, { heads: new Set(stored?.heads), size: stored?.size ?? 0 }];
    }),
  );
  let { lastPos } = replica;
  let hlc = boundedClock(replica.hlc, recordedAt);
  let stored = 0;
  const waitingOnId = new Map<EventId, LogEvent[]>();
  const waitingOnSeq = new Map<string, LogEvent>();
  const storedAt = new Map<string, EventId>();
  const pending = new Set(fresh);
  const merges: EventRecord[] = [];

  // Returns true when stored; otherwise parks the event on the first thing it waits for.
  const tryStore = (event: LogEvent): boolean => {
    let gen = 0;
    for (const parentId of event.parents) {
      const parent = records.get(parentId);
      if (!parent) {
        const list = waitingOnId.get(parentId) ?? [];
        list.push(event);
        waitingOnId.set(parentId, list);
        return false;
      }
      if (parent.event.stream !== event.stream) {
        throw new InvalidEventError(
          'parents',
          `parent ${parentId} belongs to stream "${parent.event.stream}"`,
          {
            id: event.id,
          },
        );
      }
      if (!(parent.event.hlc < event.hlc)) {
        throw new InvalidEventError(
          'hlc',
          `${event.hlc} is not after parent ${parentId}'s ${parent.event.hlc}`,
          {
            id: event.id,
          },
        );
      }
      gen = Math.max(gen, parent.gen);
    }
    const seq = seqs.get(event.actor)!;
    // Not stored (duplicates were set aside), yet its seq is taken: a fork.
    if (event.seq <= seq) {
      const twin = storedAt.get(`${event.actor}\n${event.seq}`);
      throw new ActorForkError(event.id, event.actor, event.seq, twin);
    }
    if (event.seq > seq + 1) {
      waitingOnSeq.set(`${event.actor}\n${event.seq - 1}`, event);
      return false;
    }
    const record: EventRecord = {
      event,
      pos: ++lastPos,
      recordedAt,
      gen: gen + 1,
    };
    tx.putEvent(record);
    records.set(event.id, record);
    if (event.parents.length >= 2) merges.push(record);
    const stream = streams.get(event.stream)!;
    follow(stream.heads, event.parents, event.id);
    stream.size++;
    seqs.set(event.actor, event.seq);
    storedAt.set(`${event.actor}\n${event.seq}`, event.id);
    hlc = maxHlc(hlc, event.hlc);
    stored++;
    return true;
  };

  // A worklist rather than recursion: a 100k-event chain arriving backwards must not overflow the stack.
  const work = [...fresh].reverse();
  while (work.length > 0) {
    const event = work.pop()!;
    if (!pending.has(event) || !tryStore(event)) continue;
    if (tx.settle && stored % SETTLE_EVERY === 0) await tx.settle();
    pending.delete(event);
    const byId = waitingOnId.get(event.id);
    if (byId) {
      waitingOnId.delete(event.id);
      work.push(...byId);
    }
    const key = `${event.actor}\n${event.seq}`;
    const bySeq = waitingOnSeq.get(key);
    if (bySeq) {
      waitingOnSeq.delete(key);
      work.push(bySeq);
    }
  }
  if (pending.size > 0 && !defer) {
    const [stuck] = pending as Set<LogEvent>;
    const missing = stuck!.parents.filter((p) => !records.has(p));
    const seq = seqs.get(stuck!.actor)!;
    const missingSeq =
      stuck!.seq > seq + 1
        ? { actor: stuck!.actor, seq: stuck!.seq - 1 }
        : undefined;
    throw new MissingDependencyError(stuck!.id, missing, missingSeq);
  }
  // The conflicts these merges resolve, from what the batch and the store hold: each
  // walk costs the events since its fork point.
  const fromStore = lookupIn(tx);
  const lookup: NodeLookup = (id) => records.get(id) ?? fromStore(id);
  for (const merge of merges) {
    const conflict = await mergeConflict(lookup, merge);
    if (conflict) tx.putConflict(conflict);
  }
  for (const [name, { heads, size }] of streams)
    tx.putStream({ stream: name, heads: [...heads].sort(), size });
  for (const [actor, seq] of seqs) tx.putActorSeq(actor, seq);
  tx.putReplica(replicaAfter(replica, hlc, lastPos));
  return { stored, duplicates, deferred: [...pending], held };
}
