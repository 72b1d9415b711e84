import {
  openLog,
  type AppendResult,
  type EventId,
  type Log,
} from '../src/index.ts';
import { now, sampleRuns, summarize, toResult } from './measure.ts';
import { formatNumber } from './report-table.ts';
import type { Scenario } from './scenario.ts';

const STREAM = 'bench/append-cost';
const BATCH = 1_000;
const SMALL = 1_000;
const LARGE = 100_000;
/** How many events a stale writer has not seen: its concurrent set. */
const LAG = 3;

interface Writer {
  log: Log;
  heads: EventId[];
  next: number;
}

async function appendOne(
  writer: Writer,
  expected: EventId[],
): Promise<AppendResult> {
  const data = { n: writer.next++ };
  const [result] = await writer.log.append(
    STREAM,
    { type: 'bench.appended', data },
    { expected },
  );
  return result!;
}

const median = (values: number[]) => summarize(values).median;
const mean = (values: number[]) =>
  values.reduce((sum, value) => sum + value, 0) / values.length;

/** A log whose one stream holds `size` events, appended in batches of 1000. */
async function writerWithEvents(size: number): Promise<Writer> {
  const writer: Writer = {
    log: await openLog({ actor: 'bench' }),
    heads: [],
    next: 0,
  };
  for (let n = 0; n < size; n += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, size - n) }, () => ({
      type: 'bench.appended',
      data: { n: writer.next++ },
    }));
    const results = await writer.log.append(STREAM, batch, {
      expected: writer.heads,
    });
    writer.heads = [results[results.length - 1]!.event.id];
  }
  return writer;
}

/** ms of each of `count` single-event appends that expect the current heads. */
async function timeCurrentAppends(
  writer: Writer,
  count: number,
): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = now();
    const result = await appendOne(writer, writer.heads);
    latencies.push(now() - start);
    writer.heads = [result.event.id];
  }
  return latencies;
}

/**
 * ms of each of `count` appends whose expected heads are LAG events old, so each
 * finds a concurrent set of LAG events; the up-to-date appends between them (which
 * merge the previous stale one) are not timed.
 */
async function timeStaleAppends(
  writer: Writer,
  count: number,
): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const stale = writer.heads;
    for (let j = 0; j < LAG; j++) {
      writer.heads = [(await appendOne(writer, writer.heads)).event.id];
    }
    const start = now();
    const result = await appendOne(writer, stale);
    latencies.push(now() - start);
    if (result.concurrent.length !== LAG) {
      throw new Error(
        `a stale append saw ${result.concurrent.length} concurrent events, not ${LAG}`,
      );
    }
    writer.heads = [...writer.heads, result.event.id];
  }
  return latencies;
}

/**
 * DESIGN §3: appending (and detecting concurrency) costs in proportion to the events
 * since the fork point, never to the length of the log. Compares the median latency
 * of single appends on a stream of ~1k events with one of ~100k. The median, not the
 * mean: a few GC pauses of 5-30 ms land at random among sub-0.1 ms appends, and with
 * a memory store both logs share one heap, so the mean measures the collector.
 */
function appendCostScenario(kind: 'cost' | 'stale'): Scenario {
  const prefix = `append.${kind}`;
  const timeAppends = kind === 'cost' ? timeCurrentAppends : timeStaleAppends;
  return {
    name: `${prefix}.100k-vs-1k`,
    summary:
      kind === 'cost'
        ? 'ms per single-event append with current heads, 100k-event stream vs 1k'
        : `ms per append with heads ${LAG} events stale, 100k-event stream vs 1k`,
    async run(context) {
      const count = context.quick ? 100 : 500;
      const start = now();
      const large = await writerWithEvents(LARGE);
      context.note(
        `built the ${LARGE}-event log in ${Math.round(now() - start)} ms`,
      );
      const samples = await sampleRuns(context.runs, async () => {
        const small = await writerWithEvents(SMALL);
        const smallRun = await timeAppends(small, count);
        const largeRun = await timeAppends(large, count);
        await small.log.close();
        const [smallCost, largeCost] = [median(smallRun), median(largeRun)];
        return {
          small: smallCost,
          large: largeCost,
          ratio: largeCost / smallCost,
          smallMean: mean(smallRun),
          largeMean: mean(largeRun),
        };
      });
      context.note(
        `mean ms per append, GC pauses included: ${formatNumber(samples.smallMean.median)} ` +
          `at 1k, ${formatNumber(samples.largeMean.median)} at 100k`,
      );
      await large.log.close();
      const small = toResult(`${prefix}.1k`, 'ms', samples.small);
      return [
        small,
        toResult(`${prefix}.100k`, 'ms', samples.large, { baseline: small }),
        toResult(`${prefix}.100k-vs-1k`, 'ratio', samples.ratio, {
          goal: '<= 1.2',
        }),
      ];
    },
  };
}

export const appendCostScenarios: Scenario[] = [
  appendCostScenario('cost'),
  appendCostScenario('stale'),
];
