import { openLog } from '../src/index.ts';
import {
  encodeEvent,
  eventsMessage,
  type EncodedEvent,
} from '../src/sync/messages.ts';
import { countEvents, ID_LENGTH, isMessage, rawPeer } from './raw-peer.ts';
import { now, percentile } from './measure.ts';

/** Events a client sends in one batch. */
export const BATCH = 10;
/** Of the deliveries, this share has its latency kept (all would be millions of numbers). */
const SAMPLE_EVERY = 7;
/** Where a client connects: a relay, and a log on it. */
export interface Placement {
  url: string;
  target: { logId: string; token: string };
  /** Which relay process: latency is kept for deliveries from another one only, when asked. */
  relay: number;
}

export interface LoadOptions {
  clients: Placement[];
  /** Batches each client sends as fast as it is acknowledged: the throughput. */
  flood: number;
  /** Batches each client then sends at `offered` events/s in all: the latency. */
  paced: number;
  offered: number;
  /** Keep latencies of deliveries between clients of different relays only. */
  crossRelay?: boolean;
  /** Started as the paced batches start, stopped once all of them are delivered: `LoadResult.paced`. */
  whilePaced?: () => { stop(): Record<string, number> };
}

export interface LoadResult {
  /** Events/s accepted while flooding (NaN without a flood). */
  throughput: number;
  /** ms from a batch's send to its arrival at each other client of its log, at `offered`. */
  p50: number;
  p99: number;
  deliveries: number;
  /** What `whilePaced` measured. */
  paced?: Record<string, number>;
}

interface Writer {
  batches: EncodedEvent[][];
  /** The ids of each batch's events. */
  ids: string[][];
}

/** Each client's events, made in advance: its own actor and stream, so the relay does no merging. */
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

/** Events that reached the clients, and (while set) the latencies of a sample. */
class Tally {
  received = 0;
  latencies: number[] | undefined;
  private waiting: {
    count: number;
    done: () => void;
    failed: (error: Error) => void;
  }[] = [];
  private failure: Error | undefined;

  /** A client was closed: whatever waits fails with `error`. */
  fail(error: Error): void {
    this.failure ??= error;
    for (const w of this.waiting.splice(0)) w.failed(error);
  }

  add(events: number): void {
    this.received += events;
    this.waiting = this.waiting.filter((w) =>
      this.received >= w.count ? (w.done(), false) : true,
    );
  }

  /** Resolves once `count` events have been received, or fails after two minutes. */
  reach(count: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.received >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`${this.received} of ${count} deliveries after 120 s`),
          ),
        120_000,
      );
      this.waiting.push({
        count,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
        failed: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  }
}

/**
 * A client speaking the protocol with no engine behind it: it acknowledges what it
 * is sent, counts the events in it, and notes when sampled events reached it while
 * latencies are kept. The relay's work, not the clients', is measured. `flood`
 * sends the next batch as soon as the last is acknowledged, `pace` one every
 * `period` ms whatever the acks.
 */
function runClient(
  at: Placement,
  writer: Writer,
  sentAt: Map<string, { at: number; relay: number }>,
  tally: Tally,
  crossRelay: boolean,
) {
  let welcomed!: () => void;
  let failed!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    welcomed = resolve;
    failed = reject;
  });
  let next = 0;
  let closing = false;
  let flooding: { until: number; done: () => void } | undefined;
  let seen = 0;
  const sendNext = () => {
    const sent = { at: now(), relay: at.relay };
    for (const id of writer.ids[next]!) sentAt.set(id, sent);
    ws.send(eventsMessage(next, writer.batches[next]!));
    next++;
  };
  const ws = rawPeer(at.url, at.target, (message) => {
    if (isMessage(message, 'welcome')) return welcomed();
    if (isMessage(message, 'ack')) {
      if (!flooding) return;
      if (next < flooding.until) return sendNext();
      flooding.done();
      flooding = undefined;
      return;
    }
    if (!isMessage(message, 'events')) return;
    // Every event counted, and a sample's ids read where each starts, in the bytes:
    // no decoding, and no copy of the message as a string (with 400 clients in this
    // process, that made the harness the busiest process of the run).
    const latencies = tally.latencies;
    const arrived = latencies ? now() : 0;
    tally.add(
      countEvents(
        message,
        latencies &&
          ((idAt) => {
            if (seen++ % SAMPLE_EVERY !== 0) return;
            const id = message.toString('latin1', idAt, idAt + ID_LENGTH);
            const sent = sentAt.get(id);
            if (sent && !(crossRelay && sent.relay === at.relay))
              latencies.push(arrived - sent.at);
          }),
      ),
    );
  });
  ws.on('error', failed);
  ws.on('close', (code, reason) => {
    if (!closing)
      tally.fail(
        new Error(`the relay closed a client: ${code} ${String(reason)}`),
      );
  });
  return {
    ready,
    flood: (count: number) =>
      new Promise<void>((done) => {
        if (count === 0) return done();
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
    close: () => {
      closing = true;
      ws.close();
    },
  };
}

/**
 * One load on relays: the clients flood (each batch sent as soon as the last is
 * acknowledged), which gives the throughput; once everyone holds everything, they
 * send at `offered` events/s in all, each one batch per period with the clients'
 * turns spread evenly over it, whatever the acks, which gives the latency at that
 * load. (Latency while flooding would be the time a batch waits behind the flood,
 * the events in flight over the throughput: it says how many clients there are,
 * not how fast the relay is.) Every client is sent every other client's events of
 * its log, and the run waits until each has them all.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { clients: placed, flood, paced } = options;
  const made = await writers(placed.length, flood + paced);
  const sentAt = new Map<string, { at: number; relay: number }>();
  const tally = new Tally();
  const clients = placed.map((at, i) =>
    runClient(at, made[i]!, sentAt, tally, options.crossRelay ?? false),
  );
  try {
    await Promise.all(clients.map((c) => c.ready));
    const peers = new Map<string, number>();
    for (const { target } of placed)
      peers.set(target.logId, (peers.get(target.logId) ?? 0) + 1);
    let perBatch = 0;
    for (const n of peers.values()) perBatch += n * (n - 1);
    perBatch *= BATCH;

    const start = now();
    await Promise.all(clients.map((c) => c.flood(flood)));
    const throughput =
      flood > 0
        ? (placed.length * flood * BATCH) / ((now() - start) / 1000)
        : NaN;
    await tally.reach(perBatch * flood);

    const latencies: number[] = [];
    tally.latencies = latencies;
    const period = ((placed.length * BATCH) / options.offered) * 1000;
    const from = now() + 50;
    const measuring = options.whilePaced?.();
    await Promise.all(
      clients.map((c, i) =>
        c.pace(paced, from + (i * period) / placed.length, period),
      ),
    );
    await tally.reach(perBatch * (flood + paced));
    return {
      throughput,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      deliveries: tally.received,
      ...(measuring ? { paced: measuring.stop() } : {}),
    };
  } finally {
    clients.forEach((c) => c.close());
  }
}
