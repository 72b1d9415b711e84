import { startChildRelay } from '../test/support/child-relay.ts';
import { runLoad } from './fanout-load.ts';
import { BENCH_MESSAGES_PER_SECOND } from './local-relay.ts';
import { sampleRuns, toResult } from './measure.ts';
import { inRelayBench } from './relay-bench.ts';
import type { BenchResult, Scenario } from './scenario.ts';

const CLIENTS = 100;
/** Batches each client sends while flooding, and then at the offered rate. */
const BATCHES = 10;
/** Events offered per second, in all, while latency is measured: the goal's throughput. */
const OFFERED = 5000;

/**
 * Issue 16's fan-out figures: CLIENTS clients on one log send batches of BATCH
 * events to a relay in a process of its own (the clients in this one, without an
 * engine, so that the relay's work is what is measured). Throughput is the events
 * the relay accepts per second when each client sends as fast as it is
 * acknowledged; latency is from a batch's send to its arrival at each other client
 * when they send OFFERED events/s in all (see runLoad). Over the file store, and
 * over PostgreSQL beside it.
 */
export const relayFanoutScenario: Scenario = {
  name: 'relay.fanout',
  summary: `events/s a relay accepts from ${CLIENTS} clients on one log, each receiving all others' events, and the latency at ${OFFERED} events/s, over files and over PostgreSQL`,
  async run(context) {
    const batches = context.quick ? 2 : BATCHES;
    const results: BenchResult[] = [];
    const limits = {
      messagesPerSecond: BENCH_MESSAGES_PER_SECOND,
      maxConnectionsPerAddress: 1024,
    };
    await inRelayBench('fanout', async ({ dir, databaseUrl, made }) => {
      for (const store of ['files', 'postgres'] as const) {
        const relay = await startChildRelay({
          dataDir: dir,
          ...limits,
          ...(store === 'postgres' ? { database: databaseUrl } : {}),
        });
        try {
          const samples = await sampleRuns(context.runs, async () => {
            const target = await relay.createLog();
            const run = await runLoad({
              clients: Array.from({ length: CLIENTS }, () => ({
                url: relay.url,
                target,
                relay: 0,
              })),
              flood: batches,
              paced: batches,
              offered: OFFERED,
            });
            if (store === 'postgres') made.push(target.logId);
            return { throughput: run.throughput, p50: run.p50, p99: run.p99 };
          });
          const prefix =
            store === 'files'
              ? `relay.fanout.${CLIENTS}`
              : `relay.fanout.${CLIENTS}.postgres`;
          const base = (name: string) =>
            store === 'files'
              ? {}
              : { baseline: results.find((r) => r.name === name)! };
          results.push(
            toResult(`${prefix}.throughput`, 'events/s', samples.throughput, {
              ...base(`relay.fanout.${CLIENTS}.throughput`),
              goal: '>= 5000',
            }),
            toResult(`${prefix}.p50`, 'ms', samples.p50, {
              ...base(`relay.fanout.${CLIENTS}.p50`),
              goal: '<= 30',
            }),
            toResult(`${prefix}.p99`, 'ms', samples.p99, {
              ...base(`relay.fanout.${CLIENTS}.p99`),
              goal: '<= 150',
            }),
          );
        } finally {
          await relay.stop();
        }
      }
    });
    return results;
  },
};
