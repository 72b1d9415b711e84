import { ActorForkError, ForklineError } from '../log/errors.ts';
import {
  copyVector,
  covers,
  raise,
  seqIn,
  raiseTo,
} from '../log/version-vector.ts';
import type { Log, LogEvent, VersionVector } from '../log/types.ts';
import {
  CLOSE,
  decodeMessage,
  encodeEvent,
  encodeMessage,
  eventsMessageOf,
  EVENTS_ENVELOPE_BYTES,
  MAX_BATCH,
  MAX_MESSAGE_BYTES,
  ProtocolError,
  type EncodedEvent,
  type OutgoingBatch,
  type SyncMessage,
} from './messages.ts';

/** What a session needs of a connection: text frames out, and a way to end it. */
export interface Transport {
  send(text: string): void;
  /**
   * Optional: sends the `events` message of batch `id` (`eventsMessageOf`). A
   * transport that sends the same events to many peers (a relay) encodes them once
   * for all of them.
   */
  sendEvents?(id: number, batch: OutgoingBatch): void;
  close(code: number, reason: string): void;
  /**
   * Bytes the connection's send buffer has room for now. A batch is cut to fit it
   * (it still holds at least one event); at 0 or less the session sends nothing more
   * until `push()` is called again, e.g. when the socket drains. Absent: no bound.
   */
  room?(): number;
}

/**
 * What has been sent to one peer, and what to send it next. A session takes its
 * batches from its outbox: by default one that asks the log's `since` with the
 * vector of what was sent; a relay's feed keeps its own (server/log-feed.ts).
 */
export interface Outbox {
  /**
   * The next events the peer lacks, in the log's order: at least one, at most
   * MAX_BATCH, and no more than fit `limit` bytes on the wire after the first. They
   * count as sent. Undefined when the peer lacks nothing this side holds.
   */
  next(limit: number): Promise<OutgoingBatch | undefined>;
  /** The peer sent these (they are stored): it holds them, so they are never sent back. */
  held(events: readonly LogEvent[]): void;
  /** The session ended (said once or more). */
  close?(): void;
}

/**
 * What a session needs of a log: `since`, or `outbox`, for a log that keeps what
 * each of its peers was sent itself (a relay's feed, which sends a peer that is
 * caught up the bytes every such peer gets).
 */
export type SyncedLog = Pick<Log, 'ingest' | 'versionVector'> &
  (
    | { since: Log['since']; outbox?: undefined }
    | { outbox(sent: VersionVector): Outbox; since?: undefined }
  );

/**
 * One batch being filled, in order: events are added while they fit `limit` bytes
 * on the wire (the first always does) and MAX_BATCH.
 */
export class BatchBuilder {
  readonly events: LogEvent[] = [];
  readonly encoded: EncodedEvent[] = [];
  private bytes = EVENTS_ENVELOPE_BYTES;

  constructor(private readonly limit: number) {}

  /** Adds `event`; false, without adding it, when the batch is full. */
  add(event: LogEvent): boolean {
    if (this.events.length === MAX_BATCH) return false;
    const text = encodeEvent(event);
    if (this.events.length > 0 && this.bytes + text.bytes + 1 > this.limit)
      return false;
    this.events.push(event);
    this.encoded.push(text);
    this.bytes += text.bytes + 1;
    return true;
  }

  /** The batch, if it holds any event. */
  batch(): OutgoingBatch | undefined {
    return this.events.length > 0
      ? { count: this.events.length, encoded: this.encoded }
      : undefined;
  }
}

/** The outbox of a log read through `since`: the vector of what was sent says what is lacking. */
class VectorOutbox implements Outbox {
  constructor(
    private readonly log: Pick<Log, 'since'>,
    private readonly sent: VersionVector,
  ) {}

  async next(limit: number): Promise<OutgoingBatch | undefined> {
    const builder = new BatchBuilder(limit);
    for await (const event of this.log.since(this.sent))
      if (!builder.add(event)) break;
    raiseTo(this.sent, builder.events);
    return builder.batch();
  }

  held(events: readonly LogEvent[]): void {
    raiseTo(this.sent, events);
  }
}

export interface SyncSessionOptions {
  /** Batches sent but not yet acknowledged (flow control). */
  window?: number;
  /**
   * Actors whose event at the peer's seq is sent again even though the peer's vector
   * covers it (hello's `recheck`): a different event there is an actor fork.
   */
  recheck?: string[];
  /** Events from the peer were stored (after they are durable): others may want them. */
  onIngested?(stored: number): void;
  /** Sent events the peer acknowledged, and how many remain. */
  onProgress?(state: {
    sent: number;
    acknowledged: number;
    outstanding: number;
  }): void;
}

/**
 * One side of a sync connection after the handshake. Symmetric: each side sends
 * what the other lacks (by version vector) in bounded batches in causal order, and
 * acknowledges each batch it receives once it is stored. Received events are
 * verified by `ingest`; a forged or causally incomplete batch closes the connection
 * and none of it is stored.
 */
export class SyncSession {
  /** What the peer is known to hold, from its acks. */
  private peer: VersionVector;
  /** What has been sent (in flight or acknowledged): the next batch starts after it. */
  private readonly outbox: Outbox;
  private nextId = 1;
  private readonly inFlight = new Map<number, number>();
  private pushing: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private acknowledged = 0;
  private sentCount = 0;
  private receiving: Promise<void> = Promise.resolve();

  constructor(
    private readonly log: SyncedLog,
    private readonly transport: Transport,
    peerVector: VersionVector,
    private readonly options: SyncSessionOptions = {},
  ) {
    this.peer = copyVector(peerVector);
    const sent = copyVector(peerVector);
    for (const actor of options.recheck ?? []) {
      const seq = seqIn(sent, actor);
      if (seq > 0) sent[actor] = seq - 1;
    }
    this.outbox = log.outbox ? log.outbox(sent) : new VectorOutbox(log, sent);
  }

  /** A text frame from the peer. Frames are handled one at a time, in order. */
  receive(text: string): Promise<void> {
    this.receiving = this.receiving
      .then(() => this.handle(text))
      .catch((error) => this.fail(error));
    return this.receiving;
  }

  /** Sends whatever the peer lacks, within the window. Safe to call on every local change. */
  push(): Promise<void> {
    if (this.pushing) {
      this.again = true;
      return this.pushing;
    }
    this.pushing = this.pushLoop().finally(() => (this.pushing = undefined));
    return this.pushing;
  }

  close(): void {
    this.closed = true;
    this.outbox.close?.();
  }

  get outstanding(): number {
    return this.inFlight.size;
  }

  /**
   * Whether both sides hold the same events: every batch sent is acknowledged, the
   * peer is known (from its welcome or hello, its acks and the events it sent) to
   * hold all this log holds,
   * and this log holds all the peer announced. "Synced" means this, not merely that
   * nothing is in flight.
   * @throws whatever reading the log's version vector throws (LogClosedError)
   */
  async caughtUp(): Promise<boolean> {
    if (this.closed || this.inFlight.size > 0) return false;
    const mine = await this.log.versionVector();
    return (
      !this.closed &&
      this.inFlight.size === 0 &&
      covers(mine, this.peer) &&
      covers(this.peer, mine)
    );
  }

  /**
   * Batches are bounded by count and by encoded bytes: each is one message of at
   * most MAX_MESSAGE_BYTES (and of the transport's room), and holds at least one
   * event (the largest valid event fits a message: maxEncodedEventBytes). Sending
   * stops while the window is full or the transport has no room.
   */
  private async pushLoop(): Promise<void> {
    do {
      this.again = false;
      while (!this.closed && this.inFlight.size < (this.options.window ?? 4)) {
        const room = this.transport.room?.() ?? Infinity;
        if (room <= 0) break;
        const batch = await this.outbox.next(Math.min(MAX_MESSAGE_BYTES, room));
        if (!batch || this.closed) break;
        const id = this.nextId++;
        this.inFlight.set(id, batch.count);
        this.sentCount += batch.count;
        if (this.transport.sendEvents) this.transport.sendEvents(id, batch);
        else this.transport.send(eventsMessageOf(id, batch));
        this.report();
      }
    } while (this.again && !this.closed);
  }

  private async handle(text: string): Promise<void> {
    if (this.closed) return;
    const message: SyncMessage = decodeMessage(text);
    if (message.type === 'events') {
      let stored: number;
      try {
        ({ stored } = await this.log.ingest(message.events));
      } catch (error) {
        if (error instanceof ActorForkError)
          throw new ProtocolError(CLOSE.actorFork, error.message);
        if (error instanceof ForklineError) {
          throw new ProtocolError(
            CLOSE.invalidEvents,
            `${error.code}: ${error.message}`,
          );
        }
        throw error;
      }
      raiseTo(this.peer, message.events);
      // The peer holds these now: never send them back.
      this.outbox.held(message.events);
      // What the batch's actors reached here: ingest keeps each actor's seqs without
      // gaps, so this much is held. The peer learns of the rest from what it is sent,
      // so no ack needs the whole vector (nor a read of it).
      const reached: VersionVector = {};
      raiseTo(reached, message.events);
      this.transport.send(
        encodeMessage({ type: 'ack', id: message.id, vector: reached }),
      );
      if (stored > 0) this.options.onIngested?.(stored);
      return;
    }
    if (message.type === 'ack') {
      const count = this.inFlight.get(message.id);
      if (count === undefined)
        throw new ProtocolError(
          CLOSE.badMessage,
          `ack for unknown batch ${message.id}`,
        );
      this.inFlight.delete(message.id);
      this.acknowledged += count;
      for (const [actor, seq] of Object.entries(message.vector))
        raise(this.peer, actor, seq);
      this.report();
      await this.push();
      return;
    }
    if (message.type === 'ping') {
      this.transport.send(encodeMessage({ type: 'pong' }));
      return;
    }
    // Heard: the connection is alive, which is all a pong says.
    if (message.type === 'pong') return;
    throw new ProtocolError(CLOSE.badMessage, `unexpected ${message.type}`);
  }

  /** What the peer is known to hold (a copy): its acks, and the events it sent. */
  get holds(): VersionVector {
    return { ...this.peer };
  }

  private report(): void {
    this.options.onProgress?.({
      sent: this.sentCount,
      acknowledged: this.acknowledged,
      outstanding: this.inFlight.size,
    });
  }

  private fail(error: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.outbox.close?.();
    const protocol =
      error instanceof ProtocolError
        ? error
        : new ProtocolError(CLOSE.badMessage, String(error));
    // WebSocket close reasons are limited to 123 bytes.
    this.transport.close(protocol.closeCode, protocol.message.slice(0, 120));
  }
}
