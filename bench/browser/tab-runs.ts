import { proxy } from 'comlink';
import { startLogWorker, type LogWorker } from '../../src/ui/log-client.ts';
import type { Delivery } from '../../src/contract/index.ts';
import {
  benchData,
  EVENT_TYPE,
  sharedClock,
  withTimeout,
} from './bench-data.ts';
import type { Ack, BenchData, Latencies } from './protocol.ts';

/** One delivery should take milliseconds; this only turns a lost one into an error. */
const ACK_TIMEOUT = 10_000;

let tab: LogWorker | undefined;
const stops: (() => void)[] = [];
/** Unique per page, so an ack can never be mistaken for another run's. */
let nextMessage = 0;

function openedTab(): LogWorker {
  if (!tab) throw new Error('call openTab first');
  return tab;
}

export async function openTab(database: string): Promise<void> {
  if (tab) throw new Error(`this tab already has ${tab.opened.database} open`);
  tab = await withTimeout(
    startLogWorker({ database }),
    30_000,
    'starting the log worker',
  );
}

export function stopAcknowledging(): void {
  stops.splice(0).forEach((stop) => stop());
}

export async function closeTab(): Promise<void> {
  stopAcknowledging();
  const closing = tab;
  tab = undefined;
  if (!closing) return;
  await closing.service.close();
  closing.terminate();
}

export async function acknowledgeAppends(
  stream: string,
  ackChannel: string,
): Promise<void> {
  const { service } = openedTab();
  const ack = new BroadcastChannel(ackChannel);
  const onEvents = (batch: Delivery[]) => {
    const at = sharedClock();
    for (const { event } of batch)
      ack.postMessage({ n: (event.data as BenchData).n, at } satisfies Ack);
  };
  const id = await service.subscribe(
    stream,
    await service.position(),
    proxy(onEvents),
  );
  stops.push(() => {
    ack.close();
    service.unsubscribe(id).catch(() => undefined);
  });
}

export async function acknowledgeBroadcasts(
  channel: string,
  ackChannel: string,
): Promise<void> {
  const hop = new BroadcastChannel(channel);
  const ack = new BroadcastChannel(ackChannel);
  hop.onmessage = ({ data }: MessageEvent<{ n: number }>) =>
    ack.postMessage({ n: data.n, at: sharedClock() } satisfies Ack);
  stops.push(() => {
    hop.close();
    ack.close();
  });
}

/**
 * Sends `count` messages, one at a time: each waits for the previous one's ack, so
 * nothing queues. A latency runs from just before the send that `prepare` made to
 * the receiving tab's timestamp in its ack.
 */
async function timeHops(
  ackChannel: string,
  count: number,
  prepare: (n: number) => () => Promise<void>,
): Promise<Latencies> {
  const ack = new BroadcastChannel(ackChannel);
  const waiting = new Map<number, (at: number) => void>();
  ack.onmessage = ({ data }: MessageEvent<Ack>) =>
    waiting.get(data.n)?.(data.at);
  const latencies: Latencies = [];
  try {
    for (let i = 0; i < count; i++) {
      const n = nextMessage++;
      // Waiting starts before sending: the ack may beat the append's own reply.
      const acked = new Promise<number>((resolve) => waiting.set(n, resolve));
      const send = prepare(n);
      const start = sharedClock();
      await send();
      const at = await withTimeout(acked, ACK_TIMEOUT, `ack of message ${n}`);
      waiting.delete(n);
      latencies.push(at - start);
    }
  } finally {
    ack.close();
  }
  return latencies;
}

export function timeAppendsToTab(
  stream: string,
  ackChannel: string,
  count: number,
): Promise<Latencies> {
  const { service } = openedTab();
  return timeHops(ackChannel, count, (n) => {
    const event = { type: EVENT_TYPE, data: benchData(n) };
    return async () => void (await service.append(stream, event));
  });
}

export async function timeBroadcastHops(
  channel: string,
  ackChannel: string,
  count: number,
): Promise<Latencies> {
  const hop = new BroadcastChannel(channel);
  try {
    return await timeHops(
      ackChannel,
      count,
      (n) => async () => hop.postMessage({ n }),
    );
  } finally {
    hop.close();
  }
}
