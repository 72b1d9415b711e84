import { jsonSyntaxError } from './json-syntax.ts';
import { fromBase64Url, toBase64 } from './base64url.ts';
import { canonicalJson } from './canonical-json.ts';
import { ImportError, type ForklineError } from './errors.ts';
import type { EventRecord } from './store.ts';
import type { Json, LogEvent } from './types.ts';

/** The `source` of exported events: names this log format, not a machine. */
export const DEFAULT_SOURCE = 'urn:forkline:log';

/** Longest line import reads: 1 MiB of data, base64- or JSON-escaped, plus attributes. */
export const MAX_LINE_LENGTH = 8 * 1024 * 1024;

const REQUIRED = [
  'specversion',
  'id',
  'source',
  'type',
  'subject',
  'time',
  'actor',
  'seq',
  'hlc',
] as const;

/**
 * One CloudEvents 1.0 structured-mode JSON object for an event (DESIGN §8): our fields
 * ride as lowercase string extension attributes; bytes go in `data_base64`.
 */
export function toCloudEvent(
  event: LogEvent,
  source = DEFAULT_SOURCE,
): Record<string, Json> {
  const out: Record<string, Json> = {
    specversion: '1.0',
    id: event.id,
    source,
    type: event.type,
    subject: event.stream,
    time: event.time,
  };
  if (event.data instanceof Uint8Array) {
    out.datacontenttype = 'application/octet-stream';
    out.data_base64 = toBase64(event.data);
  } else {
    out.datacontenttype = 'application/json';
    out.data = event.data;
  }
  out.parents = event.parents.join(' ');
  out.actor = event.actor;
  out.seq = String(event.seq);
  out.hlc = event.hlc;
  if (event.author !== undefined) out.author = event.author;
  return out;
}

/** Reads an event back from a CloudEvent object; throws a TypeError saying what is wrong. */
export function fromCloudEvent(value: unknown): LogEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError('not a JSON object');
  }
  const ce = value as Record<string, unknown>;
  for (const name of REQUIRED) {
    const attribute = ce[name];
    // Said as it is: "missing or not a non-empty string" read as a riddle (QA pass 18).
    if (attribute === undefined)
      throw new TypeError(`attribute "${name}" is missing`);
    if (typeof attribute !== 'string')
      throw new TypeError(
        `attribute "${name}" is ${attribute === null ? 'null' : `a ${Array.isArray(attribute) ? 'list' : typeof attribute}`}, not a string`,
      );
    if (attribute === '') throw new TypeError(`attribute "${name}" is empty`);
  }
  if (ce.specversion !== '1.0')
    throw new TypeError(`specversion "${String(ce.specversion)}" is not "1.0"`);
  if (!/^[1-9]\d{0,15}$/.test(ce.seq as string))
    throw new TypeError('attribute "seq" is not a positive integer');
  const parents = ce.parents ?? '';
  if (typeof parents !== 'string')
    throw new TypeError('attribute "parents" is not a string');
  if ('data' in ce && 'data_base64' in ce)
    throw new TypeError('both "data" and "data_base64" are present');
  let data: Json | Uint8Array = (ce.data ?? null) as Json;
  if ('data_base64' in ce) {
    if (typeof ce.data_base64 !== 'string')
      throw new TypeError('"data_base64" is not a string');
    data = fromBase64Url(ce.data_base64);
  }
  const event: LogEvent = {
    id: ce.id as string,
    stream: ce.subject as string,
    type: ce.type as string,
    data,
    parents: parents === '' ? [] : parents.split(' '),
    actor: ce.actor as string,
    seq: Number(ce.seq),
    hlc: ce.hlc as string,
    time: ce.time as string,
  };
  if (ce.author !== undefined) event.author = ce.author as string;
  return event;
}

/**
 * One export line's parts, each already spelled as JSON where it is a string
 * (`quoted`): whoever holds an event in another form (a segment's columns) writes
 * the same line without building the event.
 */
export interface LineParts {
  id: string;
  /** `"source":…` and `"subject":…` values, quoted. */
  source: string;
  subject: string;
  type: string;
  time: string;
  /** `data` (JSON text, canonical) or `data_base64` (bytes). */
  json?: string;
  bytes?: Uint8Array;
  /** Parent ids, space-separated. */
  parents: string;
  actor: string;
  seq: number;
  hlc: string;
  author?: string;
}

/**
 * The JSON Lines form of an event (DESIGN §8): toCloudEvent's object, written with
 * its data as canonical JSON, so that every store writes the same bytes for it.
 */
export function cloudEventLine(p: LineParts): string {
  const data =
    p.bytes !== undefined
      ? `"datacontenttype":"application/octet-stream","data_base64":"${toBase64(p.bytes)}"`
      : `"datacontenttype":"application/json","data":${p.json!}`;
  return (
    `{"specversion":"1.0","id":"${p.id}","source":${p.source},"type":${p.type},` +
    `"subject":${p.subject},"time":${p.time},${data},"parents":"${p.parents}",` +
    `"actor":${p.actor},"seq":"${p.seq}","hlc":"${p.hlc}"` +
    (p.author === undefined ? '}\n' : `,"author":${p.author}}\n`)
  );
}

/** `event` as one export line. */
export function eventLine(event: LogEvent, source = DEFAULT_SOURCE): string {
  const bytes = event.data instanceof Uint8Array ? event.data : undefined;
  return cloudEventLine({
    id: event.id,
    source: JSON.stringify(source),
    subject: JSON.stringify(event.stream),
    type: JSON.stringify(event.type),
    time: JSON.stringify(event.time),
    ...(bytes ? { bytes } : { json: canonicalJson(event.data) }),
    parents: event.parents.join(' '),
    actor: JSON.stringify(event.actor),
    seq: event.seq,
    hlc: event.hlc,
    ...(event.author === undefined
      ? {}
      : { author: JSON.stringify(event.author) }),
  });
}

/** Lines gathered into one chunk of UTF-8 by `exportLineBytes`. */
const CHUNK_LINES = 1024;
const utf8 = new TextEncoder();

/** The log as JSON Lines in UTF-8, a chunk of whole lines at a time, from its records. */
export async function* exportLineBytes(
  records: AsyncIterable<EventRecord>,
  source = DEFAULT_SOURCE,
): AsyncIterable<Uint8Array> {
  let lines = '';
  let count = 0;
  for await (const { event } of records) {
    lines += eventLine(event, source);
    if (++count % CHUNK_LINES === 0) {
      yield utf8.encode(lines);
      lines = '';
    }
  }
  if (lines) yield utf8.encode(lines);
}

/** Chunks of whole UTF-8 lines (`exportLineBytes`) as one string per line, newline kept. */
export async function* linesOf(
  chunks: AsyncIterable<Uint8Array>,
): AsyncIterable<string> {
  const decoder = new TextDecoder();
  for await (const chunk of chunks) {
    const text = decoder.decode(chunk);
    for (let at = 0; at < text.length;) {
      const end = text.indexOf('\n', at) + 1 || text.length;
      yield text.slice(at, end);
      at = end;
    }
  }
}

/** The reason given for a line that does not parse as JSON. */
export const NOT_JSON = 'not valid JSON';

/**
 * The event on one import line, `line` counting from 1; undefined for a blank line.
 * @throws ImportError naming the line: too long, not JSON, not an event.
 */
export function parseLine(raw: string, line: number): LogEvent | undefined {
  const text = raw.endsWith('\n') ? raw.replace(/\r?\n$/, '') : raw;
  if (text.trim() === '') return undefined;
  if (text.length > MAX_LINE_LENGTH) {
    throw new ImportError(
      line,
      `the line is ${text.length} characters, over the limit of ${MAX_LINE_LENGTH}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // Where and why in the line's own terms: the engine's message counts from 0,
    // calls the line "line 1" and names the letter after a bad word.
    const found = jsonSyntaxError(text);
    throw new ImportError(
      line,
      found
        ? `${NOT_JSON} at column ${found.column} (${found.problem})`
        : `${NOT_JSON} (${(error as Error).message})`,
    );
  }
  try {
    return fromCloudEvent(parsed);
  } catch (error) {
    throw new ImportError(line, (error as Error).message);
  }
}

/** An event read from an import file, with the line it came from. */
export interface LineEvent {
  event: LogEvent;
  line: number;
}

/**
 * The line an ingest error about `batch` is about: by batch index when the error has
 * one (a later line may repeat an earlier line's id with other content), else by the
 * event's id; 0 when it names neither.
 */
export function lineOfError(
  error: ForklineError,
  batch: readonly LineEvent[],
): number {
  const { id, index, where } = error as {
    id?: string;
    index?: number;
    where?: { id?: string; index?: number };
  };
  const at = index ?? where?.index;
  if (at !== undefined && batch[at] !== undefined) return batch[at].line;
  const named = id ?? where?.id;
  return batch.find((e) => e.event.id === named)?.line ?? 0;
}
