import { DEFAULT_SOURCE, fromCloudEvent, toCloudEvent } from '../log/jsonl.ts';
import type { Json, LogEvent, VersionVector } from '../log/types.ts';
import { copyVector } from '../log/version-vector.ts';
import { LIMITS } from '../log/validate.ts';
import { RecentMap } from '../log/recent-map.ts';
import { LOG_ID_PATTERN, MAX_TOKEN_LENGTH } from './credentials.ts';

/** Version of the wire protocol (docs/sync-protocol.md). */
export const PROTOCOL = 1;
/** Events per `events` message: bounded, so one message never holds a whole log. */
export const MAX_BATCH = 500;
/** Largest message either side accepts, in bytes (UTF-8, as on the wire). */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export type SyncMessage =
  | {
      type: 'hello';
      protocol: number;
      log: string;
      token: string;
      vector: VersionVector;
      /**
       * Actors (the client's own) whose last event, at `vector`'s seq, the client asks
       * to be sent again: if the relay holds another event there, the client's ingest
       * finds the actor fork instead of both sides skipping that seq forever.
       */
      recheck?: string[];
    }
  | {
      type: 'welcome';
      vector: VersionVector;
      /** The relay answers `ping` (relays before December 2026 close on it). */
      ping?: true;
    }
  | { type: 'events'; id: number; events: LogEvent[] }
  | { type: 'ack'; id: number; vector: VersionVector }
  /** Are you there? Answered at once with `pong`: a client idle on a quiet log asks. */
  | { type: 'ping' }
  | { type: 'pong' };

/** Close codes: why a connection ended, so the other side can tell the user. */
export const CLOSE = {
  badMessage: 4000,
  /** An unknown log and a wrong token alike: a stranger cannot tell which log ids exist. */
  unauthorized: 4001,
  /** No longer sent (4001 covers it); older relays send it, clients treat it as 4001. */
  unknownLog: 4002,
  invalidEvents: 4003,
  tooFast: 4004,
  /** The relay could not make a batch durable; nothing of it was acknowledged. */
  storageFailed: 4005,
  /** The peer left what was sent to it unread for too long. */
  tooSlow: 4006,
  /** The log reached the relay's quota of events or bytes. */
  logFull: 4007,
  /** Two different events claim one (actor, seq): an actor fork (DESIGN §3). */
  actorFork: 4008,
  shuttingDown: 1001,
  tooBig: 1009,
} as const;

/** A message that breaks the protocol: the connection closes with this code and reason. */
export class ProtocolError extends Error {
  constructor(
    readonly closeCode: number,
    reason: string,
  ) {
    super(reason);
  }
}

const isVector = (v: unknown): v is VersionVector =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  Object.entries(v).every(
    ([k, n]) =>
      k.length > 0 &&
      k.length <= 128 &&
      Number.isSafeInteger(n) &&
      (n as number) >= 0,
  );

/** Serialises a message; events travel as CloudEvents, as in an export. */
export function encodeMessage(message: SyncMessage): string {
  if (message.type !== 'events') return JSON.stringify(message);
  return eventsMessage(message.id, message.events.map(encodeEvent));
}

/** An event as it travels: its CloudEvent's JSON text and that text's UTF-8 size. */
export interface EncodedEvent {
  text: string;
  bytes: number;
}

const utf8Encoder = new TextEncoder();

/**
 * Bytes an `events` message adds around its events' texts: the envelope with the
 * longest id, plus a comma per event (counted as a batch is filled: `BatchBuilder`
 * in sync-session.ts, and a relay feed's caught-up outbox).
 */
export const EVENTS_ENVELOPE_BYTES = eventsMessage(
  Number.MAX_SAFE_INTEGER,
  [],
).length;

/** The `events` message for already encoded events: their texts are reused as they are. */
export function eventsMessage(
  id: number,
  events: readonly EncodedEvent[],
): string {
  return `${eventsHead(id)}${events.map((e) => e.text).join(',')}]}`;
}

/**
 * A batch of events on its way to a peer: `count` events, as their encoded texts, or
 * (from a relay's feed, where every session sent the same events is sent the same
 * bytes) as UTF-8 pieces which, put together, are the events' texts joined by
 * commas. Either way the message is `eventsHead(id)`, the events, then `]}`.
 */
export type OutgoingBatch =
  | { count: number; encoded: readonly EncodedEvent[] }
  | { count: number; utf8: readonly Uint8Array[] };

/** The `]}` that closes an `events` message, as UTF-8. */
export const EVENTS_TAIL_UTF8 = new Uint8Array([0x5d, 0x7d]);

const utf8Decoder = new TextDecoder();

/** The `events` message of batch `id`, as text. */
export function eventsMessageOf(id: number, batch: OutgoingBatch): string {
  if ('encoded' in batch) return eventsMessage(id, batch.encoded);
  let text = eventsHead(id);
  for (const piece of batch.utf8) text += utf8Decoder.decode(piece);
  return `${text}]}`;
}

/** An `events` message up to its first event: what differs between peers sent one batch. */
export function eventsHead(id: number): string {
  return `{"type":"events","id":${id},"events":[`;
}

/**
 * The rest of an `events` message after its head (eventsHead): the events' texts,
 * then its close, as UTF-8. The same for every peer sent these events, whatever the
 * batch's id: a relay encodes it once for all of them. One buffer of the size their
 * known lengths add up to, each text encoded straight into it: no joined string is
 * made, measured or encoded again by the socket, which for a relay sending every
 * batch to a hundred peers was a quarter of its time. (Keeping each event's bytes
 * instead cost a small off-heap buffer per event, which the relay's resident memory
 * kept after they were freed.)
 */
export function eventsBodyUtf8(events: readonly EncodedEvent[]): Uint8Array {
  let size = EVENTS_TAIL_UTF8.length + Math.max(events.length - 1, 0);
  for (const e of events) size += e.bytes;
  const out = new Uint8Array(size);
  let at = 0;
  events.forEach((e, i) => {
    if (i > 0) out[at++] = 0x2c; // ,
    at += utf8Encoder.encodeInto(e.text, out.subarray(at)).written;
  });
  out.set(EVENTS_TAIL_UTF8, at);
  return out;
}

/**
 * Recently encoded events by id, up to a byte budget: a relay fans one batch out to
 * every client of a log, and each would otherwise serialise the same events again.
 * Ids are content addresses, so an id always has the same text.
 */
const ENCODED_CACHE_BYTES = 8 * 1024 * 1024;
const encodedCache = new RecentMap<string, EncodedEvent>(
  ENCODED_CACHE_BYTES,
  (encoded) => encoded.bytes,
);

/**
 * An event's CloudEvent text and UTF-8 size, serialised once while it stays recent.
 * Only for an event verified here (its id recomputed, or made here): the text is
 * kept by id and given for every event of that id after, so an unverified event
 * with a stored one's id would be sent, and stored, in its place (QA pass 19 found
 * a relay's forwarded batches doing so). Unverified events: `encodeUnverified`.
 */
export function encodeEvent(event: LogEvent): EncodedEvent {
  const cached = encodedCache.get(event.id);
  if (cached) return cached;
  const encoded = encodeUnverified(event);
  // One event never takes more than half of it (a large one would empty it).
  if (encoded.bytes <= ENCODED_CACHE_BYTES / 2)
    encodedCache.set(event.id, encoded);
  return encoded;
}

/** An event's CloudEvent text and UTF-8 size, made anew and kept nowhere. */
export function encodeUnverified(event: LogEvent): EncodedEvent {
  const text = JSON.stringify(toCloudEvent(event));
  return { text, bytes: utf8Length(text) };
}

/** UTF-8 length of a string, without encoding it (Buffer is Node's, TextEncoder copies). */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      // A surrogate pair: 4 bytes for 2 units.
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 2;
        i++;
      } else bytes += 2;
    } else bytes += 2;
  }
  return bytes;
}

/**
 * The most UTF-8 bytes one valid event can take in an `events` message, from the
 * limits ingest enforces (LIMITS). JSON data is at most `maxDataBytes` UTF-16 units
 * of canonical JSON, whose escapes are already counted in it and are ASCII: at most
 * 3 bytes a unit. Bytes travel as base64. A name may hold lone surrogates, which
 * JSON.stringify writes as 6-byte escapes.
 */
export function maxEncodedEventBytes(): number {
  const { nameLength, actorLength, maxParents, maxDataBytes } = LIMITS;
  const idLength = 22;
  const data = Math.max(3 * maxDataBytes, 4 * Math.ceil(maxDataBytes / 3));
  // Every attribute name, quote, colon and comma, and the longest fixed values.
  const frame =
    '{"specversion":"1.0","id":"","source":"","type":"","subject":"","time":"",' +
    '"datacontenttype":"application/octet-stream","data_base64":"","parents":"",' +
    '"actor":"","seq":"","hlc":"","author":""}';
  return (
    frame.length +
    idLength +
    DEFAULT_SOURCE.length +
    3 * 6 * nameLength + // type, subject, author
    6 * actorLength +
    '9999-12-31T23:59:60.123456789+23:59'.length +
    maxParents * (idLength + 1) +
    String(Number.MAX_SAFE_INTEGER).length +
    'ffffffffffff.ffff'.length +
    data
  );
}

/**
 * Parses and checks a message's shape (not its events' validity: ingest verifies
 * those). @throws ProtocolError for anything malformed or oversized.
 */
export function decodeMessage(text: string): SyncMessage {
  if (text.length > MAX_MESSAGE_BYTES)
    throw new ProtocolError(CLOSE.tooBig, 'message too large');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ProtocolError(CLOSE.badMessage, 'malformed JSON');
  }
  const m = raw as Record<string, unknown> | null;
  if (typeof m !== 'object' || m === null)
    throw new ProtocolError(CLOSE.badMessage, 'not a JSON object');
  switch (m.type) {
    case 'hello':
      if (m.protocol !== PROTOCOL)
        throw new ProtocolError(
          CLOSE.badMessage,
          `unsupported protocol ${String(m.protocol)}`,
        );
      if (typeof m.log !== 'string' || !LOG_ID_PATTERN.test(m.log)) {
        throw new ProtocolError(CLOSE.badMessage, 'hello.log must be a log id');
      }
      if (typeof m.token !== 'string' || m.token.length > MAX_TOKEN_LENGTH)
        throw new ProtocolError(
          CLOSE.badMessage,
          `hello.token must be a string of at most ${MAX_TOKEN_LENGTH} characters`,
        );
      if (!isVector(m.vector))
        throw new ProtocolError(CLOSE.badMessage, 'hello.vector malformed');
      if (
        m.recheck !== undefined &&
        !(
          Array.isArray(m.recheck) &&
          m.recheck.length <= 16 &&
          m.recheck.every(
            (a) => typeof a === 'string' && a.length > 0 && a.length <= 128,
          )
        )
      )
        throw new ProtocolError(CLOSE.badMessage, 'hello.recheck malformed');
      return {
        type: 'hello',
        protocol: PROTOCOL,
        log: m.log,
        token: m.token,
        vector: copyVector(m.vector),
        ...(m.recheck ? { recheck: m.recheck as string[] } : {}),
      };
    case 'welcome':
      if (!isVector(m.vector))
        throw new ProtocolError(CLOSE.badMessage, 'welcome.vector malformed');
      return {
        type: 'welcome',
        vector: copyVector(m.vector),
        ...(m.ping === true ? { ping: true as const } : {}),
      };
    case 'ping':
    case 'pong':
      return { type: m.type };
    case 'ack':
      if (!Number.isSafeInteger(m.id) || !isVector(m.vector))
        throw new ProtocolError(CLOSE.badMessage, 'ack malformed');
      return {
        type: 'ack',
        id: m.id as number,
        vector: copyVector(m.vector),
      };
    case 'events': {
      if (!Number.isSafeInteger(m.id) || !Array.isArray(m.events))
        throw new ProtocolError(CLOSE.badMessage, 'events malformed');
      if (m.events.length > MAX_BATCH)
        throw new ProtocolError(
          CLOSE.badMessage,
          `more than ${MAX_BATCH} events`,
        );
      const events = (m.events as Json[]).map((e, i) => {
        try {
          return fromCloudEvent(e);
        } catch (error) {
          throw new ProtocolError(
            CLOSE.invalidEvents,
            `event ${i}: ${(error as Error).message}`,
          );
        }
      });
      return { type: 'events', id: m.id as number, events };
    }
    default:
      throw new ProtocolError(
        CLOSE.badMessage,
        `unknown message type ${JSON.stringify(m.type)?.slice(0, 40)}`,
      );
  }
}
