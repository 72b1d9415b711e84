import { mergeConflict } from './conflicts.ts';
import { concurrentWith, lookupIn, type DagNode } from './dag.ts';
import {
  InvalidEventError,
  StreamNotFoundError,
  UnknownEventError,
  WrongExpectedHeadsError,
} from './errors.ts';
import { computeEventId } from './event-id.ts';
import { isoOf } from './event-time.ts';
import { boundedClock, maxHlc, tickHlc } from './hlc.ts';
import { sameIds } from './heads.ts';
import { nextHeads } from './ingest.ts';
import { LIMITS } from './validate.ts';
import {
  compareCanonical,
  replicaAfter,
  type EventRecord,
  type StoreReader,
  type StoreTransaction,
} from './store.ts';
import type {
  AppendResult,
  EventId,
  EventInput,
  Expected,
  LogEvent,
  Policy,
} from './types.ts';

export interface AppendRequest {
  stream: string;
  inputs: EventInput[];
  expected: Expected;
  policy: Policy;
  actor: string;
  /**
   * Write as the store's replica id when it differs from `actor`: another tab of this
   * profile took a fresh one after an actor fork.
   */
  followStore?: boolean;
  /** Wall clock for the HLC and the events' default time. */
  now: number;
}

const byCanonical = (a: DagNode, b: DagNode) =>
  compareCanonical(a.event, b.event);

/**
 * The append rules of DESIGN §4 inside one transaction: the expected heads are
 * checked against the stream's, the events are chained, numbered, timestamped and
 * hashed, and heads, seq and clock are written with them.
 */
export async function appendInto(
  tx: StoreTransaction,
  request: AppendRequest,
): Promise<AppendResult[]> {
  const { stream, inputs, expected, policy, now } = request;
  let { actor } = request;
  if (Array.isArray(expected)) checkParentCount(expected);
  // One round of reads, in parallel: in IndexedDB each awaited read is a round
  // trip to the storage process, and an append needs all of these. The expected
  // heads named are read in the same round: they are the parents, mostly.
  const [streamRecord, replica, storedSeq, named] = await Promise.all([
    tx.stream(stream),
    tx.replica(),
    tx.actorSeq(actor),
    Array.isArray(expected)
      ? Promise.all(expected.map((id) => tx.event(id)))
      : undefined,
  ]);
  let actorSeq = storedSeq;
  if (request.followStore && replica.actor && replica.actor !== actor) {
    actor = replica.actor;
    actorSeq = await tx.actorSeq(actor);
  }
  const heads = streamRecord?.heads ?? [];
  // Named heads were read above: only the stream's own heads are read now.
  const { parents, records } = Array.isArray(expected)
    ? namedParents(stream, heads, expected, policy, named!)
    : await streamParents(tx, stream, heads, expected, policy);
  const concurrent = sameIds(parents, heads)
    ? []
    : (await concurrentWith(lookupIn(tx), heads, parents))
        .sort(byCanonical)
        .map((n) => n.event.id);

  let gen = 0;
  const clock = boundedClock(replica.hlc, now);
  let hlc = clock;
  for (const parent of records) {
    gen = Math.max(gen, parent.gen);
    // A parent stored with a runaway clock (before clocks were bounded) lifts only
    // its own children, which must sort after it; the replica clock stays bounded.
    hlc = maxHlc(hlc, parent.event.hlc);
  }
  let seq = actorSeq;
  let pos = replica.lastPos;
  let previous = parents;
  const recordedAt = now;
  // isoOf builds it from its cached minute: toISOString was 2% of a long replay.
  const isoTime = isoOf(recordedAt) ?? new Date(recordedAt).toISOString();
  const results: AppendResult[] = [];
  let first: EventRecord | undefined;
  for (const input of inputs) {
    hlc = tickHlc(hlc, recordedAt);
    // id first so the object keeps one shape; it is filled in once the rest is hashed.
    const event: LogEvent = {
      id: '',
      stream,
      type: input.type,
      data: input.data,
      parents: previous,
      actor: actor,
      seq: ++seq,
      hlc,
      time: input.time ?? isoTime,
    };
    if (input.author !== undefined) event.author = input.author;
    event.id = computeEventId(event);
    const record = { event, pos: ++pos, recordedAt, gen: ++gen };
    tx.putEvent(record);
    first ??= record;
    results.push({ event, status: 'stored', position: pos, concurrent });
    previous = [event.id];
  }
  // Only the first event can merge: the rest each follow the one before. (Not
  // even called otherwise: awaiting it was a promise and a turn per append.)
  if (first!.event.parents.length >= 2) {
    const conflict = await mergeConflict(lookupIn(tx), first!);
    if (conflict) tx.putConflict(conflict);
  }
  const last = results[results.length - 1]!.event;
  const size = (streamRecord?.size ?? 0) + inputs.length;
  tx.putStream({ stream, heads: nextHeads(heads, parents, last.id), size });
  tx.putActorSeq(actor, seq);
  tx.putReplica(
    replicaAfter(replica, maxHlc(clock, boundedClock(hlc, now)), pos),
  );
  return results;
}

/** Ingest refuses an event with more parents, so no replica could ever receive it. */
function checkParentCount(parents: EventId[]): void {
  if (parents.length > LIMITS.maxParents) {
    throw new InvalidEventError(
      'expected',
      `${parents.length} heads exceed the ${LIMITS.maxParents} one event may name; merge some first`,
    );
  }
}

/**
 * The new event's parents when the append named the heads it saw: those heads,
 * checked to be events of this stream (`named`: their records, read with the
 * append's first round).
 */
function namedParents(
  stream: string,
  heads: EventId[],
  expected: EventId[],
  policy: Policy,
  named: (EventRecord | undefined)[],
): { parents: EventId[]; records: EventRecord[] } {
  const records = named.map((record, i) => {
    if (!record || record.event.stream !== stream)
      throw new UnknownEventError(expected[i]!, stream);
    return record;
  });
  if (policy === 'reject' && !sameIds(expected, heads)) {
    throw new WrongExpectedHeadsError(stream, expected, heads);
  }
  return { parents: expected, records };
}

/** The new event's parents otherwise: the stream's heads, or none for a new stream. */
async function streamParents(
  tx: StoreReader,
  stream: string,
  heads: EventId[],
  expected: 'any' | 'stream-exists' | 'no-stream',
  policy: Policy,
): Promise<{ parents: EventId[]; records: EventRecord[] }> {
  if (expected === 'no-stream') {
    if (heads.length > 0 && policy === 'reject') {
      throw new WrongExpectedHeadsError(stream, 'no-stream', heads);
    }
    return { parents: [], records: [] };
  }
  if (expected === 'stream-exists' && heads.length === 0)
    throw new StreamNotFoundError(stream);
  checkParentCount(heads);
  // The stream's heads are its events: a missing one is a corrupted store.
  const records = await Promise.all(heads.map((id) => tx.event(id)));
  return {
    parents: heads,
    records: records.map((r, i) => found(r, heads[i]!)),
  };
}

function found(record: EventRecord | undefined, id: EventId): EventRecord {
  if (!record) throw new Error(`log corrupted: head ${id} is not stored`);
  return record;
}

export function normalizeExpected(expected: Expected): Expected {
  if (
    expected === 'any' ||
    expected === 'no-stream' ||
    expected === 'stream-exists'
  )
    return expected;
  if (
    !Array.isArray(expected) ||
    expected.some((id) => typeof id !== 'string')
  ) {
    throw new InvalidEventError(
      'expected',
      "must be a list of event ids, 'any', 'no-stream' or 'stream-exists'",
    );
  }
  return [...new Set(expected)].sort();
}
