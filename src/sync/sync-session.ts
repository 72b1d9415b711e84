import { ForklineError } from '../log/errors.ts';
import type { Log, LogEvent, VersionVector } from '../log/types.ts';
import {
  CLOSE,
  decodeMessage,
  encodeMessage,
  MAX_BATCH,
  ProtocolError,
  type SyncMessage,
} from './messages.ts';

/** What a session needs of a connection: text frames out, and a way to end it. */
export interface Transport {
  send(text: string): void;
  close(code: number, reason: string): void;
}

export interface SyncSessionOptions {
  /** Batches sent but not yet acknowledged (flow control). */
  window?: number;
  /** Events from the peer were stored (after they are durable): others may want them. */
  onIngested?(stored: number): void;
  /** Sent events the peer acknowledged, and how many remain. */
  onProgress?(state: {
    sent: number;
    acknowledged: number;
    outstanding: number;
  }): void;
}

const merge = (a: VersionVector, events: LogEvent[]): VersionVector => {
  const out = { ...a };
  for (const e of events) out[e.actor] = Math.max(out[e.actor] ?? 0, e.seq);
  return out;
};

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
  private sent: VersionVector;
  private nextId = 1;
  private readonly inFlight = new Map<number, number>();
  private pushing: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private acknowledged = 0;
  private sentCount = 0;
  private receiving: Promise<void> = Promise.resolve();

  constructor(
    private readonly log: Log,
    private readonly transport: Transport,
    peerVector: VersionVector,
    private readonly options: SyncSessionOptions = {},
  ) {
    this.peer = { ...peerVector };
    this.sent = { ...peerVector };
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
  }

  get outstanding(): number {
    return this.inFlight.size;
  }

  private async pushLoop(): Promise<void> {
    do {
      this.again = false;
      while (!this.closed && this.inFlight.size < (this.options.window ?? 4)) {
        const batch: LogEvent[] = [];
        for await (const event of this.log.since(this.sent)) {
          batch.push(event);
          if (batch.length >= MAX_BATCH) break;
        }
        if (batch.length === 0) break;
        const id = this.nextId++;
        this.sent = merge(this.sent, batch);
        this.inFlight.set(id, batch.length);
        this.sentCount += batch.length;
        this.transport.send(
          encodeMessage({ type: 'events', id, events: batch }),
        );
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
        if (error instanceof ForklineError) {
          throw new ProtocolError(
            CLOSE.invalidEvents,
            `${error.name}: ${error.message}`,
          );
        }
        throw error;
      }
      this.peer = merge(this.peer, message.events);
      // The peer holds these now: never send them back.
      this.sent = merge(this.sent, message.events);
      this.transport.send(
        encodeMessage({
          type: 'ack',
          id: message.id,
          vector: await this.log.versionVector(),
        }),
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
        this.peer[actor] = Math.max(this.peer[actor] ?? 0, seq);
      this.report();
      await this.push();
      return;
    }
    throw new ProtocolError(CLOSE.badMessage, `unexpected ${message.type}`);
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
    const protocol =
      error instanceof ProtocolError
        ? error
        : new ProtocolError(CLOSE.badMessage, String(error));
    // WebSocket close reasons are limited to 123 bytes.
    this.transport.close(protocol.closeCode, protocol.message.slice(0, 120));
  }
}
