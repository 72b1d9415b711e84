import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { WebSocket } from 'ws';
import { ERROR_CODES, type ErrorCode } from '../src/log/error-codes.ts';
import { ActorForkError, ForklineError } from '../src/log/errors.ts';
import type { IngestResult, LogEvent } from '../src/log/types.ts';
import { LOG_ID_PATTERN } from '../src/sync/credentials.ts';
import {
  decodeMessage,
  encodeUnverified,
  eventsMessage,
  MAX_MESSAGE_BYTES,
} from '../src/sync/messages.ts';
import { LogQuotaError } from './relay-errors.ts';

/**
 * Relays over one database send a log's writes to the one relay that writes it
 * (docs/scaling.md, "One writer per log"), over a WebSocket on this path of that
 * relay's server. The sending relay's client is authorized already; the writing
 * relay verifies every event as it would its own client's.
 *
 * Each side proves it holds the cluster's key (kept in the database) before anything
 * else: the writer speaks first with its relay id and a nonce, the sender answers
 * with an HMAC of them and a nonce of its own, the writer answers with an HMAC of
 * that. Neither proof can be replayed to another relay or connection. Then the
 * sender sends writes, each a frame of the log id, a newline and the batch as the
 * sync protocol's `events` message (its id numbers the write), and the writer
 * answers each with a JSON verdict naming that number.
 */
export const PEER_PATH = '/peer';

/** Close codes of the peer link. */
export const PEER_CLOSE = {
  unauthorized: 4001,
  badMessage: 4002,
  shuttingDown: 4003,
} as const;

/** How long each side waits for the other's proof, and a sender for the connection. */
const HANDSHAKE_MS = 5000;
/** How long a sender waits for a write's verdict before writing it itself. */
const VERDICT_MS = 15_000;
/** A forwarded batch: a log id and newline before a sync message of at most its size. */
export const MAX_PEER_FRAME_BYTES = MAX_MESSAGE_BYTES + 128;
/** Longest refusal message passed on (a client's close reason is 123 bytes). */
const MAX_REASON = 1024;
const NONCE = /^[A-Za-z0-9_-]{22}$/;

/** What the writer made of a forwarded batch. */
export type PeerVerdict =
  | { done: IngestResult; at?: number }
  /** The batch is refused for what it holds: the client is told, as if written here. */
  | { refused: ForklineError }
  /** The writer does not write this log now, or could not: write it here. */
  | { elsewhere: string };

const proof = (key: Buffer, side: 'a' | 'b', nonce: string, writer: string) =>
  createHmac('sha256', key)
    .update(`forkline peer ${side} ${nonce} ${writer}`)
    .digest('base64url');

function sameProof(given: unknown, expected: string): boolean {
  if (typeof given !== 'string' || given.length !== expected.length)
    return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

const nonce = () => randomBytes(16).toString('base64url');

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A refusal the writer made, as the error the relay would have thrown itself. */
export class PeerRefusalError extends ForklineError {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A refusal as sent: the code, the message and what rebuilding it needs. */
function refusalOf(error: ForklineError): Record<string, unknown> {
  const sent: Record<string, unknown> = {
    code: error.code,
    message: error.message.slice(0, MAX_REASON),
  };
  if (error instanceof ActorForkError)
    sent.fork = {
      id: error.id,
      actor: error.actor,
      seq: error.seq,
      ...(error.existing ? { existing: error.existing } : {}),
    };
  if (error instanceof LogQuotaError)
    sent.quota = { limit: error.limit, max: error.max, path: error.path };
  return sent;
}

const isText = (v: unknown, max = 256): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= max;

/**
 * A refusal as received, rebuilt as the class the relay's sessions tell apart
 * (an actor fork, a full log) or as a refusal with its code.
 * @throws Error for a refusal that is not one
 */
function refusalFrom(sent: unknown): ForklineError {
  const r = sent as Record<string, unknown> | null;
  if (typeof r !== 'object' || r === null) throw new Error('malformed refusal');
  const { code, message } = r;
  if (typeof code !== 'string' || !Object.hasOwn(ERROR_CODES, code))
    throw new Error(`refusal with unknown code ${String(code).slice(0, 40)}`);
  if (!isText(message, MAX_REASON)) throw new Error('refusal without message');
  const fork = r.fork as Record<string, unknown> | undefined;
  if (code === 'ACTOR_FORK' && fork) {
    const { id, actor, seq, existing } = fork;
    if (
      isText(id) &&
      isText(actor) &&
      Number.isSafeInteger(seq) &&
      (existing === undefined || isText(existing))
    )
      return new ActorForkError(id, actor, seq as number, existing);
  }
  const quota = r.quota as Record<string, unknown> | undefined;
  if (code === 'LOG_QUOTA_EXCEEDED' && quota) {
    const { limit, max, path } = quota;
    if (
      (limit === 'events' || limit === 'bytes') &&
      Number.isSafeInteger(max) &&
      isText(path)
    )
      return new LogQuotaError(path, limit, max as number);
  }
  return new PeerRefusalError(code as ErrorCode, message);
}

/**
 * The writing relay's side of a link from another relay: proves itself, checks the
 * sender's proof, then answers each forwarded batch with `write`'s verdict. What
 * arrives is checked as any client's input (the key may have leaked): a frame that
 * is not a write closes the link, and a batch is verified by `write` as any other.
 */
export function servePeer(
  ws: WebSocket,
  key: Buffer,
  self: string,
  write: (logId: string, events: LogEvent[]) => Promise<PeerVerdict>,
  say: (message: string) => void,
): void {
  const ours = nonce();
  let proven = false;
  const timer = setTimeout(
    () => ws.close(PEER_CLOSE.unauthorized, 'no proof'),
    HANDSHAKE_MS,
  );
  ws.once('close', () => clearTimeout(timer));
  // A frame the socket cannot take (not UTF-8, too large) is an error the socket
  // closes the link for: heard here, or it would end the process.
  ws.on('error', (error) => say(error.message));
  ws.send(JSON.stringify({ hello: self, nonce: ours }));
  let refused = false;
  /** Closes the link, said once: what follows on it is not read. */
  const refuse = (code: number, reason: string) => {
    refused = true;
    say(reason);
    ws.close(code, reason.slice(0, 120));
  };
  ws.on('message', (data, binary) => {
    if (refused) return;
    if (binary)
      return refuse(
        proven ? PEER_CLOSE.badMessage : PEER_CLOSE.unauthorized,
        'binary frame',
      );
    const text = data.toString();
    if (!proven) {
      const m = parseObject(text);
      if (
        !m ||
        typeof m.nonce !== 'string' ||
        !NONCE.test(m.nonce) ||
        !sameProof(m.proof, proof(key, 'a', ours, self))
      )
        return refuse(PEER_CLOSE.unauthorized, 'wrong proof');
      proven = true;
      clearTimeout(timer);
      ws.send(JSON.stringify({ proof: proof(key, 'b', m.nonce, self) }));
      return;
    }
    const newline = text.indexOf('\n');
    const logId = text.slice(0, Math.max(newline, 0));
    if (!LOG_ID_PATTERN.test(logId))
      return refuse(PEER_CLOSE.badMessage, 'a write names no log');
    let n: number;
    let events: LogEvent[];
    try {
      const message = decodeMessage(text.slice(newline + 1));
      if (message.type !== 'events') throw new Error(`a ${message.type}`);
      ({ id: n, events } = message);
    } catch (error) {
      return refuse(
        PEER_CLOSE.badMessage,
        `a write to log ${logId} is not a batch: ${(error as Error).message}`,
      );
    }
    void write(logId, events).then(
      (verdict) => {
        if (ws.readyState !== WebSocket.OPEN) return;
        ws.send(
          JSON.stringify(
            'refused' in verdict
              ? { n, refused: refusalOf(verdict.refused) }
              : { n, ...verdict },
          ),
        );
      },
      (error: Error) => {
        if (ws.readyState === WebSocket.OPEN)
          ws.send(JSON.stringify({ n, elsewhere: error.message }));
      },
    );
  });
}

interface Pending {
  resolve(verdict: PeerVerdict): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * A link to one writing relay (`url`, whose process is `relay`): connected on first
 * use, proven both ways, then carrying any number of writes at once. Lost (the
 * writer restarted, the network failed), every write waiting on it is told
 * `elsewhere`, so its relay writes it itself; the next write connects again.
 */
class PeerLink {
  private ws: WebSocket | undefined;
  private ready: Promise<WebSocket> | undefined;
  private readonly pending = new Map<number, Pending>();
  private next = 1;
  closed = false;

  constructor(
    readonly url: string,
    readonly relay: string,
    private readonly key: Buffer,
    private readonly lost: () => void,
  ) {}

  private connect(): Promise<WebSocket> {
    const ws = new WebSocket(`${this.url.replace(/\/$/, '')}${PEER_PATH}`, {
      maxPayload: MAX_PEER_FRAME_BYTES,
      handshakeTimeout: HANDSHAKE_MS,
      perMessageDeflate: false,
    });
    this.ws = ws;
    return new Promise<WebSocket>((resolve, reject) => {
      let ours: string | undefined;
      let proven = false;
      const timer = setTimeout(
        () => fail('the writer did not prove itself'),
        HANDSHAKE_MS,
      );
      const fail = (reason: string) => {
        clearTimeout(timer);
        reject(new Error(reason));
        this.end(reason);
      };
      ws.on('error', (error) => fail(error.message));
      ws.on('close', (code, reason) =>
        fail(`link closed (${code} ${reason.toString()})`),
      );
      ws.on('message', (data, binary) => {
        const m = binary ? undefined : parseObject(data.toString());
        if (!m) return fail('the writer sent something that is no message');
        if (ours === undefined) {
          // The writer's hello: it must be the relay the database names.
          if (
            m.hello !== this.relay ||
            typeof m.nonce !== 'string' ||
            !NONCE.test(m.nonce)
          )
            return fail(`the relay at ${this.url} is not ${this.relay}`);
          ours = nonce();
          ws.send(
            JSON.stringify({
              proof: proof(this.key, 'a', m.nonce, this.relay),
              nonce: ours,
            }),
          );
          return;
        }
        if (!proven) {
          if (!sameProof(m.proof, proof(this.key, 'b', ours, this.relay)))
            return fail(`the relay at ${this.url} did not prove itself`);
          proven = true;
          clearTimeout(timer);
          resolve(ws);
          return;
        }
        this.verdict(m);
      });
    });
  }

  /** A verdict received: its write is told; one that makes no sense ends the link. */
  private verdict(m: Record<string, unknown>): void {
    const waiting = typeof m.n === 'number' ? this.pending.get(m.n) : undefined;
    if (!waiting) return this.end('a verdict for no write');
    const tell = (verdict: PeerVerdict) => {
      this.pending.delete(m.n as number);
      clearTimeout(waiting.timer);
      waiting.resolve(verdict);
    };
    try {
      if ('done' in m) {
        const done = m.done as Record<string, unknown> | null;
        const { stored, duplicates } = done ?? {};
        if (!Number.isSafeInteger(stored) || !Number.isSafeInteger(duplicates))
          throw new Error('malformed verdict');
        tell({
          done: { stored: stored as number, duplicates: duplicates as number },
          ...(Number.isSafeInteger(m.at) ? { at: m.at as number } : {}),
        });
      } else if ('refused' in m) tell({ refused: refusalFrom(m.refused) });
      else
        tell({
          elsewhere: isText(m.elsewhere, MAX_REASON)
            ? m.elsewhere
            : 'not said why',
        });
    } catch (error) {
      tell({ elsewhere: (error as Error).message });
      this.end((error as Error).message);
    }
  }

  /** Sends a batch of `logId` to the writer; never rejects. */
  async write(
    logId: string,
    events: readonly LogEvent[],
  ): Promise<PeerVerdict> {
    if (this.closed) return { elsewhere: 'link closed' };
    let ws: WebSocket;
    try {
      ws = await (this.ready ??= this.connect());
    } catch (error) {
      // Not reached (or no URL a relay can be reached at): the next write tries anew.
      this.end((error as Error).message);
      return { elsewhere: (error as Error).message };
    }
    if (this.closed) return { elsewhere: 'link closed' };
    const n = this.next++;
    return new Promise<PeerVerdict>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(n);
        resolve({ elsewhere: `no verdict in ${VERDICT_MS} ms` });
      }, VERDICT_MS);
      this.pending.set(n, { resolve, timer });
      // Not verified here (the writer does that): encoded past the cache of
      // verified events' texts, which a forged event would take the place of.
      ws.send(`${logId}\n${eventsMessage(n, events.map(encodeUnverified))}`);
    });
  }

  /** Ends the link: waiting writes are written by their own relays. */
  end(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.ws?.terminate();
    for (const { resolve, timer } of this.pending.values()) {
      clearTimeout(timer);
      resolve({ elsewhere: reason });
    }
    this.pending.clear();
    this.lost();
  }
}

/** A relay's links to the relays that write its logs, one per writing relay. */
export class PeerLinks {
  private readonly links = new Map<string, PeerLink>();

  constructor(readonly key: Buffer) {}

  /** Sends a batch to `writer`, which the database says writes `logId`; never rejects. */
  write(
    writer: { relay: string; url: string },
    logId: string,
    events: readonly LogEvent[],
  ): Promise<PeerVerdict> {
    const id = `${writer.relay} ${writer.url}`;
    let link = this.links.get(id);
    if (!link) {
      const made = new PeerLink(writer.url, writer.relay, this.key, () => {
        if (this.links.get(id) === made) this.links.delete(id);
      });
      this.links.set(id, (link = made));
    }
    return link.write(logId, events);
  }

  close(): void {
    for (const link of [...this.links.values()]) link.end('relay closing');
  }
}
