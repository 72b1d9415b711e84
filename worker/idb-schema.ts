import type { DBSchema } from 'idb';
import type { SegmentMeta } from '../src/log/segment-directory.ts';
import type {
  CanonicalKey,
  ConflictRecord,
  EventRecord,
  LogEvent,
  ReplicaRecord,
  SnapshotRecord,
  StreamRecord,
} from '../src/index.ts';

/**
 * Bump with a new branch in `upgradeSchema`; an old tab is asked to close on `versionchange`.
 * 1: the first layout. 3: the indexes are no longer unique, and canonical order is
 * kept by the `late` and `tails` stores instead of an index (2 was a step on the way).
 * 4: events are packed into `segments` (issue 14); `events` holds only the hot tail
 * not yet packed, and loses its `time` index (nothing read it).
 * 5: the hot tail moves to `hot`, keyed by (stream, position), so that packing a run
 * deletes it with one range request instead of one request per event; whatever
 * `events` held is packed into segments by the upgrade.
 * 6: the conflict index (`conflicts`), written by appends and ingests; a store from
 * before it builds it once, on the first ask (src/log/conflicts.ts).
 */
export const SCHEMA_VERSION = 6;

/** A recorded conflict's key: its stream, then its merge's canonical key. */
export const CONFLICT_KEY_PATH = ['stream', 'hlc', 'resolvedBy'];

/**
 * The hot tail's key: (stream, position). A stream's oldest hot events are the first
 * keys of its range, so a pack reads them and deletes them as one key range.
 */
export const HOT_KEY_PATH = ['event.stream', 'pos'];

/**
 * The hot tail's indexes: name, key path, options. None is declared unique: each key
 * is unique already (an id is a hash of the content, whose duplicates ingest drops;
 * a position is given once, inside the writing transaction; an actor's seq is
 * checked against the actors store there), and Chromium checks a unique index with a
 * read per index per put.
 *
 * There is no index in canonical (hlc, id) order: most events arrive in it, so a
 * stream's canonical order is its arrival order with the few events that arrived
 * late merged in (the `late` store). Each index costs every put.
 */
export const HOT_INDEXES = [
  ['id', 'event.id', { unique: false }],
  ['pos', 'pos', { unique: false }],
  ['actorSeq', ['event.actor', 'event.seq'], { unique: false }],
] as const satisfies readonly [
  keyof ForklineDB['hot']['indexes'],
  string | string[],
  IDBIndexParameters,
][];

/** Version 1 to 4's events store, keyed by id, and its indexes (version 3 and 4's). */
export const LEGACY_EVENT_KEY_PATH = 'event.id';
export const LEGACY_EVENT_INDEXES: [
  keyof ForklineDB['events']['indexes'],
  string | string[],
  IDBIndexParameters,
][] = [
  ['pos', 'pos', { unique: false }],
  ['streamPos', ['event.stream', 'pos'], { unique: false }],
  ['actorSeq', ['event.actor', 'event.seq'], { unique: false }],
];

/** A late event's key in the `late` store: its stream, then its canonical key. */
export type LateKey = [stream: string, hlc: string, id: string];

export const lateKeyOf = (event: LogEvent): LateKey => [
  event.stream,
  event.hlc,
  event.id,
];

export interface ForklineDB extends DBSchema {
  /** Events not yet packed, one record each, keyed by [stream, pos] (HOT_KEY_PATH). */
  hot: {
    key: [string, number];
    value: EventRecord;
    indexes: {
      id: string;
      pos: number;
      actorSeq: [string, number];
    };
  };
  /** Versions 1 to 4 only: every event (1–3) or the hot tail (4), keyed by id. */
  events: {
    key: string;
    value: EventRecord;
    indexes: {
      pos: number;
      streamPos: [string, number];
      actorSeq: [string, number];
    };
  };
  /**
   * Packed runs of one stream's events (src/log/segment-codec.ts), keyed by a number
   * that is never reused: a segment is written once and only ever deleted whole.
   */
  segments: { key: number; value: { body: Uint8Array } };
  /** Per segment, under the same key: its stream, positions, actors and ids. */
  segmentMeta: { key: number; value: SegmentMeta };
  /**
   * Events that arrived after an event of their stream that sorts after them (a
   * synced event from the past): key only, the record stays in `events`.
   */
  late: { key: LateKey; value: 1 };
  /** Per stream, the greatest canonical key stored: what decides lateness. */
  tails: { key: string; value: CanonicalKey };
  streams: { key: string; value: StreamRecord };
  actors: { key: string; value: { actor: string; seq: number } };
  meta: { key: 'replica'; value: ReplicaRecord };
  snapshots: { key: string; value: SnapshotRecord };
  /** Resolved conflicts, keyed by CONFLICT_KEY_PATH: a stream's in canonical order. */
  conflicts: { key: [string, string, string]; value: ConflictRecord };
}
