import { BufferedTransaction } from './buffered-transaction.ts';
import { lateness, mergeSorted } from './canonical-order.ts';
import { ZERO_HLC } from './hlc.ts';
import { vectorFrom } from './version-vector.ts';
import {
  compareCanonical,
  PAGE_RECORDS,
  type CanonicalKey,
  type ConflictRecord,
  type EventRecord,
  type ReplicaRecord,
  type SnapshotRecord,
  type Store,
  type StoreReader,
  type StoreTransaction,
  type StreamRecord,
} from './store.ts';
import type { EventId } from './types.ts';

interface StreamEntry {
  record: StreamRecord;
  /** Sorted by (hlc, id). Local appends land at the end. */
  canonical: EventRecord[];
  /**
   * Synced events that sort before the tail, not yet merged in: sorting them once on
   * the next read costs far less than splicing each into a long array as it arrives.
   */
  late: EventRecord[];
}

interface Committed {
  events: Map<EventId, EventRecord>;
  streams: Map<string, StreamEntry>;
  actorSeqs: Map<string, number>;
  replica: ReplicaRecord;
  /** Per stream, in the canonical order of their merges. */
  conflicts: Map<string, ConflictRecord[]>;
}

/** An in-memory Store for Node, tests and servers. */
export function memoryStore(): Store {
  const committed: Committed = {
    events: new Map(),
    streams: new Map(),
    actorSeqs: new Map(),
    replica: { hlc: ZERO_HLC, lastPos: 0 },
    conflicts: new Map(),
  };
  const byPos: EventRecord[] = [];
  const byActor = new Map<string, EventRecord[]>();
  const snapshots = new Map<string, SnapshotRecord>();
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  /** Committed state, under every transaction. */
  const reader: StoreReader = {
    event: async (id) => committed.events.get(id),
    eventInMemory: (id) => committed.events.get(id),
    stream: async (name) => committed.streams.get(name)?.record,
    actorSeq: async (actor) => committed.actorSeqs.get(actor) ?? 0,
    replica: async () => committed.replica,
  };

  /** A transaction's writes, applied once its body succeeded: a failed one leaves nothing. */
  function apply(tx: BufferedTransaction): void {
    // Late: sorts before an event of its stream stored earlier (src/log/canonical-order.ts).
    const { late } = lateness(tx.events, (stream) => {
      const canonical = committed.streams.get(stream)?.canonical;
      return canonical?.[canonical.length - 1]?.event;
    });
    const isLate = late.length > 0 ? new Set(late) : undefined;
    for (const record of tx.events) {
      committed.events.set(record.event.id, record);
      byPos[record.pos - 1] = record;
      const { stream, actor } = record.event;
      let entry = committed.streams.get(stream);
      if (!entry) {
        entry = {
          record: { stream, heads: [], size: 0 },
          canonical: [],
          late: [],
        };
        committed.streams.set(stream, entry);
      }
      (isLate?.has(record) ? entry.late : entry.canonical).push(record);
      let own = byActor.get(actor);
      if (!own) byActor.set(actor, (own = []));
      own[record.event.seq - 1] = record;
    }
    for (const [name, record] of tx.streams)
      committed.streams.get(name)!.record = record;
    for (const [actor, seq] of tx.seqs) committed.actorSeqs.set(actor, seq);
    if (tx.replicaRecord) committed.replica = tx.replicaRecord;
    for (const record of tx.conflicts) {
      let index = committed.conflicts.get(record.stream);
      if (!index) committed.conflicts.set(record.stream, (index = []));
      const key = conflictKey(record);
      const at = upperBound(index, key, conflictKey);
      // Keyed by its merge: recorded again, it replaces itself.
      const same =
        at > 0 && compareCanonical(conflictKey(index[at - 1]!), key) === 0;
      index.splice(same ? at - 1 : at, same ? 1 : 0, copyConflict(record));
    }
  }

  async function runWrite<T>(
    body: (tx: StoreTransaction) => Promise<T>,
  ): Promise<T> {
    const tx = new BufferedTransaction(reader);
    const result = await body(tx);
    apply(tx);
    return result;
  }

  /** The stream's canonical array with late arrivals merged in. */
  function settled(entry: StreamEntry): EventRecord[] {
    if (entry.late.length > 0) {
      const late = entry.late.sort((a, b) =>
        compareCanonical(a.event, b.event),
      );
      entry.late = [];
      entry.canonical = mergeSorted(entry.canonical, late);
    }
    return entry.canonical;
  }

  return {
    ...reader,
    write(body) {
      if (closed) return Promise.reject(new Error('memory store is closed'));
      const run = queue.then(() => runWrite(body));
      queue = run.catch(() => undefined);
      return run;
    },
    async *streamEvents(stream: string) {
      const entry = committed.streams.get(stream);
      if (!entry) return;
      let list = settled(entry);
      let i = 0;
      while (i < list.length) {
        const record = list[i]!;
        yield record;
        // Writes may have landed while the consumer awaited: resume strictly after the last key.
        const current = settled(entry);
        i =
          current === list && list[i] === record
            ? i + 1
            : upperBound(current, record.event, (r) => r.event);
        list = current;
      }
    },
    async *eventsFrom(from: number) {
      for (let i = Math.max(from, 1) - 1; i < byPos.length; i++)
        yield byPos[i]!;
    },
    // Each page a copy: what lands while a reader holds it stays out of it.
    async *eventPagesFrom(from: number) {
      for (let i = Math.max(from, 1) - 1; i < byPos.length; i += PAGE_RECORDS)
        yield byPos.slice(i, i + PAGE_RECORDS);
    },
    actorEvent: async (actor, seq) => byActor.get(actor)?.[seq - 1],
    versionVector: async () => vectorFrom(committed.actorSeqs),
    streamNames: async (prefix) =>
      [...committed.streams.keys()].filter((s) => s.startsWith(prefix)).sort(),
    async storedBy(id, pos) {
      const record = committed.events.get(id);
      return record !== undefined && record.pos <= pos;
    },
    async streamEventsSince(stream, pos) {
      return byPos.slice(pos).filter((r) => r.event.stream === stream);
    },
    conflicts: async (stream) =>
      (committed.conflicts.get(stream) ?? []).map(copyConflict),
    // Cloned both ways, as IndexedDB does, so a fold that mutates its state cannot corrupt the cache.
    getSnapshot: async (key) => structuredClone(snapshots.get(key)),
    putSnapshot: async (record) =>
      void snapshots.set(record.key, structuredClone(record)),
    deleteSnapshot: async (key) => void snapshots.delete(key),
    clearSnapshots: async () => snapshots.clear(),
    async close() {
      closed = true;
      await queue;
    },
  };
}

const conflictKey = (r: ConflictRecord): CanonicalKey => ({
  hlc: r.hlc,
  id: r.resolvedBy,
});

/** Copied both ways, as IndexedDB does: what a caller does with one stays its own. */
const copyConflict = (r: ConflictRecord): ConflictRecord => ({
  ...r,
  events: [...r.events],
  forkPoint: [...r.forkPoint],
});

/** Index of the first item whose key is strictly after `key`. */
function upperBound<T>(
  list: T[],
  key: CanonicalKey,
  keyOf: (item: T) => CanonicalKey,
): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareCanonical(keyOf(list[mid]!), key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
