import { sha256 } from '@noble/hashes/sha2.js';
import { toBase64Url } from './base64url.ts';
import { canonicalJson } from './canonical-json.ts';
import type { EventId, LogEvent } from './types.ts';

/** Names the encoding; a future encoding gets a new tag, so ids never collide across versions. */
export const EVENT_ENCODING = 'forkline/event/v1';

/** Bytes of SHA-256 kept in an id: 128 bits, 22 base64url characters. */
const ID_BYTES = 16;
export const EVENT_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

const utf8 = new TextEncoder();

/**
 * The deterministic encoding hashed into an event id (docs/event-encoding.md):
 * UTF-8 of the RFC 8785 canonical JSON of
 * [tag, stream, type, parents, actor, seq, hlc, time, author|null, "json"|"bytes", data],
 * where bytes are written as unpadded base64url.
 */
export function encodeForId(event: Omit<LogEvent, 'id'>): Uint8Array {
  const bytes = event.data instanceof Uint8Array;
  const text = canonicalJson([
    EVENT_ENCODING,
    event.stream,
    event.type,
    event.parents,
    event.actor,
    event.seq,
    event.hlc,
    event.time,
    event.author ?? null,
    bytes ? 'bytes' : 'json',
    bytes ? toBase64Url(event.data as Uint8Array) : event.data,
  ]);
  return utf8.encode(text);
}

/** The content address of an event: base64url(SHA-256(encodeForId(event))[0..16]). */
export function computeEventId(event: Omit<LogEvent, 'id'>): EventId {
  return toBase64Url(sha256(encodeForId(event)).subarray(0, ID_BYTES));
}
