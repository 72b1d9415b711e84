import type { DBSchema } from 'idb';
import type {
  EventRecord,
  ReplicaRecord,
  SnapshotRecord,
  StreamRecord,
} from '../src/index.ts';

/**
 * Bump with a new branch in `upgradeSchema`; an old tab is asked to close on `versionchange`.
 * 1: the first layout. 2: the indexes are no longer unique (below).
 */
export const SCHEMA_VERSION = 2;

/** The events store's key: an event's id. */
export const EVENT_KEY_PATH = 'event.id';

/**
 * The events store's indexes: name, key path, options. None is declared unique:
 * each key is unique already (a position is given once, inside the writing
 * transaction; an actor's seq is checked against the actors store there; the
 * canonical key ends with the id), and Chromium checks a unique index with a read
 * per index per put, which cost a sixth of batched append throughput.
 */
export const EVENT_INDEXES = [
  ['pos', 'pos', { unique: false }],
  ['canonical', ['event.stream', 'event.hlc', 'event.id'], { unique: false }],
  ['streamPos', ['event.stream', 'pos'], { unique: false }],
  ['actorSeq', ['event.actor', 'event.seq'], { unique: false }],
  ['time', 'event.time', { unique: false }],
] as const satisfies readonly [
  keyof ForklineDB['events']['indexes'],
  string | string[],
  IDBIndexParameters,
][];

export interface ForklineDB extends DBSchema {
  events: {
    key: string;
    value: EventRecord;
    indexes: {
      pos: number;
      canonical: [string, string, string];
      streamPos: [string, number];
      actorSeq: [string, number];
      time: string;
    };
  };
  streams: { key: string; value: StreamRecord };
  actors: { key: string; value: { actor: string; seq: number } };
  meta: { key: 'replica'; value: ReplicaRecord };
  snapshots: { key: string; value: SnapshotRecord };
}
