import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Y from 'yjs';
import type { Log } from '../src/index.ts';
import { automergeSavedBytes } from './automerge-history.ts';
import type { StorageUsage } from './browser/protocol.ts';
import { callBench, launchBenchBrowser } from './browser-session.ts';
import { now, summarize, toResult } from './measure.ts';
import { formatNumber } from './report-table.ts';
import { replaySequentialThroughDocument } from './replay-document.ts';
import { replaySequentialWithYjs } from './replay-yjs.ts';
import type { Scenario, ScenarioContext } from './scenario.ts';
import { segmentBytes, SEGMENT_EVENTS } from './segment-bytes.ts';
import { storedFieldBytes } from './stored-fields.ts';
import { describeTrace, sequentialTraceFor } from './trace-source.ts';
import { planSplices } from './trace-splices.ts';

const NAME = 'storage.bytes-per-event';
const UNIT = 'B/event';
/** The bench page's file input (bench-page.html): a large export goes by path, not through the protocol. */
const FILE_INPUT = '#bench-file';

/**
 * Writes the log's export to a new temporary file, line by line.
 * @returns the file, its bytes, and a function that deletes it.
 */
async function exportToFile(log: Log) {
  const directory = await mkdtemp(join(tmpdir(), 'forkline-bench-storage-'));
  const file = join(directory, 'export.jsonl');
  let bytes = 0;
  async function* counted() {
    for await (const line of log.export()) {
      bytes += Buffer.byteLength(line);
      yield line;
    }
  }
  await writeFile(file, counted());
  return {
    file,
    bytes,
    remove: () => rm(directory, { recursive: true, force: true }),
  };
}

/**
 * Imports the export `file` into a new database of a new browser profile, `runs`
 * times, and reads the origin's usage (browser/storage-runs.ts). A new profile each
 * time, not context.browser(): each measurement needs an origin whose LevelDB holds
 * nothing else.
 */
async function measureUsage(
  context: ScenarioContext,
  file: string,
  events: number,
  runs: number,
): Promise<StorageUsage[]> {
  const usages: StorageUsage[] = [];
  for (let run = 0; run < runs; run++) {
    const browser = await launchBenchBrowser(context.note);
    try {
      const page = await browser.openTab();
      await page.setInputFiles(FILE_INPUT, file);
      const usage = await callBench(page, 'measureImportedStorage', {
        database: 'bench-storage',
        events,
      });
      usages.push(usage);
      context.note(
        `run ${run + 1}: empty database ${usage.empty - usage.before} B, ` +
          `+${usage.imported - usage.empty} B after the import, ` +
          `${usage.hotAfterImport} events left hot and packed ${Math.round(usage.packedMs)} ms after it, ` +
          `+${usage.atRest - usage.empty} B at rest`,
      );
    } finally {
      await browser.close();
    }
  }
  return usages;
}

/**
 * DESIGN §13 `storage.bytes-per-event`: the sequential trace (the svelte component
 * trace, or `--trace FILE`) replayed through the document API, exported to JSON
 * Lines, imported by the real log worker into a new IndexedDB database in Chromium;
 * the origin's IndexedDB usage growth over the events once the worker's compactor
 * is done and LevelDB has compacted. Beside it, the same history as Yjs encodes its
 * state (the baseline) and as `Automerge.save` keeps it, and the share of the
 * stored bytes that is the Yjs updates the events carry.
 */
export const storageBytesScenario: Scenario = {
  name: NAME,
  summary:
    'IndexedDB bytes per event of the svelte trace (or --trace) imported through the log worker vs Yjs and Automerge',
  async run(context) {
    const choice = await sequentialTraceFor(context);
    if (!choice) {
      context.note('skipped: --trace names a concurrent trace');
      return [];
    }
    const { trace } = choice;
    context.note(`replaying ${choice.label}: ${describeTrace(trace)}`);
    let start = now();
    const replay = await replaySequentialThroughDocument(
      trace,
      planSplices(trace),
    );
    context.note(
      `replayed through the document API in ${Math.round(now() - start)} ms`,
    );
    const [log] = replay.logs as [Log];
    const { events } = replay;
    let exported: Awaited<ReturnType<typeof exportToFile>> | undefined;
    try {
      let fields: string;
      let segments: Awaited<ReturnType<typeof segmentBytes>>;
      try {
        exported = await exportToFile(log);
        fields = await storedFieldBytes(log);
        segments = await segmentBytes(log);
      } finally {
        await log.close();
      }
      const yjs = replaySequentialWithYjs(trace);
      const yjsBytes = Y.encodeStateAsUpdate(yjs.editors[0]!.doc).byteLength;
      const updateLogBytes = yjs.updates.reduce((sum, u) => sum + u.length, 0);
      start = now();
      const automergeBytes = automergeSavedBytes(trace);
      context.note(
        `${events} events; JSON Lines ${formatNumber(exported.bytes / 1e6)} MB; ` +
          `Yjs: encodeStateAsUpdate ${yjsBytes} B, its txn updates ${updateLogBytes} B in all; ` +
          `Automerge.save ${automergeBytes} B (one change per txn, ${Math.round(now() - start)} ms)`,
      );
      context.note(
        `per event as a hot-tail record (one IndexedDB record each, the layout before segments): ${fields}`,
      );
      const per = (bytes: number) => (bytes / segments.events).toFixed(1);
      context.note(
        `packed in columnar segments of ${SEGMENT_EVENTS} events, as the store packs them: ` +
          `${per(segments.raw)} B raw, ${per(segments.compressed)} B deflated; of the content, ` +
          `Yjs updates ${per(segments.updates)} B (${per(segments.updatesPacked)} B deflated alone) and ids ${per(segments.ids)} B`,
      );

      // The figure barely moves between runs (no timing in it): 3 runs, 1 when quick.
      const usages = await measureUsage(
        context,
        exported.file,
        events,
        context.quick ? 1 : 3,
      );
      const perEvent = (bytes: (u: StorageUsage) => number) =>
        summarize(usages.map((u) => bytes(u) / events));
      const once = (bytes: number) => summarize([bytes / events]);

      const baseline = toResult(`yjs.${NAME}`, UNIT, once(yjsBytes));
      const atRest = toResult(
        NAME,
        UNIT,
        perEvent((u) => u.atRest - u.empty),
        { baseline, goal: '<= 32' },
      );
      context.note(
        `of the ${formatNumber(atRest.value)} B/event at rest, the Yjs updates deflated ` +
          `${per(segments.updatesPacked)} B (${Math.round((segments.updatesPacked / events / atRest.value) * 100)} %), ` +
          `ids ${per(segments.ids)} B (${Math.round((segments.ids / events / atRest.value) * 100)} %)`,
      );
      return [
        baseline,
        toResult(`automerge.${NAME}`, UNIT, once(automergeBytes), {
          baseline,
        }),
        atRest,
        // ratio: the share of the stored bytes that is Yjs update bytes.
        toResult(`${NAME}.yjs-updates`, UNIT, once(segments.updatesPacked), {
          baseline: atRest,
        }),
        toResult(
          `${NAME}.written`,
          UNIT,
          perEvent((u) => u.imported - u.empty),
        ),
        toResult('storage.jsonl.bytes-per-event', UNIT, once(exported.bytes)),
        toResult(
          'storage.segment.bytes-per-event',
          UNIT,
          once(segments.compressed),
          { baseline },
        ),
      ];
    } finally {
      await exported?.remove();
    }
  },
};
