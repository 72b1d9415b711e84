import { wrap, type Remote } from 'comlink';
import { deleteDB } from 'idb';
import { startLogWorker } from '../../src/ui/log-client.ts';
import { benchBatches, withTimeout } from './bench-data.ts';
import type {
  BatchRun,
  BenchData,
  IdbPutService,
  Latencies,
  SingleRun,
} from './protocol.ts';

/** Starting a worker fetches its modules from the dev server: generous, but finite. */
const START_TIMEOUT = 30_000;

type Events = { type: string; data: BenchData }[];

/** A writer under test in its own worker: forkline's log or raw idb. */
interface Writer {
  /** The idb writer has one object store and ignores `stream`. */
  write(stream: string, events: Events): Promise<unknown>;
  close(): Promise<void>;
}

async function openLogWriter(database: string): Promise<Writer> {
  const { service, terminate } = await withTimeout(
    startLogWorker({ database }),
    START_TIMEOUT,
    'starting the log worker',
  );
  return {
    write: (stream, events) => service.append(stream, events),
    async close() {
      await service.close();
      terminate();
    },
  };
}

/** The raw idb baseline's worker, its database open. */
export async function openIdbPutWorker(database: string): Promise<{
  service: Remote<IdbPutService>;
  close(): Promise<void>;
}> {
  const worker = new Worker(new URL('./idb-put-worker.ts', import.meta.url), {
    type: 'module',
    name: 'bench-idb-put',
  });
  const service = wrap<IdbPutService>(worker);
  await withTimeout(
    service.open(database),
    START_TIMEOUT,
    'starting the idb worker',
  );
  return {
    service,
    async close() {
      await service.close();
      worker.terminate();
    },
  };
}

async function openIdbWriter(database: string): Promise<Writer> {
  const { service, close } = await openIdbPutWorker(database);
  return { write: (_stream, events) => service.put(events), close };
}

/** Deletes a database once every connection to it is closed. */
export function deleteDatabase(database: string): Promise<void> {
  return withTimeout(deleteDB(database), 10_000, `deleting ${database}`);
}

/** Runs `body` with a writer on a new database, then closes and deletes both. */
async function withFreshWriter<T>(
  open: (database: string) => Promise<Writer>,
  database: string,
  body: (writer: Writer) => Promise<T>,
): Promise<T> {
  const writer = await open(database);
  try {
    return await body(writer);
  } finally {
    await writer.close();
    await deleteDatabase(database);
  }
}

async function timeBatches(writer: Writer, run: BatchRun): Promise<number[]> {
  const times = [];
  for (const { batch, total } of run.sizes) {
    const batches = benchBatches(batch, total);
    const stream = `bench/batch${batch}`;
    const start = performance.now();
    for (const events of batches) await writer.write(stream, events);
    times.push(performance.now() - start);
  }
  return times;
}

async function timeSingles(writer: Writer, run: SingleRun): Promise<Latencies> {
  const latencies: Latencies = [];
  for (const events of benchBatches(1, run.count)) {
    const start = performance.now();
    await writer.write('bench/single', events);
    latencies.push(performance.now() - start);
  }
  return latencies;
}

export const appendBatches = (run: BatchRun) =>
  withFreshWriter(openLogWriter, run.database, (w) => timeBatches(w, run));

export const idbPutBatches = (run: BatchRun) =>
  withFreshWriter(openIdbWriter, run.database, (w) => timeBatches(w, run));

export const appendSingles = (run: SingleRun) =>
  withFreshWriter(openLogWriter, run.database, (w) => timeSingles(w, run));

export const idbPutSingles = (run: SingleRun) =>
  withFreshWriter(openIdbWriter, run.database, (w) => timeSingles(w, run));
