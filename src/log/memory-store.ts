import { ZERO_HLC } from './hlc.ts';
import {
  compareCanonical,
  type CanonicalKey,
  type EventRecord,
  type ReplicaRecord,
  type SnapshotRecord,
  type Store,
  type StoreTransaction,
  type StreamRecord,
} from './store.ts';
import type { EventId, VersionVector } from './types.ts';

interface StreamEntry {
  record: StreamRecord;
  /** Sorted by (hlc, id). Local appends land at the end; only synced events insert. */
  canonical: EventRecord[];
}

/**
 * An in-memory Store for Node, tests and servers. Transactions buffer their
 * writes and apply them on success, so a failed append leaves nothing behind.
 */
export function memoryStore(): Store {
  const events = new Map<EventId, EventRecord>();
  const byPos: EventRecord[] = [];
  const streams = new Map<string, StreamEntry>();
  const actorSeqs = new Map<string, number>();
  const byActor = new Map<string, EventRecord[]>();
  const snapshots = new Map<string, SnapshotRecord>();
  let replica: ReplicaRecord = { hlc: ZERO_HLC, lastPos: 0 };
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  const committed = {
    event: async (id: EventId) => events.get(id),
    stream: async (name: string) => streams.get(name)?.record,
    actorSeq: async (actor: string) => actorSeqs.get(actor) ?? 0,
    replica: async () => replica,
  };

  function apply(
    pendingEvents: EventRecord[],
    pendingStreams: Map<string, StreamRecord>,
    pendingSeqs: Map<string, number>,
    pendingReplica: ReplicaRecord | undefined,
  ): void {
    for (const record of pendingEvents) {
      events.set(record.event.id, record);
      byPos[record.pos - 1] = record;
      const { stream, actor } = record.event;
      let entry = streams.get(stream);
      if (!entry) {
        entry = { record: { stream, heads: [], size: 0 }, canonical: [] };
        streams.set(stream, entry);
      }
      insertCanonical(entry.canonical, record);
      let own = byActor.get(actor);
      if (!own) byActor.set(actor, (own = []));
      own[record.event.seq - 1] = record;
    }
    for (const [name, record] of pendingStreams)
      streams.get(name)!.record = record;
    for (const [actor, seq] of pendingSeqs) actorSeqs.set(actor, seq);
    if (pendingReplica) replica = pendingReplica;
  }

  async function runWrite<T>(
    body: (tx: StoreTransaction) => Promise<T>,
  ): Promise<T> {
    const pendingEvents: EventRecord[] = [];
    const pendingById = new Map<EventId, EventRecord>();
    const pendingStreams = new Map<string, StreamRecord>();
    const pendingSeqs = new Map<string, number>();
    let pendingReplica: ReplicaRecord | undefined;
    const tx: StoreTransaction = {
      event: async (id) => pendingById.get(id) ?? events.get(id),
      stream: async (name) =>
        pendingStreams.get(name) ?? streams.get(name)?.record,
      actorSeq: async (actor) =>
        pendingSeqs.get(actor) ?? actorSeqs.get(actor) ?? 0,
      replica: async () => pendingReplica ?? replica,
      putEvent(record) {
        pendingEvents.push(record);
        pendingById.set(record.event.id, record);
      },
      putStream: (record) => void pendingStreams.set(record.stream, record),
      putActorSeq: (actor, seq) => void pendingSeqs.set(actor, seq),
      putReplica: (record) => void (pendingReplica = record),
    };
    const result = await body(tx);
    apply(pendingEvents, pendingStreams, pendingSeqs, pendingReplica);
    return result;
  }

  return {
    ...committed,
    write(body) {
      if (closed) return Promise.reject(new Error('memory store is closed'));
      const run = queue.then(() => runWrite(body));
      queue = run.catch(() => undefined);
      return run;
    },
    async *streamEvents(stream: string, after?: CanonicalKey) {
      const entry = streams.get(stream);
      if (!entry) return;
      const list = entry.canonical;
      let i = after ? upperBound(list, after) : 0;
      while (i < list.length) {
        const record = list[i]!;
        yield record;
        // A synced event may have been inserted while the consumer awaited: resume by key.
        i = list[i] === record ? i + 1 : upperBound(list, keyOf(record));
      }
    },
    async *eventsFrom(from: number) {
      for (let i = Math.max(from, 1) - 1; i < byPos.length; i++)
        yield byPos[i]!;
    },
    actorEvent: async (actor, seq) => byActor.get(actor)?.[seq - 1],
    versionVector: async () => Object.fromEntries(actorSeqs) as VersionVector,
    streamNames: async (prefix) =>
      [...streams.keys()].filter((s) => s.startsWith(prefix)).sort(),
    async streamEventsSince(stream, pos) {
      return byPos.slice(pos).filter((r) => r.event.stream === stream);
    },
    // Cloned both ways, as IndexedDB does, so a fold that mutates its state cannot corrupt the cache.
    getSnapshot: async (key) => structuredClone(snapshots.get(key)),
    putSnapshot: async (record) =>
      void snapshots.set(record.key, structuredClone(record)),
    clearSnapshots: async () => snapshots.clear(),
    async close() {
      closed = true;
      await queue;
    },
  };
}

function keyOf(record: EventRecord): CanonicalKey {
  return record.event;
}

/** Index of the first record strictly after `key`. */
function upperBound(list: EventRecord[], key: CanonicalKey): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareCanonical(keyOf(list[mid]!), key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertCanonical(list: EventRecord[], record: EventRecord): void {
  const last = list[list.length - 1];
  if (!last || compareCanonical(keyOf(last), keyOf(record)) < 0)
    list.push(record);
  else list.splice(upperBound(list, keyOf(record)), 0, record);
}
