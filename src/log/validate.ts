import { canonicalJson, NotJsonError } from './canonical-json.ts';
import { InvalidEventError } from './errors.ts';
import { EVENT_ID_PATTERN } from './event-id.ts';
import { isHlc } from './hlc.ts';
import type { EventInput, LogEvent } from './types.ts';

type Where = { id?: string; index?: number };

/** Bounds on everything that enters the log: data is capped so one event cannot exhaust a replica. */
export const LIMITS = {
  nameLength: 256,
  actorLength: 128,
  /** Heads one event may name: append and ingest share it, so every append can be synced. */
  maxParents: 1024,
  maxDataBytes: 1 << 20,
} as const;

// C0 and C1 controls and DEL: invisible, and they break logs, terminals and file names.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const RFC3339 =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

export function checkName(
  field: string,
  value: unknown,
  max: number,
  where: Where = {},
): string {
  if (typeof value !== 'string')
    throw new InvalidEventError(field, 'must be a string', where);
  if (value.length === 0 || value.length > max) {
    throw new InvalidEventError(
      field,
      `must be 1 to ${max} characters, not ${value.length}`,
      where,
    );
  }
  if (CONTROL.test(value)) {
    throw new InvalidEventError(
      field,
      'must not contain control characters',
      where,
    );
  }
  return value;
}

/** Validates a stream name (1..256 chars, no control characters). */
export function checkStream(stream: unknown, where: Where = {}): string {
  return checkName('stream', stream, LIMITS.nameLength, where);
}

/** Whether `time` is an RFC 3339 date-time, as event times and query bounds must be. */
export const isRfc3339 = (time: unknown): time is string =>
  typeof time === 'string' && RFC3339.test(time);

export function checkTime(time: unknown, where: Where = {}): string {
  if (!isRfc3339(time)) {
    throw new InvalidEventError(
      'time',
      `${JSON.stringify(time)} is not an RFC 3339 date-time`,
      where,
    );
  }
  return time;
}

/** Checks data is bytes or JSON within the size limit; returns its canonical size in bytes. */
export function checkData(data: unknown, where: Where = {}): number {
  return canonicalData(data, where).length;
}

/**
 * Checks data is bytes or JSON within the size limit, and returns it as an id hashes
 * it: the bytes, or the canonical JSON text (computeEventId takes it, so that
 * checking and hashing build it once).
 */
export function canonicalData(
  data: unknown,
  where: Where = {},
): string | Uint8Array {
  if (data instanceof Uint8Array) {
    if (data.byteLength > LIMITS.maxDataBytes) {
      throw new InvalidEventError(
        'data',
        `${data.byteLength} bytes exceeds ${LIMITS.maxDataBytes}`,
        where,
      );
    }
    return data;
  }
  let text: string;
  try {
    text = canonicalJson(data);
  } catch (error) {
    if (error instanceof NotJsonError)
      throw new InvalidEventError(
        `data${abbreviate(error.path)}`,
        error.reason,
        where,
      );
    throw error;
  }
  // UTF-16 length bounds the UTF-8 length within a factor of 3; the exact count is not worth a pass.
  if (text.length > LIMITS.maxDataBytes) {
    throw new InvalidEventError(
      'data',
      `${text.length} characters exceeds ${LIMITS.maxDataBytes}`,
      where,
    );
  }
  return text;
}

/** Validates what a local writer supplies to `append`. */
export function checkEventInput(input: unknown, index: number): EventInput {
  const where = { index };
  if (typeof input !== 'object' || input === null) {
    throw new InvalidEventError(
      'event',
      'must be an object { type, data, author?, time? }',
      where,
    );
  }
  const { type, data, author, time } = input as Record<string, unknown>;
  checkName('type', type, LIMITS.nameLength, where);
  if (data === undefined)
    throw new InvalidEventError('data', 'is missing', where);
  checkData(data, where);
  if (author !== undefined)
    checkName('author', author, LIMITS.nameLength, where);
  if (time !== undefined) checkTime(time, where);
  return input as EventInput;
}

/** Validates the shape of an event from another replica (ids are checked separately). */
export function checkLogEvent(value: unknown, index: number): LogEvent {
  const event = checkEventFields(value, index);
  checkData(event.data, { id: event.id, index });
  return event;
}

/**
 * `checkLogEvent` but for the data, which need only be present: for a caller that
 * checks it on its own (`canonicalData`), or checked it before.
 */
export function checkEventFields(value: unknown, index: number): LogEvent {
  if (typeof value !== 'object' || value === null) {
    throw new InvalidEventError('event', 'must be an object', { index });
  }
  const e = value as Record<string, unknown>;
  if (typeof e.id !== 'string' || !EVENT_ID_PATTERN.test(e.id)) {
    throw new InvalidEventError('id', 'must be 22 base64url characters', {
      index,
    });
  }
  const where = { id: e.id, index };
  checkStream(e.stream, where);
  checkName('type', e.type, LIMITS.nameLength, where);
  checkName('actor', e.actor, LIMITS.actorLength, where);
  if (e.author !== undefined)
    checkName('author', e.author, LIMITS.nameLength, where);
  if (typeof e.seq !== 'number' || !Number.isSafeInteger(e.seq) || e.seq < 1) {
    throw new InvalidEventError('seq', 'must be a whole number from 1', where);
  }
  if (typeof e.hlc !== 'string' || !isHlc(e.hlc)) {
    throw new InvalidEventError(
      'hlc',
      'must look like "0193a1b2c3d4.0000"',
      where,
    );
  }
  checkTime(e.time, where);
  checkParents(e.parents, where);
  if (e.data === undefined)
    throw new InvalidEventError('data', 'is missing', where);
  return value as LogEvent;
}

function checkParents(parents: unknown, where: Where): void {
  if (!Array.isArray(parents))
    throw new InvalidEventError('parents', 'must be an array of ids', where);
  if (parents.length > LIMITS.maxParents) {
    throw new InvalidEventError(
      'parents',
      `more than ${LIMITS.maxParents}`,
      where,
    );
  }
  for (let i = 0; i < parents.length; i++) {
    const p: unknown = parents[i];
    if (typeof p !== 'string' || !EVENT_ID_PATTERN.test(p)) {
      throw new InvalidEventError(
        'parents',
        `entry ${i} is not an event id`,
        where,
      );
    }
    if (i > 0 && !(parents[i - 1] < p)) {
      throw new InvalidEventError(
        'parents',
        'must be sorted and free of duplicates',
        where,
      );
    }
  }
}

/** A path 64 levels deep helps nobody: keep its start and end. */
function abbreviate(path: string): string {
  return path.length <= 80 ? path : `${path.slice(0, 40)}/…${path.slice(-30)}`;
}
