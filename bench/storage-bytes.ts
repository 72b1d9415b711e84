import * as Y from 'yjs';
import type { Log } from '../src/index.ts';
import type { StorageUsage } from './browser/protocol.ts';
import { callBench, launchBenchBrowser } from './browser-session.ts';
import { summarize, toResult } from './measure.ts';
import { formatNumber } from './report-table.ts';
import { replaySequentialThroughDocument } from './replay-document.ts';
import { replaySequentialWithYjs } from './replay-yjs.ts';
import type { Scenario } from './scenario.ts';
import { segmentBytes, SEGMENT_EVENTS } from './segment-bytes.ts';
import { storedFieldBytes } from './stored-fields.ts';
import { describeTrace, sequentialTraceFor } from './trace-source.ts';
import { planSplices } from './trace-splices.ts';

const NAME = 'storage.bytes-per-event';

async function exportText(log: Log): Promise<string> {
  const lines: string[] = [];
  for await (const line of log.export()) lines.push(line);
  return lines.join('\n') + '\n';
}

/**
 * DESIGN §13 `storage.bytes-per-event`: the sequential trace replayed through the
 * document API, exported to JSON Lines, imported by the real log worker into a new
 * IndexedDB database in Chromium; the origin's IndexedDB usage growth over the
 * events. Yjs's own encoding of the same document is the baseline.
 */
export const storageBytesScenario: Scenario = {
  name: NAME,
  summary:
    'IndexedDB bytes per event of the svelte trace imported through the log worker vs Yjs encodeStateAsUpdate',
  async run(context) {
    const choice = await sequentialTraceFor(context);
    if (!choice) {
      context.note('skipped: --trace names a concurrent trace');
      return [];
    }
    const { trace } = choice;
    context.note(`replaying ${choice.label}: ${describeTrace(trace)}`);
    const replay = await replaySequentialThroughDocument(
      trace,
      planSplices(trace),
    );
    const [log] = replay.logs as [Log];
    const { events } = replay;
    let jsonl: string;
    let fields: string;
    let segments: Awaited<ReturnType<typeof segmentBytes>>;
    try {
      jsonl = await exportText(log);
      fields = await storedFieldBytes(log);
      segments = await segmentBytes(log);
    } finally {
      await log.close();
    }
    const jsonlBytes = Buffer.byteLength(jsonl);
    const yjs = replaySequentialWithYjs(trace);
    const yjsBytes = Y.encodeStateAsUpdate(yjs.editors[0]!.doc).byteLength;
    const updateLogBytes = yjs.updates.reduce((sum, u) => sum + u.length, 0);
    context.note(
      `${events} events; JSON Lines ${formatNumber(jsonlBytes / 1e6)} MB; ` +
        `Yjs: encodeStateAsUpdate ${yjsBytes} B, its txn updates ${updateLogBytes} B in all`,
    );
    context.note(`per event, as the worker stores it: ${fields}`);
    const per = (bytes: number) => (bytes / segments.events).toFixed(1);
    context.note(
      `packed in columnar segments of ${SEGMENT_EVENTS} events (issue 14, not yet the ` +
        `stored layout): ${per(segments.raw)} B raw, ${per(segments.compressed)} B deflated; ` +
        `of the content, Yjs updates ${per(segments.updates)} B and ids ${per(segments.ids)} B`,
    );

    // Not context.browser(): each measurement needs an origin whose LevelDB holds
    // nothing else (see browser/storage-runs.ts), so a new profile each time.
    // The figure barely moves between runs (no timing in it): 3 runs, 1 when quick.
    const usages: StorageUsage[] = [];
    for (let run = 0; run < (context.quick ? 1 : 3); run++) {
      const browser = await launchBenchBrowser(context.note);
      try {
        const page = await browser.openTab();
        const usage = await callBench(page, 'measureImportedStorage', {
          database: 'bench-storage',
          jsonl,
          events,
        });
        usages.push(usage);
        context.note(
          `run ${run + 1}: empty database ${usage.empty - usage.before} B, ` +
            `+${usage.imported - usage.empty} B after the import, +${usage.atRest - usage.empty} B at rest`,
        );
      } finally {
        await browser.close();
      }
    }
    const perEvent = (bytes: (u: StorageUsage) => number) =>
      summarize(usages.map((u) => bytes(u) / events));

    const baseline = toResult(
      'yjs.storage.bytes-per-event',
      'B/event',
      summarize([yjsBytes / events]),
    );
    return [
      baseline,
      toResult(
        NAME,
        'B/event',
        perEvent((u) => u.atRest - u.empty),
        { baseline, goal: '<= 64' },
      ),
      toResult(
        `${NAME}.written`,
        'B/event',
        perEvent((u) => u.imported - u.empty),
      ),
      toResult(
        'storage.jsonl.bytes-per-event',
        'B/event',
        summarize([jsonlBytes / events]),
      ),
      toResult(
        'storage.segment.bytes-per-event',
        'B/event',
        summarize([segments.compressed / segments.events]),
        { baseline, goal: '<= 32' },
      ),
    ];
  },
};
