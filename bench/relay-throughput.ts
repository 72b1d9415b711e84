import { startLocalRelay } from './local-relay.ts';
import { percentile, sampleRuns, toResult } from './measure.ts';
import { runRelayLoad, type RelayLoad } from './relay-load.ts';
import type { BenchResult, Scenario } from './scenario.ts';

/**
 * DESIGN §13: Node clients (engine, memory store, connectToRelay over `ws`) all
 * writing to one log on a relay started in this process, on loopback. The relay
 * starts once per scenario; each run gets a new log and new clients. The 10-client
 * figures also go under the plain names DESIGN §13 fixes.
 */
function relayScenario(full: RelayLoad, quick: RelayLoad): Scenario {
  const { clients } = full;
  const plain = clients === 10;
  return {
    name: plain ? 'relay.throughput' : `relay.throughput.${clients}`,
    summary: `events/s accepted by a relay from ${clients} clients, ms until all of them have an event`,
    async run(context) {
      const load = context.quick ? quick : full;
      context.note(
        `${load.clients} clients; burst: ${load.burst} events each; rounds: ${load.rounds}`,
      );
      const relay = await startLocalRelay(context.note);
      try {
        const samples = await sampleRuns(context.runs, async () => {
          const run = await runRelayLoad(relay, load, context.note);
          return {
            throughput: run.throughput,
            p50: percentile(run.latencies, 50),
            p99: percentile(run.latencies, 99),
          };
        });
        const results: BenchResult[] = [
          toResult(
            `relay.throughput.${clients}`,
            'events/s',
            samples.throughput,
          ),
          toResult(`relay.propagation.p50.${clients}`, 'ms', samples.p50),
          toResult(`relay.propagation.p99.${clients}`, 'ms', samples.p99),
        ];
        if (plain)
          results.push(
            toResult('relay.throughput', 'events/s', samples.throughput),
            toResult('relay.propagation.p50', 'ms', samples.p50),
          );
        return results;
      } finally {
        await relay.close();
      }
    },
  };
}

export const relayScenarios: Scenario[] = [
  relayScenario(
    { clients: 10, burst: 100, rounds: 50 },
    { clients: 10, burst: 30, rounds: 5 },
  ),
  relayScenario(
    { clients: 100, burst: 2, rounds: 2 },
    { clients: 100, burst: 1, rounds: 1 },
  ),
];
