import type { DBSchema } from 'idb';
import type {
  EventRecord,
  ReplicaRecord,
  SnapshotRecord,
  StreamRecord,
} from '../src/index.ts';

/** Bump with a new branch in `upgradeSchema`; an old tab is asked to close on `versionchange`. */
export const SCHEMA_VERSION = 1;

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
