import { fromCloudEvent, toCloudEvent } from '../log/jsonl.ts';
import type { Json, LogEvent, VersionVector } from '../log/types.ts';

/** Version of the wire protocol (docs/sync-protocol.md). */
export const PROTOCOL = 1;
/** Events per `events` message: bounded, so one message never holds a whole log. */
export const MAX_BATCH = 500;
/** Largest message either side accepts, in bytes. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export type SyncMessage =
  | {
      type: 'hello';
      protocol: number;
      log: string;
      token: string;
      vector: VersionVector;
    }
  | { type: 'welcome'; vector: VersionVector }
  | { type: 'events'; id: number; events: LogEvent[] }
  | { type: 'ack'; id: number; vector: VersionVector };

/** Close codes: why a connection ended, so the other side can tell the user. */
export const CLOSE = {
  badMessage: 4000,
  unauthorized: 4001,
  unknownLog: 4002,
  invalidEvents: 4003,
  tooFast: 4004,
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
  return JSON.stringify({
    ...message,
    events: message.events.map((e) => toCloudEvent(e)),
  });
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
      if (typeof m.log !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(m.log)) {
        throw new ProtocolError(CLOSE.badMessage, 'hello.log must be a log id');
      }
      if (typeof m.token !== 'string' || m.token.length > 256)
        throw new ProtocolError(CLOSE.badMessage, 'hello.token missing');
      if (!isVector(m.vector))
        throw new ProtocolError(CLOSE.badMessage, 'hello.vector malformed');
      return {
        type: 'hello',
        protocol: PROTOCOL,
        log: m.log,
        token: m.token,
        vector: m.vector,
      };
    case 'welcome':
      if (!isVector(m.vector))
        throw new ProtocolError(CLOSE.badMessage, 'welcome.vector malformed');
      return { type: 'welcome', vector: m.vector };
    case 'ack':
      if (!Number.isSafeInteger(m.id) || !isVector(m.vector))
        throw new ProtocolError(CLOSE.badMessage, 'ack malformed');
      return { type: 'ack', id: m.id as number, vector: m.vector };
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
