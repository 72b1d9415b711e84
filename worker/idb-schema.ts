import type { DBSchema } from 'idb';
import type {
  EventRecord,
  ReplicaRecord,
  SnapshotRecord,
  StreamRecord,
} from '../src/index.ts';

/** Bump with a new branch in `upgradeSchema`; an old tab is asked to close on `versionchange`. */
export const SCHEMA_VERSION = 1;

/** The events store's key: an event's id. */
export const EVENT_KEY_PATH = 'event.id';

/** The events store's indexes: name, key path, options. */
export const EVENT_INDEXES = [
  ['pos', 'pos', { unique: true }],
  ['canonical', ['event.stream', 'event.hlc', 'event.id'], { unique: true }],
  ['streamPos', ['event.stream', 'pos'], { unique: true }],
  ['actorSeq', ['event.actor', 'event.seq'], { unique: true }],
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
