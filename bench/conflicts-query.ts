import {
  openDocument,
  openLog,
  type DocumentHandle,
  type Log,
} from '../src/index.ts';
import { streamOfDoc } from '../src/doc/doc-events.ts';
import { now, percentile, sampleRuns, toResult } from './measure.ts';
import type { BenchResult, Scenario } from './scenario.ts';

export const DOC = 'bench-conflicts';
const STREAM = streamOfDoc(DOC);
const EPISODES = 300;
/** One episode in this many also renames the document on both sides at once. */
const TITLE_EVERY = 30;
const QUERIES = 200;
/**
 * What the writer types, over and over, a character an event: prose in paragraphs,
 * as people write (an editor lays out a paragraph as one line: a text of one line
 * 100k characters long is no document anyone types).
 */
const PROSE =
  'Keeping every event is the point: it lets people see who wrote what, where ' +
  'they collided and how the work went. Two writers who edit at once are both ' +
  'recorded, each with the heads they had seen, and the fold decides. History ' +
  'must be cheap to keep and cheap to look at.\n';

export interface Replica {
  log: Log;
  doc: DocumentHandle;
}

async function replica(actor: string, docId: string): Promise<Replica> {
  const log = await openLog({ actor });
  return { log, doc: await openDocument(log, docId, { author: actor }) };
}

async function syncInto(from: Log, to: Log): Promise<void> {
  const missing = [];
  for await (const e of from.since(await to.versionVector())) missing.push(e);
  await to.ingest(missing);
}

/**
 * A document of `size` events: sequential typing of PROSE by one writer, with EPISODES
 * concurrent episodes spread through it, each a second writer's edit made without
 * seeing the first's latest (and, now and then, two renames at once).
 */
export async function documentWithConflicts(
  size: number,
  docId = DOC,
): Promise<Replica> {
  // Actors named after the document: several such documents can share one profile.
  const a = await replica(`${docId}-a`, docId);
  const b = await replica(`${docId}-b`, docId);
  const every = Math.floor(size / EPISODES);
  let typed = 0;
  let length = 0;
  for (let i = 0; typed < size; i++) {
    if (i % every === every - 1) {
      await syncInto(a.log, b.log);
      await a.doc.editText(length, 0, 'a');
      await b.doc.editText(0, 0, 'b');
      typed += 2;
      if (i % (every * TITLE_EVERY) === every - 1) {
        await a.doc.setField('title', `A ${i}`);
        await b.doc.setField('title', `B ${i}`);
        typed += 2;
      }
      await syncInto(b.log, a.log);
      length += 2;
    } else {
      await a.doc.editText(length++, 0, PROSE[i % PROSE.length]!);
      typed++;
    }
  }
  await b.log.close();
  return a;
}

async function time(body: () => Promise<unknown>): Promise<number> {
  const start = now();
  await body();
  return now() - start;
}

/**
 * `log.conflicts(stream)` and a document's view with its conflicts, on documents of
 * 10k and 100k events with EPISODES concurrent episodes each, in Node over the
 * memory store: both cost in proportion to the conflicts (the conflict index), not
 * the history. The baseline is a plain read of the stream, which finding merges by
 * a walk of the history would cost at least.
 */
export const conflictsQueryScenario: Scenario = {
  name: 'conflicts.query',
  summary: `log.conflicts and document view at 10k and 100k events, ${EPISODES} episodes each, vs reading the stream`,
  async run(context) {
    const sizes = context.quick ? [10_000] : [10_000, 100_000];
    const built: (Replica & { label: string })[] = [];
    for (const size of sizes) {
      const start = now();
      const replica = await documentWithConflicts(size);
      const conflicts = await replica.log.conflicts(STREAM);
      const view = await replica.doc.view();
      context.note(
        `${size / 1000}k: built in ${Math.round(now() - start)} ms; ` +
          `${conflicts.length} stream conflicts (${conflicts.filter((c) => c.state === 'unresolved').length} unresolved), ${view.conflicts.length} document conflicts`,
      );
      built.push({ ...replica, label: `${size / 1000}k` });
    }
    const samples = await sampleRuns(context.runs, async () => {
      const figures: Record<string, number> = {};
      // The queries first, and taking turns: the garbage one leaves is collected
      // during the next, so each size pays for the same collections.
      const calls = new Map(built.map(({ label }) => [label, [] as number[]]));
      for (let i = 0; i < QUERIES; i++)
        for (const { log, label } of built)
          calls.get(label)!.push(await time(() => log.conflicts(STREAM)));
      for (const [label, times] of calls) {
        figures[`query.${label}`] = percentile(times, 50);
        figures[`query-mean.${label}`] =
          times.reduce((sum, t) => sum + t, 0) / times.length;
      }
      for (const { log, doc, label } of built) {
        figures[`view.${label}`] = await time(() => doc.view());
        figures[`read.${label}`] = await time(async () => {
          for await (const _ of log.read(STREAM));
        });
      }
      if (built.length === 2)
        figures.ratio = figures['query.100k']! / figures['query.10k']!;
      return figures;
    });
    for (const { label } of built)
      context.note(
        `conflicts.query.${label}: mean of a run's calls ${samples[`query-mean.${label}`]!.median.toFixed(4)} ms (median of runs), collector pauses included`,
      );
    const results: BenchResult[] = [];
    for (const { label } of built) {
      const read = toResult(
        `read.stream.${label}`,
        'ms',
        samples[`read.${label}`]!,
      );
      results.push(
        read,
        toResult(`conflicts.query.${label}`, 'ms', samples[`query.${label}`]!, {
          baseline: read,
          ...(label === '100k' ? { goal: '<= 5' } : {}),
        }),
        toResult(`doc.view.${label}`, 'ms', samples[`view.${label}`]!, {
          baseline: read,
        }),
      );
    }
    if (samples.ratio)
      results.push(
        toResult('conflicts.query.100k-vs-10k', 'ratio', samples.ratio, {
          goal: '<= 1.2',
        }),
      );
    for (const { log } of built) await log.close();
    return results;
  },
};
