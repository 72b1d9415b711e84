import { serialize } from 'node:v8';
import type { Log, LogEvent } from '../src/index.ts';

/** An IndexedDB key as Chromium encodes it: strings as UTF-16, numbers as doubles. */
type Key = string | number | Key[];

/** Bytes of a length or tag varint. */
const varint = (n: number) => (n < 0x80 ? 1 : n < 0x4000 ? 2 : 3);

/** Chromium's IndexedDB key encoding (content/browser/indexed_db): a type byte, then the key. */
function keyBytes(key: Key): number {
  if (typeof key === 'number') return 1 + 8;
  if (typeof key === 'string') return 1 + varint(key.length) + 2 * key.length;
  return (
    1 +
    varint(key.length) +
    key.reduce<number>((sum, k) => sum + keyBytes(k), 0)
  );
}

/** A record's key prefix in LevelDB: database, object store and index ids. */
const PREFIX = 4;

/** The hot tail's indexes (EVENT_INDEXES in worker/idb-schema.ts), as functions of an event record. */
const INDEXES: Record<string, (e: LogEvent, pos: number) => Key> = {
  pos: (_, pos) => pos,
  streamPos: (e, pos) => [e.stream, pos],
  actorSeq: (e) => [e.actor, e.seq],
};

const serialized = (value: unknown) => serialize(value).byteLength;

/**
 * Where a hot-tail record's bytes go (an event stored as one IndexedDB record, as
 * every event was before segments), per event on average: each field of the record
 * as V8 serializes it (the structured clone IndexedDB stores, before Chromium's own
 * compression of large values), and the primary key and index entries as Chromium's
 * key encoding writes them (each index entry repeats the primary key). An estimate
 * of the layout, to see which fields dominate; the browser's usage is the figure.
 */
export async function storedFieldBytes(log: Log): Promise<string> {
  const sums = new Map<string, number>();
  const add = (name: string, bytes: number) =>
    sums.set(name, (sums.get(name) ?? 0) + bytes);
  const empty = serialized({});
  let count = 0;
  for await (const event of log.since({})) {
    const pos = ++count;
    const record = { event, pos, recordedAt: Date.now(), gen: pos };
    add('record (whole value)', serialized(record));
    for (const [field, value] of Object.entries(event))
      add(`value: event.${field}`, serialized({ [field]: value }) - empty);
    for (const field of ['pos', 'recordedAt', 'gen'] as const)
      add(`value: ${field}`, serialized({ [field]: record[field] }) - empty);
    const primary = keyBytes(event.id);
    add('key: primary (event.id)', PREFIX + primary);
    for (const [name, keyOf] of Object.entries(INDEXES))
      add(
        `index ${name}: key + primary key + value`,
        PREFIX + keyBytes(keyOf(event, pos)) + primary + 1 + primary,
      );
  }
  return [...sums]
    .map(([name, bytes]) => `${name} ${(bytes / count).toFixed(1)}`)
    .join('; ');
}
