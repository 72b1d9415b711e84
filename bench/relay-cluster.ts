import {
  startChildRelay,
  type ChildRelay,
} from '../test/support/child-relay.ts';
import { runLoad, type Placement } from './fanout-load.ts';
import { countCpu, countMachineCpu, processRoots } from './process-cpu.ts';
import { BENCH_MESSAGES_PER_SECOND } from './local-relay.ts';
import { sampleRuns, summarize, toResult } from './measure.ts';
import { inRelayBench } from './relay-bench.ts';
import type { BenchResult, Scenario } from './scenario.ts';

const CLIENTS = 400;
const LOGS = 2000;
/**
 * Batches each client sends while flooding, and then at the offered rate. Few: with
 * 400 clients every batch is 399 deliveries, which the harness must read too.
 */
const FLOOD = 2;
const PACED = 3;
/** Events offered per second, in all, while latency is measured: the goal's throughput. */
const OFFERED = 5000;
/** Runs of the 400 clients after the warm-up, whose medians are reported: one swung widely. */
const RUNS = 3;

const MB = 2 ** 20;

const SHARES = ['relays', 'harness', 'database', 'machine'] as const;

/**
 * Starts counting how much of the machine what follows takes (runLoad's paced
 * phase), by whom, as CPU time over wall time in cores: the relay processes; the
 * harness (this process: the clients, reading every delivery); the PostgreSQL
 * servers running here (every backend, whichever client it serves); and the whole
 * machine (the kernel's work on loopback traffic is charged to no process). A
 * machine near its core count says the figures measure the machine. A share that
 * cannot be counted (no /proc, no local PostgreSQL), or the database's when the
 * relays keep files, is left out.
 */
function machineShare(
  relays: ChildRelay[],
  database: boolean,
): {
  stop(): Partial<Record<(typeof SHARES)[number], number>>;
} {
  const started = performance.now();
  const harness = process.cpuUsage();
  const machine = countMachineCpu();
  const roots = database ? processRoots('postgres') : [];
  const counted = {
    relays: countCpu(...relays.map((relay) => relay.process.pid!)),
    database: roots.length > 0 ? countCpu(...roots) : undefined,
  };
  return {
    stop() {
      const wall = performance.now() - started;
      const { user, system } = process.cpuUsage(harness);
      const shares = {
        relays: counted.relays?.stop(),
        harness: (user + system) / 1000,
        database: counted.database?.stop(),
        machine: machine?.stop(),
      };
      return Object.fromEntries(
        Object.entries(shares)
          .filter(([, ms]) => ms !== undefined)
          .map(([share, ms]) => [share, ms! / wall]),
      );
    },
  };
}

/**
 * Issue 16's figures for relays in several processes over one PostgreSQL database,
 * each beside one relay over files carrying the same load (files cannot be shared
 * between processes):
 *
 * - `relay.cluster.400.*`: CLIENTS clients on one log, half on each of two relay
 *   processes. They flood for the throughput, then send OFFERED events/s in all;
 *   p50 and p99 are of deliveries from a client of one relay to a client of the
 *   other (see runLoad).
 * - `relay.cluster.2000-logs.*`: LOGS logs with two clients each, one on each relay,
 *   sending OFFERED events/s in all; every event must reach the other client. Then
 *   the larger of the relays' resident memory.
 */
export const relayClusterScenario: Scenario = {
  name: 'relay.cluster',
  summary: `${CLIENTS} clients of one log over 2 relay processes on PostgreSQL, and ${LOGS} logs x 2 clients, each beside one relay over files`,
  async run(context) {
    const clients = context.quick ? 40 : CLIENTS;
    const logs = context.quick ? 100 : LOGS;
    const [flood, paced] = context.quick ? [1, 2] : [FLOOD, PACED];
    const runs = context.quick ? context.runs : Math.min(context.runs, RUNS);
    const results: BenchResult[] = [];
    await inRelayBench('cluster', async ({ dir, databaseUrl, made }) => {
      const options = {
        dataDir: dir,
        messagesPerSecond: BENCH_MESSAGES_PER_SECOND,
        maxConnections: 2 * logs + 64,
        maxConnectionsPerAddress: 2 * logs + 64,
        // The harness, reading 400 clients' deliveries, may fall behind: that is not
        // a client the relay should drop.
        stalledMs: 300_000,
      };
      /** The relays of one store: two over PostgreSQL, one over files. */
      const start = (store: 'files' | 'postgres') =>
        Promise.all(
          Array.from({ length: store === 'postgres' ? 2 : 1 }, () =>
            startChildRelay({
              ...options,
              ...(store === 'postgres' ? { database: databaseUrl } : {}),
            }),
          ),
        );
      const on = (relays: ChildRelay[], i: number) => ({
        url: relays[i % relays.length]!.url,
        relay: i % relays.length,
      });
      for (const store of ['files', 'postgres'] as const) {
        const relays = await start(store);
        const name = (group: string, figure: string) =>
          `relay.cluster.${group}${store === 'files' ? '.files' : ''}.${figure}`;
        // Over PostgreSQL, each figure beside the file store's.
        const base = (group: string, figure: string) =>
          store === 'files'
            ? {}
            : {
                baseline: results.find(
                  (r) => r.name === `relay.cluster.${group}.files.${figure}`,
                )!,
              };
        const created = async (relay: ChildRelay) => {
          const target = await relay.createLog();
          if (store === 'postgres') made.push(target.logId);
          return target;
        };
        try {
          // Figures by name: a share that cannot be counted here is not among them.
          const one = await sampleRuns<string>(runs, async () => {
            const target = await created(relays[0]!);
            const run = await runLoad({
              clients: Array.from({ length: clients }, (_, i) => ({
                ...on(relays, i),
                target,
              })),
              flood,
              paced,
              offered: OFFERED,
              crossRelay: relays.length > 1,
              whilePaced: () => machineShare(relays, store === 'postgres'),
            });
            return {
              throughput: run.throughput,
              p50: run.p50,
              p99: run.p99,
              ...run.paced,
            };
          });
          const group = `${clients}`;
          const goal = (text: string) =>
            store === 'postgres' ? { goal: text } : {};
          results.push(
            toResult(name(group, 'throughput'), 'events/s', one.throughput!, {
              ...base(group, 'throughput'),
              ...goal('>= 5000'),
            }),
            toResult(name(group, 'p50'), 'ms', one.p50!, {
              ...base(group, 'p50'),
              ...goal('<= 50'),
            }),
            toResult(name(group, 'p99'), 'ms', one.p99!, {
              ...base(group, 'p99'),
              ...goal('<= 250'),
            }),
            ...SHARES.filter((share) => one[share] !== undefined).map((share) =>
              toResult(name(group, `cores.${share}`), 'cores', one[share]!),
            ),
          );

          const placed: Placement[] = [];
          for (let l = 0; l < logs; l++) {
            const target = await created(relays[l % relays.length]!);
            placed.push(
              { ...on(relays, 0), target },
              { ...on(relays, 1), target },
            );
          }
          const many = await runLoad({
            clients: placed,
            flood: 0,
            paced,
            offered: OFFERED,
          });
          const memory = await Promise.all(relays.map((r) => r.memory()));
          const rss = Math.max(...memory.map((m) => m.rss)) / MB;
          context.note(
            `${store}: ${logs} logs x 2 clients, ${many.deliveries} deliveries, relay RSS ${memory.map((m) => (m.rss / MB).toFixed(0)).join(' and ')} MB`,
          );
          const single = (figure: string, value: number, unit: string) =>
            toResult(
              name(`${logs}-logs`, figure),
              unit,
              summarize([value]),
              base(`${logs}-logs`, figure),
            );
          results.push(
            single('p50', many.p50, 'ms'),
            single('p99', many.p99, 'ms'),
            single('rss', rss, 'MB'),
          );
        } finally {
          await Promise.all(relays.map((r) => r.stop()));
        }
      }
    });
    return results;
  },
};
