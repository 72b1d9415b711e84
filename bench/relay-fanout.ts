import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openLog } from '../src/index.ts';
import {
  encodeEvent,
  eventsMessage,
  type EncodedEvent,
} from '../src/sync/messages.ts';
import { dropLog } from '../server/pg-store.ts';
import {
  removeRelayBundle,
  startChildRelay,
  type ChildRelay,
} from '../test/support/child-relay.ts';
import { testDatabase } from '../test/support/postgres.ts';
import { BENCH_MESSAGES_PER_SECOND } from './local-relay.ts';
import { rawPeer } from './raw-peer.ts';
import { now, percentile, sampleRuns, toResult } from './measure.ts';
import type { BenchResult, Scenario } from './scenario.ts';

const CLIENTS = 100;
/** Events a client sends in one batch, and batches it sends per run. */
const BATCH = 10;
const BATCHES = 10;
/** Of the deliveries, this share has its latency kept (all would be ~1M numbers). */
const SAMPLE_EVERY = 7;

/** Events offered per second, in all, while latency is measured: the goal's throughput. */
const OFFERED = 5000;
/** What each event of a message starts with. */
const EVENT_MARK = '{"specversion"';

/** Events that reached the clients, and (while set) the latencies of a sample. */
class Tally {
  received = 0;
  latencies: number[] | undefined;
  private waiting: { count: number; done: () => void }[] = [];

  add(events: number): void {
    this.received += events;
    this.waiting = this.waiting.filter((w) =>
      this.received >= w.count ? (w.done(), false) : true,
    );
  }

  /** Resolves once `count` events have been received, or fails after a minute. */
  reach(count: number): Promise<void> {
    if (this.received >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`${this.received} of ${count} deliveries after 60 s`),
          ),
        60_000,
      );
      this.waiting.push({
        count,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }
}

/** An event id in an events message: quoted, 22 characters (the batch id is a number). */
const EVENT_ID = /"id":"([A-Za-z0-9_-]{22})"/g;

interface Writer {
  batches: EncodedEvent[][];
  /** The ids of each batch's events. */
  ids: string[][];
}

/** Each client's events, made in advance: its own stream, so the relay does no merging. */
async function writers(count: number, batches: number): Promise<Writer[]> {
  const out: Writer[] = [];
  for (let w = 0; w < count; w++) {
    const log = await openLog({ actor: `writer-${w}-${now()}` });
    const mine: EncodedEvent[][] = [];
    const ids: string[][] = [];
    for (let b = 0; b < batches; b++) {
      const results = await log.append(
        `doc/w${w}`,
        Array.from({ length: BATCH }, (_, i) => ({
          type: 'bench.typed',
          data: { b, i, text: 'x'.repeat(40) },
        })),
      );
      mine.push(results.map((r) => encodeEvent(r.event)));
      ids.push(results.map((r) => r.event.id));
    }
    await log.close();
    out.push({ batches: mine, ids });
  }
  return out;
}

/**
 * A client speaking the protocol with no engine behind it: it acknowledges what it
 * is sent, and notes when each event reached it while `latencies` is set. The
 * relay's work, not the clients', is measured. Its batches are sent in two ways:
 * `flood` sends the next as soon as the last is acknowledged, `pace` one every
 * `period` ms whatever the acks.
 */
function runClient(
  url: string,
  target: { logId: string; token: string },
  writer: Writer,
  sentAt: Map<string, number>,
  tally: Tally,
) {
  let welcomed!: () => void;
  let failed!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    welcomed = resolve;
    failed = reject;
  });
  let next = 0;
  let flooding: { until: number; done: () => void } | undefined;
  let seen = 0;
  const sendNext = () => {
    const at = now();
    for (const id of writer.ids[next]!) sentAt.set(id, at);
    ws.send(eventsMessage(next, writer.batches[next]!));
    next++;
  };
  const ws = rawPeer(url, target, (text) => {
    if (text.startsWith('{"type":"welcome"')) return welcomed();
    if (text.startsWith('{"type":"ack"')) {
      if (!flooding) return;
      if (next < flooding.until) return sendNext();
      flooding.done();
      flooding = undefined;
      return;
    }
    if (!text.startsWith('{"type":"events"')) return;
    const latencies = tally.latencies;
    if (latencies) {
      const arrived = now();
      for (const [, id] of text.matchAll(EVENT_ID)) {
        const at = sentAt.get(id!);
        if (at !== undefined && seen++ % SAMPLE_EVERY === 0)
          latencies.push(arrived - at);
      }
    }
    let events = 0;
    for (let at = text.indexOf(EVENT_MARK); at >= 0; events++)
      at = text.indexOf(EVENT_MARK, at + EVENT_MARK.length);
    tally.add(events);
  });
  ws.once('error', failed);
  ws.on('close', (code, reason) => {
    if (next < writer.batches.length)
      throw new Error(`the relay closed a client: ${code} ${String(reason)}`);
  });
  return {
    ready,
    /** Sends `count` batches, each once the last is acknowledged. */
    flood: (count: number) =>
      new Promise<void>((done) => {
        flooding = { until: next + count, done };
        sendNext();
      }),
    /** Sends `count` batches, one every `period` ms from `start` (now() clock). */
    pace: async (count: number, start: number, period: number) => {
      for (let k = 0; k < count; k++) {
        const wait = start + k * period - now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        sendNext();
      }
    },
    close: () => ws.close(),
  };
}

/**
 * One run on a new log with CLIENTS clients: first they flood the relay (every
 * batch sent as soon as the last is acknowledged), which gives the throughput; then
 * they send at OFFERED events/s in all, one batch each every period, which gives
 * the latency at that load. (Latency while flooding would be the time spent queued
 * behind the flood, which grows with the clients, not the relay's.)
 */
async function fanOut(
  relay: ChildRelay,
  batches: number,
): Promise<{ throughput: number; p50: number; p99: number; logId: string }> {
  const target = await relay.createLog();
  const made = await writers(CLIENTS, 2 * batches);
  const sentAt = new Map<string, number>();
  const tally = new Tally();
  const clients = made.map((w) =>
    runClient(relay.url, target, w, sentAt, tally),
  );
  await Promise.all(clients.map((c) => c.ready));
  // Every client is sent every other client's events.
  const deliveries = CLIENTS * (CLIENTS - 1) * batches * BATCH;
  const start = now();
  await Promise.all(clients.map((c) => c.flood(batches)));
  const throughput = (CLIENTS * batches * BATCH) / ((now() - start) / 1000);
  await tally.reach(deliveries);

  const latencies: number[] = [];
  tally.latencies = latencies;
  const period = ((CLIENTS * BATCH) / OFFERED) * 1000;
  const paced = now() + 50;
  await Promise.all(
    clients.map((c, i) =>
      c.pace(batches, paced + (i * period) / CLIENTS, period),
    ),
  );
  await tally.reach(2 * deliveries);
  clients.forEach((c) => c.close());
  return {
    throughput,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    logId: target.logId,
  };
}

/**
 * Issue 16's fan-out figures: CLIENTS clients on one log send batches of BATCH
 * events to a relay in a process of its own (the clients in this one, without an
 * engine, so that the relay's work is what is measured). Throughput is the events
 * the relay accepts per second when each client sends as fast as it is
 * acknowledged; latency is from a batch's send to its arrival at each other client
 * when they send OFFERED events/s in all (see fanOut). Over the file store, and
 * over PostgreSQL beside it.
 */
export const relayFanoutScenario: Scenario = {
  name: 'relay.fanout',
  summary: `events/s a relay accepts from ${CLIENTS} clients on one log, each receiving all others' events, and the latency at ${OFFERED} events/s, over files and over PostgreSQL`,
  async run(context) {
    const batches = context.quick ? 2 : BATCHES;
    const dir = await mkdtemp(join(tmpdir(), 'forkline-fanout-'));
    const database = await testDatabase();
    const pool = new pg.Pool({ connectionString: database.url, max: 2 });
    const results: BenchResult[] = [];
    const limits = {
      messagesPerSecond: BENCH_MESSAGES_PER_SECOND,
      maxConnectionsPerAddress: 1024,
    };
    try {
      for (const store of ['files', 'postgres'] as const) {
        const relay = await startChildRelay({
          dataDir: dir,
          ...limits,
          ...(store === 'postgres' ? { database: database.url } : {}),
        });
        try {
          const samples = await sampleRuns(context.runs, async () => {
            const run = await fanOut(relay, batches);
            if (store === 'postgres') await dropLog(pool, run.logId);
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
    } finally {
      await pool.end();
      database.stop();
      await removeRelayBundle();
      await rm(dir, { recursive: true, force: true });
    }
    return results;
  },
};
