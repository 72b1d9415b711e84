// Export and import through the real log worker (DESIGN §8), and their baselines:
// JSON.stringify of the same records in the page, raw idb puts in a worker.
import { proxy } from 'comlink';
import { toCloudEvent } from '../../src/log/jsonl.ts';
import type { Json, LogEvent } from '../../src/index.ts';
import { startLogWorker, type LogWorker } from '../../src/ui/log-client.ts';
import type { Progress } from '../../src/contract/index.ts';
import { deleteDatabase, openIdbPutWorker } from './append-runs.ts';
import { benchBatches, withTimeout } from './bench-data.ts';
import type { SizedRun, SourceLog } from './protocol.ts';

const START_TIMEOUT = 30_000;

const streamName = (i: number) => `bench/transfer-${i}`;

/** The log every run exports, or whose export it imports. */
interface Source {
  spec: SourceLog;
  tab: LogWorker;
  /** Every event, as the appends returned them: the baselines' records. */
  events: LogEvent[];
  /** The latest export: what imports read. */
  blob?: Blob;
}

let source: Source | undefined;

function openedSource(): Source {
  if (!source) throw new Error('call buildSourceLog first');
  return source;
}

const startTab = (database: string) =>
  withTimeout(
    startLogWorker({ database }),
    START_TIMEOUT,
    'starting the log worker',
  );

/**
 * A progress callback for the worker, and a promise of the report that counts `total`
 * events. Reports come on the callback's own MessagePort, so the last may land after
 * the call's result: a run waits for it once its clock has stopped.
 */
function progressUntil(total: number) {
  let reached!: () => void;
  const done = new Promise<void>((resolve) => (reached = resolve));
  const onProgress = proxy((progress: Progress) => {
    if (progress.phase === 'exporting' && progress.done === total) reached();
  });
  return { onProgress, done };
}

/**
 * Appends the source log's events in batches, its streams in turn, through a log
 * worker that stays open for the runs. Resolves to the ms it took.
 */
export async function buildSourceLog(spec: SourceLog): Promise<number> {
  if (source) throw new Error(`${source.spec.database} is already open`);
  const tab = await startTab(spec.database);
  source = { spec, tab, events: [] };
  const started = performance.now();
  let i = 0;
  for (const batch of benchBatches(spec.batch, spec.events)) {
    const stream = streamName(i++ % spec.streams);
    const results = await tab.service.append(stream, batch);
    for (const { event } of results) source.events.push(event);
  }
  return performance.now() - started;
}

/** Closes the source log's worker and deletes its database. */
export async function closeSourceLog(): Promise<void> {
  const closing = source;
  source = undefined;
  if (!closing) return;
  await closing.tab.service.close();
  closing.tab.terminate();
  await deleteDatabase(closing.spec.database);
}

export async function timeExport(): Promise<SizedRun> {
  const opened = openedSource();
  const total = opened.events.length;
  const { onProgress, done } = progressUntil(total);
  const started = performance.now();
  const blob = await opened.tab.service.exportLog(onProgress);
  const ms = performance.now() - started;
  await withTimeout(done, 5_000, `a progress report of ${total} events`);
  opened.blob = blob;
  return { ms, bytes: blob.size };
}

/** The floor: the same CloudEvents objects the export writes, as one JSON text. */
export async function timeStringify(): Promise<SizedRun> {
  const { events } = openedSource();
  const records: Record<string, Json>[] = events.map((e) => toCloudEvent(e));
  const started = performance.now();
  const text = JSON.stringify(records);
  const ms = performance.now() - started;
  return { ms, bytes: new Blob([text]).size };
}

/** Imports the latest export into a new database of a second log worker. */
export async function timeImport(database: string): Promise<number> {
  const opened = openedSource();
  const blob = opened.blob;
  if (!blob) throw new Error('export once before importing');
  const target = await startTab(database);
  try {
    const started = performance.now();
    const result = await target.service.importLog(
      blob,
      proxy(() => undefined),
    );
    const ms = performance.now() - started;
    await checkCopy(opened, target, result.stored);
    return ms;
  } finally {
    await target.service.close();
    target.terminate();
    await deleteDatabase(database);
  }
}

/** The import stored every event, and the copy has the source's heads and vector. */
async function checkCopy(
  opened: Source,
  target: LogWorker,
  stored: number,
): Promise<void> {
  const { spec, tab } = opened;
  if (stored !== spec.events)
    throw new Error(`the import stored ${stored} events of ${spec.events}`);
  const fingerprint = async ({ service }: LogWorker) =>
    JSON.stringify([
      await service.versionVector(),
      ...(await Promise.all(
        Array.from({ length: spec.streams }, (_, i) =>
          service.heads(streamName(i)),
        ),
      )),
    ]);
  if ((await fingerprint(tab)) !== (await fingerprint(target)))
    throw new Error('the imported log differs from the source');
}

/** The baseline: the same records put into one object store, in one transaction. */
export async function timeIdbImport(database: string): Promise<number> {
  const { events } = openedSource();
  const writer = await openIdbPutWorker(database);
  try {
    await writer.service.stage(events);
    const started = performance.now();
    await writer.service.putStaged();
    return performance.now() - started;
  } finally {
    await writer.close();
    await deleteDatabase(database);
  }
}
