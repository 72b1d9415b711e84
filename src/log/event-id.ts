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

/** `["forkline/event/v1",` as UTF-8: every preimage starts with it. */
const PREFIX = utf8.encode(`[${JSON.stringify(EVENT_ENCODING)},`);
const COMMA = 0x2c; // ,
const OPEN = 0x5b; // [
const CLOSE = 0x5d; // ]

/**
 * Writes `"s"` at `at` when `s` is printable ASCII without `"` or `\`, whose JSON
 * form is then the string itself in quotes (and UTF-8 the same bytes); returns the
 * offset after it, or -1 when `s` needs JSON's escaping or UTF-8's multi-byte forms.
 */
function writePlainString(s: string, at: number): number {
  scratch[at++] = 0x22;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return -1;
    scratch[at++] = c;
  }
  scratch[at++] = 0x22;
  return at;
}

function writeAscii(s: string, at: number): number {
  for (let i = 0; i < s.length; i++) scratch[at++] = s.charCodeAt(i);
  return at;
}

/**
 * The common case of `writePreimage` without building the fixed fields' JSON text:
 * when every string field is plain ASCII (ids, HLCs and ISO times always are), the
 * preimage is written straight into the scratch buffer. Returns its length, or -1
 * when some field needs the general path. Byte-identical to it (tested).
 */
function writePlainPreimage(event: Omit<LogEvent, 'id'>): number {
  const { stream, type, parents, actor, hlc, time, author, data } = event;
  const bytes = data instanceof Uint8Array ? data : undefined;
  const json = bytes ? '' : canonicalJson(data);
  // Punctuation, "null", the kind and two numbers of at most 16 digits fit in 96.
  let bound = PREFIX.length + 96 + (bytes ? bytes.byteLength : json.length * 3);
  bound += stream.length + type.length + actor.length + hlc.length;
  bound += time.length + (author?.length ?? 0);
  for (let i = 0; i < parents.length; i++) bound += parents[i]!.length + 3;
  if (scratch.length < bound)
    scratch = new Uint8Array(Math.max(bound, scratch.length * 2));
  scratch.set(PREFIX);
  let at = PREFIX.length;
  if ((at = writePlainString(stream, at)) < 0) return -1;
  scratch[at++] = COMMA;
  if ((at = writePlainString(type, at)) < 0) return -1;
  scratch[at++] = COMMA;
  scratch[at++] = OPEN;
  for (let i = 0; i < parents.length; i++) {
    if (i > 0) scratch[at++] = COMMA;
    if ((at = writePlainString(parents[i]!, at)) < 0) return -1;
  }
  scratch[at++] = CLOSE;
  scratch[at++] = COMMA;
  if ((at = writePlainString(actor, at)) < 0) return -1;
  // seq is a safe integer here, which JSON writes as its decimal digits.
  at = writeAscii(`,${event.seq},`, at);
  if ((at = writePlainString(hlc, at)) < 0) return -1;
  scratch[at++] = COMMA;
  if ((at = writePlainString(time, at)) < 0) return -1;
  scratch[at++] = COMMA;
  if (author === undefined) at = writeAscii('null', at);
  else if ((at = writePlainString(author, at)) < 0) return -1;
  if (bytes) {
    at = writeAscii(`,"bytes",${bytes.byteLength}]`, at);
    scratch.set(bytes, at);
    return at + bytes.byteLength;
  }
  at = writeAscii(',"json",', at);
  at += utf8.encodeInto(json, scratch.subarray(at)).written;
  scratch[at++] = CLOSE;
  return at;
}

/** Writes the preimage into the scratch buffer (grown as needed); returns its length. */
function writePreimage(event: Omit<LogEvent, 'id'>): number {
  const length = Number.isSafeInteger(event.seq)
    ? writePlainPreimage(event)
    : -1;
  return length >= 0
    ? length
    : writeJsonPreimage(
        event,
        event.data instanceof Uint8Array ? event.data : undefined,
      );
}

/** The general path: the JSON text through JSON.stringify and the canonicaliser. */
function writeJsonPreimage(
  event: Omit<LogEvent, 'id'>,
  data: Uint8Array | undefined,
): number {
  const text = header(event);
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
  // Not `scratch.slice(0, writePreimage(event))`: that reads `scratch` before the
  // call, which may replace it with a larger buffer.
  const length = writePreimage(event);
  return scratch.slice(0, length);
}

/** The content address of an event: base64url(SHA-256(encodeForId(event))[0..16]). */
export function computeEventId(event: Omit<LogEvent, 'id'>): EventId {
  const length = writePreimage(event);
  return toBase64Url(sha256Into(scratch, length, digest).subarray(0, ID_BYTES));
}
