import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import {
  CLOSE,
  decodeMessage,
  encodeMessage,
  eventsHead,
  EVENTS_TAIL_UTF8,
  ProtocolError,
} from '../src/sync/messages.ts';
import { SyncSession, type SyncedLog } from '../src/sync/sync-session.ts';
import { TokenBucket, type ByteBudget } from './flow-control.ts';
import type { LogMember, LogRegistry, LogSlot } from './log-registry.ts';
import type { SharedBatches } from './shared-batches.ts';

/** The per-connection bounds of RelayOptions, all given. */
export interface ConnectionLimits {
  messagesPerSecond: number;
  bytesPerSecond: number;
  maxQueuedBytes: number;
  maxBufferedBytes: number;
  stalledMs: number;
  helloTimeoutMs: number;
  pingIntervalMs: number;
}

/** Gauges over every connection, for RelayStats. */
export interface ConnectionGauges {
  /** The largest send buffer any connection had, right after a send. */
  peakBufferedBytes: number;
  /** Connections not read from now because they are over their byte rate. */
  throttled: number;
}

/** What a connection shares with the relay. */
export interface ConnectionContext {
  limits: ConnectionLimits;
  /** Received and unhandled bytes over every connection. */
  budget: ByteBudget;
  gauges: ConnectionGauges;
  /** Batch bodies lately sent, shared by the sessions sent the same events. */
  batches: SharedBatches;
  /** The clock rates run on, in ms. */
  now(): number;
  registry: LogRegistry;
  /** @throws ProtocolError when the token does not open the log */
  authorize(logId: string, token: string): Promise<void>;
  /** How a failed ingest is told to the client. */
  refusalOf(error: unknown, slot: LogSlot): unknown;
  say(message: string): void;
}

const sizeOf = (data: WebSocket.RawData): number =>
  Array.isArray(data)
    ? data.reduce((sum, part) => sum + part.length, 0)
    : data instanceof ArrayBuffer
      ? data.byteLength
      : data.length;

/**
 * One client connection: hello, then a SyncSession with the log. Its frames are
 * handled one at a time, in order. Reading from it pauses (TCP pushes back on the
 * client) while it has more than maxQueuedBytes unhandled, while all connections
 * together have more than their total, while it is over its byte rate, and while it
 * leaves more than maxBufferedBytes unread. Batches to it are cut to the room left
 * in its send buffer. A client that owes progress (reading what was sent, or
 * acknowledging a batch) and makes none for stalledMs is closed (4006).
 */
export function serveConnection(
  ws: WebSocket,
  socket: Duplex,
  context: ConnectionContext,
): void {
  const { limits, budget, registry } = context;
  const { gauges } = context;
  const messages = new TokenBucket(
    limits.messagesPerSecond,
    limits.messagesPerSecond * 4,
    context.now,
  );
  const bytes = new TokenBucket(
    limits.bytesPerSecond,
    limits.bytesPerSecond * 4,
    context.now,
  );
  let queued = 0;
  let throttled: ReturnType<typeof setTimeout> | undefined;
  let stalled: ReturnType<typeof setTimeout> | undefined;
  let session: SyncSession | undefined;
  let joined: { slot: LogSlot; member: LogMember } | undefined;
  let frames: Promise<void> = Promise.resolve();
  let ended = false;
  let acked = 0;

  const overBuffered = () => ws.bufferedAmount > limits.maxBufferedBytes;
  const updateReading = () => {
    if (ws.readyState !== WebSocket.OPEN) return;
    const pause =
      queued > limits.maxQueuedBytes ||
      budget.exhausted ||
      throttled !== undefined ||
      overBuffered();
    if (pause && !ws.isPaused) ws.pause();
    else if (!pause && ws.isPaused) ws.resume();
  };
  const stopWaiting = budget.onRoom(updateReading);

  /** Over its byte rate: not read from until time has paid the debt back. */
  const throttle = () => {
    const owed = bytes.owed();
    if (owed === 0 || ended) {
      throttled = undefined;
      gauges.throttled--;
    } else {
      // Checked again rather than trusted: the clock may be a test's.
      throttled = setTimeout(throttle, Math.min(owed, 1000));
    }
    updateReading();
  };

  const end = (code: number, reason: string) => {
    if (ended) return;
    ended = true;
    ws.close(code, reason.slice(0, 120));
  };
  const refuse = (error: unknown) => {
    const e =
      error instanceof ProtocolError
        ? error
        : new ProtocolError(1011, 'internal error');
    if (!(error instanceof ProtocolError))
      context.say(`internal error: ${(error as Error)?.stack ?? error}`);
    end(e.closeCode, e.message);
  };
  const helloTimer = setTimeout(
    () => refuse(new ProtocolError(CLOSE.badMessage, 'no hello')),
    limits.helloTimeoutMs,
  );

  const owing = () => overBuffered() || (session?.outstanding ?? 0) > 0;
  /**
   * After a send, an ack or a drain: while the client owes progress (unread bytes
   * past the bound, or batches unacknowledged) the clock runs; progress restarts it.
   */
  const watchProgress = (progressed: boolean) => {
    if (progressed || !owing()) {
      clearTimeout(stalled);
      stalled = undefined;
    }
    if (owing() && !stalled) {
      stalled = setTimeout(() => {
        end(
          CLOSE.tooSlow,
          `too slow: no progress for ${limits.stalledMs} ms (${ws.bufferedAmount} bytes unread)`,
        );
        // It does not read, so it would never read the close frame either.
        ws.terminate();
      }, limits.stalledMs);
    }
    updateReading();
  };
  const send = (message: string | Uint8Array) => {
    // Bytes go as they are, in a text frame: they are a batch's UTF-8 text.
    ws.send(message, { binary: false });
    gauges.peakBufferedBytes = Math.max(
      gauges.peakBufferedBytes,
      ws.bufferedAmount,
    );
    watchProgress(false);
  };
  const push = () =>
    void session
      ?.push()
      .catch((error: unknown) =>
        refuse(joined ? context.refusalOf(error, joined.slot) : error),
      );
  socket.on('drain', () => {
    watchProgress(true);
    push();
  });

  async function hello(text: string): Promise<void> {
    const message = decodeMessage(text);
    if (message.type !== 'hello')
      throw new ProtocolError(CLOSE.badMessage, 'say hello first');
    await context.authorize(message.log, message.token);
    clearTimeout(helloTimer);
    const { slot, opened } = await registry.join(message.log);
    if (ended) return registry.abandoned(slot);
    let vector;
    try {
      vector = await opened.log.versionVector();
    } catch (error) {
      registry.abandoned(slot);
      throw context.refusalOf(error, slot);
    }
    if (ended) return registry.abandoned(slot);
    const log: SyncedLog = {
      // The feed's outbox: what every session of the log sends, read once.
      outbox: (sent) => opened.feed.outbox(sent),
      versionVector: () => opened.log.versionVector(),
      ingest: (events) =>
        (opened.ingest
          ? opened.ingest(events)
          : opened.log.ingest(events)
        ).catch((error: unknown) => {
          throw context.refusalOf(error, slot);
        }),
    };
    const member: LogMember = { push, close: end };
    session = new SyncSession(
      log,
      {
        send,
        // The head (the batch's id) is this session's, the rest every session's
        // sent the same events: fragments of one text message.
        sendEvents: (id, batch) => {
          // Corked: every frame in one write to the socket.
          socket.cork();
          ws.send(eventsHead(id), { binary: false, fin: false });
          if ('encoded' in batch) send(context.batches.body(batch.encoded));
          else {
            // Views of the feed's encoding, which every caught-up session is sent.
            for (const piece of batch.utf8)
              ws.send(piece, { binary: false, fin: false });
            send(EVENTS_TAIL_UTF8);
          }
          socket.uncork();
        },
        close: end,
        room: () => limits.maxBufferedBytes - ws.bufferedAmount,
      },
      message.vector,
      {
        onProgress: ({ acknowledged }) => {
          watchProgress(acknowledged > acked);
          acked = acknowledged;
        },
        ...(message.recheck ? { recheck: message.recheck } : {}),
        // Stored and durable: the feed took it as it was committed, and every
        // client of this log gets it now.
        onIngested: () => registry.pushTo(slot.logId),
      },
    );
    joined = { slot, member };
    registry.joined(slot, member);
    // Welcome first, then whatever the client lacks.
    send(encodeMessage({ type: 'welcome', vector, ping: true }));
    push();
  }

  // A connection can die without closing (the client's network gone, a NAT that
  // forgot it): nothing tells the socket, and it kept its place (and its address's
  // count) for as long as TCP did, hours. Every interval the relay pings it; one
  // that said nothing since the last (no pong, which a browser's WebSocket sends by
  // itself, and no message) is dropped. One the relay is not reading from (its own
  // bounds paused it) cannot be heard, and is not judged.
  let heard = true;
  const pinger = setInterval(() => {
    if (ended || ws.readyState !== WebSocket.OPEN) return;
    if (ws.isPaused) heard = true;
    else if (!heard) {
      ended = true;
      ws.terminate();
      return;
    } else {
      heard = false;
      ws.ping();
    }
  }, limits.pingIntervalMs);
  ws.on('pong', () => (heard = true));

  ws.on('message', (data, isBinary) => {
    heard = true;
    if (ended) return;
    if (messages.take(1) > 0)
      return refuse(new ProtocolError(CLOSE.tooFast, 'too many messages'));
    if (isBinary)
      return refuse(
        new ProtocolError(
          CLOSE.badMessage,
          'binary frames are not part of the protocol',
        ),
      );
    const size = sizeOf(data);
    if (bytes.take(size) > 0 && !throttled) {
      gauges.throttled++;
      throttle();
    }
    queued += size;
    budget.add(size);
    updateReading();
    const text = data.toString();
    frames = frames
      .then(() => {
        if (ended) return;
        return session ? session.receive(text) : hello(text);
      })
      .catch(refuse)
      .finally(() => {
        queued -= size;
        budget.release(size);
        updateReading();
      });
  });
  ws.on('close', () => {
    ended = true;
    clearInterval(pinger);
    clearTimeout(helloTimer);
    if (throttled) {
      clearTimeout(throttled);
      throttled = undefined;
      gauges.throttled--;
    }
    clearTimeout(stalled);
    stopWaiting();
    session?.close();
    if (joined) registry.leave(joined.slot, joined.member);
  });
  ws.on('error', (error) => context.say(error.message));
}
