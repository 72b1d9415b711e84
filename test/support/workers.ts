import { deleteDB } from 'idb';
import { releaseProxy } from 'comlink';
import { startLogWorker, type LogWorker } from '../../src/ui/log-client.ts';
import type { OpenOptions } from '../../src/contract/index.ts';
import { openIdbStore } from '../../worker/idb-store.ts';
import { verifyStore } from '../../src/index.ts';

/** Spawns log workers on per-test databases and removes them all afterwards. */
export function workerPool() {
  const workers: LogWorker[] = [];
  const databases = new Set<string>();
  let n = 0;
  return {
    database: (label: string) => `${label}-${Date.now()}-${n++}`,
    async start(database: string, options: OpenOptions = {}) {
      databases.add(database);
      const worker = await startLogWorker({ database, ...options });
      workers.push(worker);
      return worker;
    },
    async cleanup() {
      for (const w of workers.splice(0)) {
        w.service[releaseProxy]();
        w.terminate();
      }
      for (const database of databases) await deleteDB(database);
      databases.clear();
    },
  };
}

/** Opens the database from the page itself and checks it end to end. */
export async function verifyDatabase(database: string) {
  const store = await openIdbStore(database);
  try {
    return await verifyStore(store);
  } finally {
    await store.close();
  }
}

export { seeded } from './seeded.ts';
