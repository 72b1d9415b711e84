import { toBase64Url } from './base64url.ts';
import { canonicalJson } from './canonical-json.ts';
import { sha256Into } from './sha256.ts';
import type { EventId, LogEvent } from './types.ts';

/** Names the encoding; a future encoding gets a new tag, so ids never collide across versions. */
export const EVENT_ENCODING = 'forkline/event/v1';

/** Bytes of SHA-256 kept in an id: 128 bits, 22 base64url characters. */
const ID_BYTES = 16;
export const EVENT_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

const utf8 = new TextEncoder();
let scratch = new Uint8Array(4096);
const digest = new Uint8Array(32);

/**
 * The JSON half of the preimage: every field but byte data, which follows it raw.
 * The fixed fields are strings, numbers, null and an array of strings, which
 * JSON.stringify already writes exactly as RFC 8785 does; only JSON data needs the
 * key-sorting serialiser.
 */
function header(event: Omit<LogEvent, 'id'>): string {
  const bytes = event.data instanceof Uint8Array;
  const fixed = JSON.stringify([
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
  ]);
  const data = bytes
    ? String((event.data as Uint8Array).byteLength)
    : canonicalJson(event.data);
  return `${fixed.slice(0, -1)},${data}]`;
}

/** Writes the preimage into the scratch buffer (grown as needed); returns its length. */
function writePreimage(event: Omit<LogEvent, 'id'>): number {
  const text = header(event);
  const data = event.data instanceof Uint8Array ? event.data : undefined;
  // UTF-8 needs at most 3 bytes per UTF-16 unit.
  const needed = text.length * 3 + (data?.byteLength ?? 0);
  if (scratch.length < needed)
    scratch = new Uint8Array(Math.max(needed, scratch.length * 2));
  const { written } = utf8.encodeInto(text, scratch);
  if (!data) return written;
  scratch.set(data, written);
  return written + data.byteLength;
}

/**
 * The deterministic encoding hashed into an event id (docs/event-encoding.md):
 * UTF-8 of the RFC 8785 canonical JSON of
 * [tag, stream, type, parents, actor, seq, hlc, time, author|null, kind, data],
 * where for byte data `kind` is "bytes", `data` is the byte count, and the raw
 * bytes follow the JSON text.
 */
export function encodeForId(event: Omit<LogEvent, 'id'>): Uint8Array {
  return scratch.slice(0, writePreimage(event));
}

/** The content address of an event: base64url(SHA-256(encodeForId(event))[0..16]). */
export function computeEventId(event: Omit<LogEvent, 'id'>): EventId {
  const length = writePreimage(event);
  return toBase64Url(sha256Into(scratch, length, digest).subarray(0, ID_BYTES));
}
