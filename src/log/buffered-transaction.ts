import type {
  ConflictRecord,
  EventRecord,
  ReplicaRecord,
  StoreReader,
  StoreTransaction,
  StreamRecord,
} from './store.ts';
import type { EventId } from './types.ts';

/**
 * A transaction that holds its writes and reads them back first, then what lies
 * under it: the memory store's committed state, a database, or the transaction of
 * a group of writes. Nothing is written until its owner applies what it holds, so a
 * refused write is dropped by forgetting it.
 */
export class BufferedTransaction implements StoreTransaction {
  readonly events: EventRecord[] = [];
  readonly byId = new Map<EventId, EventRecord>();
  readonly streams = new Map<string, StreamRecord>();
  readonly seqs = new Map<string, number>();
  readonly conflicts: ConflictRecord[] = [];
  replicaRecord: ReplicaRecord | undefined;

  constructor(private readonly under: StoreReader) {}

  async event(id: EventId) {
    return this.byId.get(id) ?? this.under.event(id);
  }
  eventInMemory(id: EventId) {
    return this.byId.get(id) ?? this.under.eventInMemory?.(id);
  }
  async stream(name: string) {
    return this.streams.get(name) ?? this.under.stream(name);
  }
  async actorSeq(actor: string) {
    return this.seqs.get(actor) ?? this.under.actorSeq(actor);
  }
  async replica() {
    return this.replicaRecord ?? this.under.replica();
  }
  putEvent(record: EventRecord) {
    this.events.push(record);
    this.byId.set(record.event.id, record);
  }
  putStream(record: StreamRecord) {
    this.streams.set(record.stream, record);
  }
  putActorSeq(actor: string, seq: number) {
    this.seqs.set(actor, seq);
  }
  putReplica(record: ReplicaRecord) {
    this.replicaRecord = record;
  }
  putConflict(record: ConflictRecord) {
    this.conflicts.push(record);
  }

  /** Writes what it holds into `tx`, as if it had been written there. */
  applyTo(tx: StoreTransaction): void {
    for (const record of this.events) tx.putEvent(record);
    for (const record of this.streams.values()) tx.putStream(record);
    for (const [actor, seq] of this.seqs) tx.putActorSeq(actor, seq);
    for (const record of this.conflicts) tx.putConflict(record);
    if (this.replicaRecord) tx.putReplica(this.replicaRecord);
  }
}
