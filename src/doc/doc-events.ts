import { fromBase64Url } from '../log/base64url.ts';
import type { EventId, Json, LogEvent } from '../log/types.ts';
import { LIMITS } from '../log/validate.ts';

/** The document model's event types (one document = one stream `doc/<id>`). */
export const TEXT_EDITED = 'doc.text.edited';
export const FIELD_SET = 'doc.field.set';
export const VERSION_RESTORED = 'doc.version.restored';

export const DOC_PREFIX = 'doc/';
/** The tombstone register: a deleted document is one whose `@deleted` is true. */
export const DELETED_FIELD = '@deleted';

/** data of FIELD_SET: the value and the live values its writer saw (and so replaces). */
export interface FieldSetData {
  field: string;
  value: Json;
  supersedes: EventId[];
}

/** data of VERSION_RESTORED: fields and text of the version at `from`, made current. */
export interface RestoreData {
  from: EventId[];
  /** Yjs update (base64url) turning the text at the parents into the text at `from`. */
  text: string | null;
  fields: Record<string, { value: Json; supersedes: EventId[] }>;
}

/**
 * The titles among a title field's live values: its strings. Another replica may
 * write any JSON under `title`; what is not a string names nothing, in the list of
 * documents as in the title's own field (where an object once read "[object Object]").
 */
export const titlesOf = (values: readonly Json[] | undefined): string[] =>
  (values ?? []).filter((v): v is string => typeof v === 'string');

export const streamOfDoc = (docId: string) => `${DOC_PREFIX}${docId}`;
export const docIdOf = (stream: string) => stream.slice(DOC_PREFIX.length);

const isIdList = (v: unknown): v is EventId[] =>
  Array.isArray(v) && v.every((x) => typeof x === 'string');

/**
 * The heads a restore made current (`RestoreData.from`), sorted; undefined for any
 * other event, and for another replica's restore that names no list of ids, or more
 * of them than an event may have parents (a version's heads are some event's
 * parents-to-be). Said in the history, never folded.
 */
export function restoredFromOf(event: LogEvent): EventId[] | undefined {
  if (event.type !== VERSION_RESTORED) return undefined;
  const from = (event.data as { from?: unknown } | null)?.from;
  if (!isIdList(from) || from.length === 0 || from.length > LIMITS.maxParents)
    return undefined;
  return [...new Set(from)].sort();
}

/**
 * The register writes an event makes, or [] for events that set no field. Events
 * come from other replicas: a malformed one is reported, never trusted.
 */
export function fieldWritesOf(
  event: LogEvent,
): { field: string; value: Json; supersedes: EventId[] }[] {
  const data = event.data as Record<string, unknown> | null;
  if (event.type === FIELD_SET) {
    if (
      !data ||
      typeof data.field !== 'string' ||
      !('value' in data) ||
      !isIdList(data.supersedes)
    ) {
      throw new TypeError(
        `event ${event.id}: ${FIELD_SET} needs { field, value, supersedes }`,
      );
    }
    return [
      {
        field: data.field,
        value: data.value as Json,
        supersedes: data.supersedes,
      },
    ];
  }
  if (event.type === VERSION_RESTORED) {
    const fields = data?.fields;
    if (!fields || typeof fields !== 'object')
      throw new TypeError(`event ${event.id}: restore needs fields`);
    return Object.entries(
      fields as Record<string, { value: Json; supersedes: unknown }>,
    ).map(([field, f]) => {
      if (!f || !isIdList(f.supersedes))
        throw new TypeError(`event ${event.id}: field ${field} is malformed`);
      return { field, value: f.value, supersedes: f.supersedes };
    });
  }
  return [];
}

/**
 * What an event does to a document: its register writes and its text update. One
 * that does not read (either part) does nothing at all: thrown, for the fold and the
 * listing alike to pass it over (a restore whose text did not read set its title in
 * the list of documents, and not in the document).
 * @throws TypeError naming the event.
 */
export function documentChangeOf(event: LogEvent): {
  writes: ReturnType<typeof fieldWritesOf>;
  update: Uint8Array | undefined;
} {
  return { writes: fieldWritesOf(event), update: textUpdateOf(event) };
}

/**
 * The Yjs update an event carries, or undefined for events without text and for
 * another replica's that does not read (`textUpdateOf` throws on those): for
 * readers that pass such an event over, as the fold does.
 */
export function readableTextUpdate(event: LogEvent): Uint8Array | undefined {
  try {
    return textUpdateOf(event);
  } catch {
    return undefined;
  }
}

/** The Yjs update an event carries, or undefined for events without text. */
export function textUpdateOf(event: LogEvent): Uint8Array | undefined {
  if (event.type === TEXT_EDITED) {
    if (!(event.data instanceof Uint8Array))
      throw new TypeError(`event ${event.id}: text edits carry bytes`);
    return event.data;
  }
  if (event.type === VERSION_RESTORED) {
    const text = (event.data as { text?: unknown } | null)?.text;
    if (text === null || text === undefined) return undefined;
    if (typeof text !== 'string')
      throw new TypeError(`event ${event.id}: restore text is not base64url`);
    return fromBase64Url(text);
  }
  return undefined;
}

/**
 * The heads after `events` when they are text edits that follow on from `heads`,
 * one after another (what sequential typing stores): they change only the text.
 * Undefined when they may change more (a field, a deletion, a fork or a merge: the
 * conflicts). Events already among `heads` (a writer's own echo) are skipped.
 */
export function followsOnAsText(
  heads: readonly EventId[],
  events: readonly LogEvent[],
): EventId[] | undefined {
  const current = new Set(heads);
  for (const e of events) {
    if (current.has(e.id)) continue;
    if (
      e.type !== TEXT_EDITED ||
      e.parents.length !== 1 ||
      !current.has(e.parents[0]!) ||
      current.size !== 1
    )
      return undefined;
    current.delete(e.parents[0]!);
    current.add(e.id);
  }
  return [...current];
}
