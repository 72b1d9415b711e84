import { ArrivalTracker } from './arrival-tracker.ts';
import { cleanUp } from './browser-session.ts';
import { benchData, EVENT_TYPE, withTimeout } from './browser/bench-data.ts';
import type { BenchClient, LocalRelay } from './local-relay.ts';
import { now } from './measure.ts';

/**
 * Clients share a stream in groups of this many. Not all in one stream: an event
 * made by a writer that saw more than 64 concurrent heads has more than 64 parents,
 * which append accepts and ingest refuses (LIMITS.maxParents), so the relay would
 * close that client's connection every time it sent it.
 */
const SHARING = 10;
/** Everything should arrive within seconds; this turns a lost event into an error. */
const CONVERGE_TIMEOUT = 60_000;

export interface RelayLoad {
  clients: number;
  /** Events each client appends back to back in the throughput phase. */
  burst: number;
  /** Rounds of the propagation phase: every client appends one event at once. */
  rounds: number;
}

export interface RelayRun {
  /** Events/s from the first append of the burst to the relay acknowledging the last. */
  throughput: number;
  /** Per event of the rounds, ms from its append call to the last other client storing it. */
  latencies: number[];
}

/** Where the n-th event (from 0) of client `i` goes: its own stream and its group's in turn. */
const streamOf = (i: number, n: number) =>
  n % 2 ? `bench/shared-${Math.floor(i / SHARING)}` : `bench/writer-${i}`;

/**
 * Appends `count` events to `client`, from its event `next` (from 0) on, each followed
 * by pushLocal as an app does after a write.
 */
async function appendEvents(
  client: BenchClient,
  i: number,
  tracker: ArrivalTracker,
  next: number,
  count: number,
): Promise<void> {
  const events = Array.from({ length: count }, (_, k) => ({
    type: EVENT_TYPE,
    data: benchData(next + k),
  }));
  for (let k = 0; k < count; k++) {
    const n = next + k;
    tracker.appending(client.log.actor, n + 1);
    await client.log.append(streamOf(i, n), events[k]!);
    client.sync.pushLocal();
  }
}

/**
 * One run: a new log on the relay and `clients` new replicas connected to it. First
 * all of them append `burst` events at once (throughput); once everyone holds
 * everything, `rounds` times every client appends one event at the same moment and
 * the next round waits for all of them to arrive everywhere (propagation). Clients
 * are closed afterwards; the relay stays up.
 */
export async function runRelayLoad(
  relay: LocalRelay,
  load: RelayLoad,
  note: (message: string) => void,
): Promise<RelayRun> {
  if (load.clients < 2) throw new Error('propagation needs two clients');
  const actors = Array.from({ length: load.clients }, (_, i) => `writer-${i}`);
  let tracker = new ArrivalTracker(actors, 1, load.burst);
  const clients: BenchClient[] = [];
  const { logId, token } = await relay.createLog();
  const until = (what: string) =>
    withTimeout(tracker.converged, CONVERGE_TIMEOUT, what);
  try {
    const connecting = await Promise.allSettled(
      actors.map((actor) =>
        relay.connect(
          { logId, token, actor },
          {
            // A read that lands in the next phase is harmless: trackers ignore
            // events outside their range.
            onIngested: (log) =>
              void log.versionVector().then(
                (vector) => tracker.clientHolds(actor, vector),
                () => undefined,
              ),
            onRelayVector: (vector) => tracker.relayHolds(vector),
          },
        ),
      ),
    );
    for (const result of connecting)
      if (result.status === 'fulfilled') clients.push(result.value);
    const failed = connecting.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;

    const start = now();
    await Promise.all(
      clients.map((client, i) =>
        appendEvents(client, i, tracker, 0, load.burst),
      ),
    );
    await until(`the burst of ${load.clients} clients`);
    if (tracker.acceptedAt === undefined)
      throw new Error('no ack from the relay showed it holding the burst');
    const throughput =
      ((load.clients * load.burst) / (tracker.acceptedAt - start)) * 1000;

    const latencies: number[] = [];
    for (let round = 0; round < load.rounds; round++) {
      const n = load.burst + round;
      tracker = new ArrivalTracker(actors, n + 1, n + 1);
      await Promise.all(
        clients.map((client, i) => appendEvents(client, i, tracker, n, 1)),
      );
      await until(`round ${round} of ${load.clients} clients`);
      latencies.push(...tracker.latencies);
    }
    return { throughput, latencies };
  } finally {
    await cleanUp(note, ...clients.map((client) => () => client.close()));
  }
}
