import type { Log, VersionVector } from '../log/types.ts';
import { CLOSE, decodeMessage, encodeMessage, PROTOCOL } from './messages.ts';
import { SyncSession } from './sync-session.ts';

/** The parts of a WebSocket the client uses: the browser's and the `ws` package's both fit. */
export interface SocketLike {
  readonly readyState: number;
  /** Bytes sent and not yet handed to the network. */
  readonly bufferedAmount?: number;
  send(text: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/** Why the last connection ended, while no connection since has been welcomed. */
export type SyncTrouble = Extract<
  SyncState,
  { kind: 'offline' | 'interrupted' | 'forked' | 'refused' }
>;

export type SyncState =
  /**
   * Making a connection; `after` the trouble that ended the last one, when none has
   * been welcomed since (a relay that stays down shows as down, not as a connection
   * forever being made).
   */
  | { kind: 'connecting'; after?: SyncTrouble }
  | { kind: 'syncing'; outstanding: number }
  | { kind: 'synced'; at: string }
  /**
   * The relay could not be reached, or the connection was lost. `waiting`: the
   * changes (events) this log holds that the relay lacked when last heard from,
   * once counted; absent when it never was (since the page opened).
   */
  | { kind: 'offline'; retryInMs: number; reason: string; waiting?: number }
  /**
   * The relay (or this client) ended the connection, saying why: a full log, a
   * batch it could not store or refused, too many messages. Sync retries.
   */
  | {
      kind: 'interrupted';
      retryInMs: number;
      reason: string;
      waiting?: number;
    }
  /**
   * Not a state of its own: while the relay is away (after `offline` or
   * `interrupted`), how many changes it lacks, counted anew as changes are made.
   * It adds to the trouble last reported; each try reports its trouble once, with
   * the count last made.
   */
  | { kind: 'waiting'; waiting: number }
  /** Someone else wrote under an actor id this log holds (DESIGN §3); sync retries. */
  | { kind: 'forked'; retryInMs: number; reason: string }
  /**
   * The relay refused the log's id or token. Asked again, slowly (REFUSED_RETRY_MS):
   * a relay restored from a backup, or brought back with its data, takes it again.
   * Without `retryInMs`, the page could not even ask (its worker refused the link).
   */
  | { kind: 'refused'; reason: string; retryInMs?: number };

/**
 * Whether a close says why the connection ended, as the protocol's own codes (and
 * a message too big) do, rather than that it was lost or the relay went away.
 */
const saysWhy = (code: number): boolean =>
  (code >= 4000 && code < 5000) || code === CLOSE.tooBig;

/**
 * Why a connection closed that the relay gave no reason for, in words: 1006 is a
 * connection cut with no close at all (the network went, or the relay died).
 */
function closedWithout(code: number, opened: boolean, url: string): string {
  // Never opened: refused, or no WebSocket server there (QA pass 11 saw "the
  // connection was lost" for a relay never reached).
  if (!opened) return `could not connect to ${hostOf(url)}`;
  return code === 1006
    ? 'the connection was lost'
    : `the connection closed (code ${code})`;
}

/** A relay's host and port, as a person recognizes it; the URL itself if it reads as none. */
function hostOf(url: string): string {
  try {
    return new URL(url).host || url;
  } catch {
    return url;
  }
}

export interface RelayClientOptions {
  url: string;
  logId: string;
  token: string;
  createSocket(url: string): SocketLike;
  onState?(state: SyncState): void;
  /** Events from the relay were stored: wake local readers. */
  onIngested?(stored: number): void;
  /** Backoff bounds for reconnecting, in ms. */
  minDelayMs?: number;
  maxDelayMs?: number;
  /**
   * How long the relay may leave the client waiting (for its welcome, or for the
   * acknowledgement of a batch sent) without a message before the connection is
   * taken for dead and made again: RELAY_ANSWER_MS by default.
   */
  answerMs?: number;
  /**
   * How long a connection owed nothing may stay silent before the client asks the
   * relay whether it is there (a `ping`, owed a `pong` within answerMs):
   * RELAY_PING_MS by default.
   */
  pingMs?: number;
  /** How long to wait after the relay refused the log's id or token: REFUSED_RETRY_MS. */
  refusedMs?: number;
}

/**
 * The default `answerMs`. A connection can die without closing (a relay that hangs,
 * a Wi-Fi change, a NAT that forgot it): nothing then tells the socket, and the page
 * said "Syncing" for as long as the relay stayed frozen. The relay acknowledges a
 * batch once it is durable, and closes a peer that reads nothing for 30 s itself.
 */
export const RELAY_ANSWER_MS = 20_000;

/**
 * The default `pingMs`. A client with nothing in flight is owed nothing, and could
 * not tell a dead connection from a quiet log: the page said "Synced" over a
 * connection long gone, and learned otherwise only when it next sent. Asking after
 * 30 s of silence finds one within 50 s, for a message a minute each way at most.
 */
export const RELAY_PING_MS = 30_000;

/**
 * How long a client whose log id or token the relay refused waits before asking
 * again. A wrong link stays wrong, and asking every 5 minutes costs a hello; but a
 * relay that came back after losing its data (restarted on an empty disk, then on
 * its own) took the link again, and its clients had stopped for good.
 */
export const REFUSED_RETRY_MS = 5 * 60_000;

export interface RelayClient {
  /** Local events were appended: send them if connected. */
  pushLocal(): void;
  /**
   * Connects now if a retry is waiting (the user asked, or the network came back);
   * the backoff is kept: a try that fails waits as the next one would have.
   */
  retryNow(): void;
  close(): void;
}

/**
 * Keeps a log in sync with a relay: connects, says hello with its version vector,
 * exchanges what each side lacks, then pushes both ways live. After any disconnect
 * it reconnects with exponential backoff and resumes by version vector; a refused
 * token or unknown log stops retrying and says why.
 */
export function connectToRelay(
  log: Log,
  options: RelayClientOptions,
): RelayClient {
  const min = options.minDelayMs ?? 500;
  const max = options.maxDelayMs ?? 30_000;
  const answerMs = options.answerMs ?? RELAY_ANSWER_MS;
  const pingMs = options.pingMs ?? RELAY_PING_MS;
  const refusedMs = options.refusedMs ?? REFUSED_RETRY_MS;
  /**
   * The next wait's bound. It starts over only once a connection has done some
   * good: the relay took a batch of this log's, this log stored some of the
   * relay's, or both hold the same. Not on the relay's welcome: a relay that
   * greets and then refuses (a full log, a batch it will not store) would be asked
   * again at once, with the same batch, as long as the page is open.
   */
  let delay = min;
  let socket: SocketLike | undefined;
  let session: SyncSession | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  /**
   * Runs out when the relay, owing the client an answer, has said nothing for
   * answerMs; or, owing none, for pingMs (then the client asks).
   */
  let silence: ReturnType<typeof setTimeout> | undefined;
  /** The relay answers pings (its welcome said so); one asked is owed a pong. */
  let answersPings = false;
  let pinged = false;
  /** Why the last connection ended, until a relay welcomes one again. */
  let trouble: SyncTrouble | undefined;
  let stopped = false;
  const state = (s: SyncState) => options.onState?.(s);
  /**
   * What the relay held when last heard from (its welcome, its acks, the events it
   * sent): while it cannot be reached, what this log holds past it is counted.
   */
  let held: VersionVector | undefined;
  /** The count last said. */
  let saidWaiting: number | undefined;

  /**
   * Says `trouble` again with the changes the relay lacks, when that count is new:
   * as the connection ends, and as changes are made while it is away.
   */
  const countWaiting = async (): Promise<void> => {
    const ended = trouble;
    const known = held;
    if (!known || (ended?.kind !== 'offline' && ended?.kind !== 'interrupted'))
      return;
    const vector = await log.versionVector();
    // Moved on meanwhile: a try is under way, or the page stopped syncing.
    if (trouble !== ended || socket || stopped) return;
    let waiting = 0;
    for (const [actor, seq] of Object.entries(vector))
      waiting += Math.max(0, seq - (known[actor] ?? 0));
    if (waiting === saidWaiting) return;
    saidWaiting = waiting;
    state({ kind: 'waiting', waiting });
  };

  /** Reading the log failed (it was closed, or storage broke): drop the connection and retry later. */
  const failed = (error: unknown) => {
    if (stopped) return;
    socket?.close(
      1011,
      String((error as Error)?.message ?? error).slice(0, 120),
    );
  };

  /**
   * Watches for the relay's next message while it owes one (the upgrade, its
   * welcome, or the acknowledgement of a batch), from now: each message heard
   * starts it again, and so does a send still going out (a batch of megabytes on
   * a slow uplink takes longer than answerMs to leave). A relay that stays silent
   * is dropped as a lost connection would be, and tried again later; its socket's
   * own events, if it ever closes, are ignored.
   */
  const listen = () => {
    clearTimeout(silence);
    silence = undefined;
    const ws = socket;
    if (!ws) return;
    if (session && session.outstanding === 0 && !pinged) {
      // Owed nothing: after a silence, ask (a relay that answers pings).
      if (answersPings)
        silence = setTimeout(() => {
          silence = undefined;
          if (ws !== socket || stopped) return;
          pinged = true;
          ws.send(encodeMessage({ type: 'ping' }));
          listen();
        }, pingMs);
      return;
    }
    const sending = ws.bufferedAmount ?? 0;
    silence = setTimeout(() => {
      silence = undefined;
      if (ws !== socket || stopped) return;
      const left = ws.bufferedAmount ?? 0;
      if (left > 0 && left < sending) {
        listen();
        return;
      }
      const closed = ws.onclose;
      ws.onopen = ws.onmessage = ws.onclose = null;
      try {
        ws.close(1000, 'the relay did not answer');
      } catch {
        // Closing a socket that never opened may throw: it is dropped all the same.
      }
      closed?.({
        code: 1006,
        reason: `the relay did not answer for ${Math.round(answerMs / 1000)} s`,
      });
    }, answerMs);
  };

  // "Synced" only when both vectors are covered, not when nothing is in flight.
  const settle = () => {
    listen();
    const current = session;
    if (!current) return;
    current.caughtUp().then((done) => {
      if (current !== session) return;
      if (done) {
        delay = min;
        state({ kind: 'synced', at: new Date().toISOString() });
      } else state({ kind: 'syncing', outstanding: current.outstanding });
    }, failed);
  };

  function connect(): void {
    if (stopped) return;
    state(
      trouble ? { kind: 'connecting', after: trouble } : { kind: 'connecting' },
    );
    const ws = options.createSocket(options.url);
    socket = ws;
    let opened = false;
    // A relay that takes the connection and never answers the upgrade (hung, or
    // its process stopped: the kernel still accepts) is given up on as well.
    listen();
    ws.onopen = () => {
      opened = true;
      listen();
      void log.versionVector().then((vector) =>
        ws.send(
          encodeMessage({
            type: 'hello',
            protocol: PROTOCOL,
            log: options.logId,
            token: options.token,
            vector,
            // Our own last event is sent back to us: if the relay holds another one
            // at that seq, our ingest reports the actor fork.
            recheck: [log.actor],
          }),
        ),
      );
    };
    ws.onmessage = ({ data }) => {
      // A frame can still arrive after close(): the log may be closed by then.
      if (stopped) return;
      const text = String(data);
      pinged = false;
      listen();
      if (session) {
        void session.receive(text).then(settle, failed);
        return;
      }
      try {
        const message = decodeMessage(text);
        if (message.type !== 'welcome')
          throw new Error(`expected welcome, got ${message.type}`);
        answersPings = message.ping === true;
        trouble = undefined;
        saidWaiting = undefined;
        session = new SyncSession(
          log,
          {
            send: (t) => ws.send(t),
            close: (code, reason) => ws.close(code, reason),
          },
          message.vector,
          {
            onIngested(stored) {
              delay = min;
              options.onIngested?.(stored);
            },
            onProgress({ acknowledged }) {
              if (acknowledged > 0) delay = min;
              settle();
            },
          },
        );
        void session.push().then(settle, failed);
      } catch (error) {
        ws.close(
          CLOSE.badMessage,
          String((error as Error).message).slice(0, 120),
        );
      }
    };
    ws.onerror = () => undefined;
    ws.onclose = ({ code, reason }) => {
      clearTimeout(silence);
      silence = undefined;
      answersPings = pinged = false;
      if (session) held = session.holds;
      session?.close();
      session = undefined;
      socket = undefined;
      if (stopped) return;
      let ended: SyncTrouble;
      if (code === CLOSE.unauthorized || code === CLOSE.unknownLog) {
        ended = {
          kind: 'refused',
          reason: reason || 'the relay refused this log',
          retryInMs: refusedMs,
        };
      } else {
        const wait = Math.round(delay * (0.5 + Math.random() / 2));
        delay = Math.min(max, delay * 2);
        ended = {
          kind:
            code === CLOSE.actorFork
              ? 'forked'
              : saysWhy(code)
                ? 'interrupted'
                : 'offline',
          retryInMs: wait,
          reason: reason || closedWithout(code, opened, options.url),
        };
      }
      trouble = ended;
      // With the count last said, if any: said without it, then with it, the
      // status changed twice for each try (QA pass 20).
      state(
        saidWaiting !== undefined &&
          (ended.kind === 'offline' || ended.kind === 'interrupted')
          ? { ...ended, waiting: saidWaiting }
          : ended,
      );
      void countWaiting().catch(() => undefined);
      timer = setTimeout(() => {
        timer = undefined;
        connect();
      }, ended.retryInMs);
    };
  }

  connect();
  return {
    pushLocal() {
      if (session) void session.push().then(settle, failed);
      else void countWaiting().catch(() => undefined);
    },
    retryNow() {
      if (stopped || socket || timer === undefined) return;
      clearTimeout(timer);
      timer = undefined;
      connect();
    },
    close() {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(silence);
      session?.close();
      socket?.close(1000, 'closed by the user');
    },
  };
}
