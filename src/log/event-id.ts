import { sixteenToBase64Url } from './base64url.ts';
import { canonicalJson } from './canonical-json.ts';
import { sha256Into } from './sha256.ts';
import type { EventId, LogEvent } from './types.ts';

/** Names the encoding; a future encoding gets a new tag, so ids never collide across versions. */
export const EVENT_ENCODING = 'forkline/event/v1';

/** An id's length in characters: every stored event's (the log checks EVENT_ID_PATTERN). */
export const EVENT_ID_LENGTH = 22;
export const EVENT_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

const utf8 = new TextEncoder();
let scratch = new Uint8Array(4096);
const digest = new Uint8Array(32);

const COMMA = 0x2c; // ,
/** Every preimage starts with this. */
const PREFIX = `[${JSON.stringify(EVENT_ENCODING)},`;

/** Makes room for `more` bytes after the first `at`, keeping them. */
function reserve(at: number, more: number): void {
  if (scratch.length >= at + more) return;
  const grown = new Uint8Array(Math.max(at + more, scratch.length * 2));
  grown.set(scratch.subarray(0, at));
  scratch = grown;
}

function writeByte(byte: number, at: number): number {
  reserve(at, 1);
  scratch[at] = byte;
  return at + 1;
}

/** Writes `text`, known to be ASCII, at `at`: cheaper than encodeInto for a few bytes. */
function writeAscii(text: string, at: number): number {
  reserve(at, text.length);
  for (let i = 0; i < text.length; i++) scratch[at++] = text.charCodeAt(i);
  return at;
}

/** Writes `text` as UTF-8 at `at`; returns the offset after it. */
function writeText(text: string, at: number): number {
  // UTF-8 needs at most 3 bytes per UTF-16 unit.
  reserve(at, text.length * 3);
  return at + utf8.encodeInto(text, scratch.subarray(at)).written;
}

/**
 * Writes `value`'s JSON text at `at`, as JSON.stringify writes it inside an array
 * (which for strings, numbers, null and arrays of strings is exactly RFC 8785).
 * A string of printable ASCII without `"` or `\` (ids, HLCs, ISO times, names) is
 * copied byte by byte in quotes: no JSON text is built for it.
 */
function writeJson(value: unknown, at: number): number {
  if (typeof value === 'number' && Number.isFinite(value))
    return writeAscii(String(value), at);
  if (typeof value !== 'string')
    return writeText(JSON.stringify(value) ?? 'null', at);
  reserve(at, value.length + 2);
  const start = at;
  scratch[at++] = 0x22;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c)
      return writeText(JSON.stringify(value), start);
    scratch[at++] = c;
  }
  scratch[at++] = 0x22;
  return at;
}

/**
 * Writes the preimage into the scratch buffer (grown as needed), field by field,
 * without building its JSON text; returns its length. Checked byte for byte against
 * docs/event-encoding.md read literally (test/unit/event-id.test.ts).
 */
function writePreimage(event: Omit<LogEvent, 'id'>, json?: string): number {
  const { parents, data } = event;
  let at = writeAscii(PREFIX, 0);
  at = writeByte(COMMA, writeJson(event.stream, at));
  at = writeByte(COMMA, writeJson(event.type, at));
  if (Array.isArray(parents)) {
    at = writeByte(0x5b, at); // [
    for (let i = 0; i < parents.length; i++)
      at = writeJson(parents[i], i > 0 ? writeByte(COMMA, at) : at);
    at = writeByte(0x5d, at); // ]
  } else at = writeJson(parents, at);
  at = writeJson(event.actor, writeByte(COMMA, at));
  at = writeJson(event.seq, writeByte(COMMA, at));
  at = writeJson(event.hlc, writeByte(COMMA, at));
  at = writeJson(event.time, writeByte(COMMA, at));
  at = writeJson(event.author ?? null, writeByte(COMMA, at));
  if (!(data instanceof Uint8Array))
    return writeText(`,"json",${json ?? canonicalJson(data)}]`, at);
  at = writeAscii(`,"bytes",${data.byteLength}]`, at);
  reserve(at, data.byteLength);
  scratch.set(data, at);
  return at + data.byteLength;
}

/**
 * The deterministic encoding hashed into an event id (docs/event-encoding.md):
 * UTF-8 of the RFC 8785 canonical JSON of
 * [tag, stream, type, parents, actor, seq, hlc, time, author|null, kind, data],
 * where for byte data `kind` is "bytes", `data` is the byte count, and the raw
 * bytes follow the JSON text.
 */
export function encodeForId(event: Omit<LogEvent, 'id'>): Uint8Array {
  // Not `scratch.slice(0, writePreimage(event))`: that reads `scratch` before the
  // call, which may replace it with a larger buffer.
  const length = writePreimage(event);
  return scratch.slice(0, length);
}

/**
 * The content address of an event: base64url(SHA-256(encodeForId(event))[0..16]).
 * `json`: its data's canonical JSON when the caller has it already (canonicalData).
 */
export function computeEventId(
  event: Omit<LogEvent, 'id'>,
  json?: string,
): EventId {
  const length = writePreimage(event, json);
  // Its first 16 bytes (128 bits) in 22 characters: no view of them, no `apply`.
  return sixteenToBase64Url(sha256Into(scratch, length, digest), 0);
}
