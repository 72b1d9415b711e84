import { wrap, type Remote } from 'comlink';
import { deleteDB } from 'idb';
import { openLog, type EventRecord } from '../../src/index.ts';
import { startLogWorker } from '../../src/ui/log-client.ts';
import { benchBatches, withTimeout } from './bench-data.ts';
import type {
  BatchRun,
  BenchData,
  IdbPutService,
  IdbRecords,
  Latencies,
  SingleRun,
} from './protocol.ts';

/** Starting a worker fetches its modules from the dev server: generous, but finite. */
const START_TIMEOUT = 30_000;

type Events = { type: string; data: BenchData }[];

/**
 * A writer under test in its own worker: forkline's log or raw idb. `prepare` does,
 * before the clock starts, whatever is not the writer's own cost, and returns the
 * timed write of batch `i`.
 */
interface Writer {
  prepare(
    stream: string,
    batches: Events[],
  ): Promise<(i: number) => Promise<unknown>>;
  close(): Promise<void>;
}

async function openLogWriter(database: string): Promise<Writer> {
  const { service, terminate } = await withTimeout(
    startLogWorker({ database }),
    START_TIMEOUT,
    'starting the log worker',
  );
  return {
    prepare: async (stream, batches) => (i) =>
      service.append(stream, batches[i]!),
    async close() {
      await service.close();
      terminate();
    },
  };
}

/** The raw idb baseline's worker, its database open. */
export async function openIdbPutWorker(
  database: string,
  indexed = false,
): Promise<{
  service: Remote<IdbPutService>;
  close(): Promise<void>;
}> {
  const worker = new Worker(new URL('./idb-put-worker.ts', import.meta.url), {
    type: 'module',
    name: 'bench-idb-put',
  });
  const service = wrap<IdbPutService>(worker);
  await withTimeout(
    service.open(database, indexed),
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

/**
 * The records the log's store writes for `batches` appended to `stream`: the same
 * events (ids, parents, clock, data) and bookkeeping, so the same size. Made by
 * appending them to an in-memory log of the page. Positions follow `lastPos`.
 */
async function storedRecords(
  stream: string,
  batches: Events[],
  lastPos: number,
): Promise<EventRecord[][]> {
  const log = await openLog();
  let pos = lastPos;
  let gen = 0;
  const records = [];
  for (const batch of batches) {
    const results = await log.append(stream, batch);
    records.push(
      // One writer appending in turn makes a chain: generation = position.
      results.map(({ event }) => ({
        event,
        pos: ++pos,
        recordedAt: Date.now(),
        gen: ++gen,
      })),
    );
  }
  await log.close();
  return records;
}

async function openIdbWriter(
  database: string,
  kind: IdbRecords,
): Promise<Writer> {
  const { service, close } = await openIdbPutWorker(
    database,
    kind === 'indexed',
  );
  let lastPos = 0;
  return {
    async prepare(stream, batches) {
      if (kind === 'data') return (i) => service.put(batches[i]!);
      const records = await storedRecords(stream, batches, lastPos);
      lastPos += batches.reduce((n, batch) => n + batch.length, 0);
      // Handed over untimed: the log's worker gets only the small inputs per call.
      await service.stageBatches(records);
      return (i) => service.putStagedBatch(i);
    },
    close,
  };
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
    const write = await writer.prepare(`bench/batch${batch}`, batches);
    const start = performance.now();
    for (let i = 0; i < batches.length; i++) await write(i);
    times.push(performance.now() - start);
  }
  return times;
}

async function timeSingles(writer: Writer, run: SingleRun): Promise<Latencies> {
  const latencies: Latencies = [];
  const batches = benchBatches(1, run.count);
  const write = await writer.prepare('bench/single', batches);
  for (let i = 0; i < batches.length; i++) {
    const start = performance.now();
    await write(i);
    latencies.push(performance.now() - start);
  }
  return latencies;
}

export const appendBatches = (run: BatchRun) =>
  withFreshWriter(openLogWriter, run.database, (w) => timeBatches(w, run));

export const idbPutBatches = (run: BatchRun, kind: IdbRecords) =>
  withFreshWriter(
    (database) => openIdbWriter(database, kind),
    run.database,
    (w) => timeBatches(w, run),
  );

export const appendSingles = (run: SingleRun) =>
  withFreshWriter(openLogWriter, run.database, (w) => timeSingles(w, run));

export const idbPutSingles = (run: SingleRun, kind: IdbRecords) =>
  withFreshWriter(
    (database) => openIdbWriter(database, kind),
    run.database,
    (w) => timeSingles(w, run),
  );
