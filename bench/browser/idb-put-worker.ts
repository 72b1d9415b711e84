// The baseline's worker: what raw IndexedDB (through idb) costs for the same
// records, behind the same Comlink hop as the log worker.
import { expose } from 'comlink';
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { EventRecord, LogEvent } from '../../src/index.ts';
import {
  LEGACY_EVENT_INDEXES,
  LEGACY_EVENT_KEY_PATH,
  type ForklineDB,
} from '../../worker/idb-schema.ts';
import type { BenchData, IdbPutService } from './protocol.ts';

interface PutDB extends DBSchema {
  records: {
    /** Auto-incremented, or the event id in a store laid out as the log's was, one record per event. */
    key: number | string;
    value: { type: string; data: BenchData } | LogEvent | EventRecord;
    indexes: ForklineDB['events']['indexes'];
  };
}

let db: IDBPDatabase<PutDB> | undefined;
/** Records handed over before a timed put, so the timing leaves out the copy. */
let staged: LogEvent[] = [];
let stagedBatches: EventRecord[][] = [];

async function putAll(records: PutDB['records']['value'][]): Promise<void> {
  if (!db) throw new Error('open the database first');
  // The durability the log's store asks for, so both commit alike.
  const tx = db.transaction('records', 'readwrite', {
    durability: 'default',
  });
  // tx.done reports a failed put; the log's store also catches each request.
  for (const record of records) tx.store.put(record).catch(() => undefined);
  await tx.done;
}

const service: IdbPutService = {
  async open(database, indexed) {
    db = await openDB<PutDB>(database, 1, {
      upgrade(database) {
        if (!indexed) {
          database.createObjectStore('records', { autoIncrement: true });
          return;
        }
        const records = database.createObjectStore('records', {
          keyPath: LEGACY_EVENT_KEY_PATH,
        });
        for (const [index, keyPath, options] of LEGACY_EVENT_INDEXES)
          records.createIndex(index, keyPath, options);
      },
    });
  },
  put: (records) => putAll(records),
  async stage(records) {
    staged = records;
  },
  async putStaged() {
    const records = staged;
    staged = [];
    await putAll(records);
  },
  async stageBatches(batches) {
    stagedBatches = batches;
  },
  putStagedBatch: (index) => putAll(stagedBatches[index]!),
  async close() {
    staged = [];
    stagedBatches = [];
    db?.close();
    db = undefined;
  },
};

expose(service);
