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
 * A client speaking the protocol with no engine behind it: it sends its batches one
 * after another as each is acknowledged, acknowledges what it is sent, and notes
 * when each event reached it. The relay's work, not the clients', is measured.
 */
function runClient(
  url: string,
  target: { logId: string; token: string },
  writer: Writer,
  sentAt: Map<string, number>,
  latencies: number[],
): { ready: Promise<void>; go(): Promise<void>; close(): void } {
  let welcomed!: () => void;
  let failed!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    welcomed = resolve;
    failed = reject;
  });
  let next = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  let seen = 0;
  const send = () => {
    if (next === writer.batches.length) return done();
    const at = now();
    for (const id of writer.ids[next]!) sentAt.set(id, at);
    ws.send(eventsMessage(next, writer.batches[next]!));
    next++;
  };
  const ws = rawPeer(url, target, (text) => {
    if (text.startsWith('{"type":"welcome"')) return welcomed();
    if (text.startsWith('{"type":"ack"')) return send();
    if (text.startsWith('{"type":"events"')) {
      const arrived = now();
      for (const [, id] of text.matchAll(EVENT_ID)) {
        const at = sentAt.get(id!);
        if (at !== undefined && seen++ % SAMPLE_EVERY === 0)
          latencies.push(arrived - at);
      }
    }
  });
  ws.once('error', failed);
  ws.on('close', (code, reason) => {
    if (next < writer.batches.length)
      throw new Error(`the relay closed a client: ${code} ${String(reason)}`);
  });
  return {
    ready,
    go: async () => {
      send();
      await finished;
    },
    close: () => ws.close(),
  };
}

/** One run: a new log, CLIENTS clients, every batch sent and acknowledged. */
async function fanOut(
  relay: ChildRelay,
  batches: number,
): Promise<{ throughput: number; p50: number; p99: number; logId: string }> {
  const target = await relay.createLog();
  const made = await writers(CLIENTS, batches);
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const clients = made.map((w) =>
    runClient(relay.url, target, w, sentAt, latencies),
  );
  await Promise.all(clients.map((c) => c.ready));
  const start = now();
  await Promise.all(clients.map((c) => c.go()));
  const elapsed = now() - start;
  // Until everyone has everything: the last deliveries' latencies count too.
  const expected = CLIENTS * (CLIENTS - 1) * batches * BATCH;
  for (let waited = 0; latencies.length * SAMPLE_EVERY < expected * 0.999;) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    if ((waited += 20) > 60_000) break;
  }
  clients.forEach((c) => c.close());
  return {
    throughput: (CLIENTS * batches * BATCH) / (elapsed / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    logId: target.logId,
  };
}

/**
 * Issue 16's fan-out figures: CLIENTS clients on one log, each sending batches of
 * BATCH events as fast as they are acknowledged, to a relay in a process of its own
 * (the clients in this one, without an engine, so that the relay's work is what is
 * measured). Throughput is the events the relay accepted per second; latency is from
 * a batch's send to its arrival at each other client. Over the file store, and over
 * PostgreSQL beside it.
 */
export const relayFanoutScenario: Scenario = {
  name: 'relay.fanout',
  summary: `events/s a relay accepts from ${CLIENTS} clients on one log, each receiving all others' events, over files and over PostgreSQL`,
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
