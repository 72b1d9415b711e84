import { callBench, cleanUp } from './browser-session.ts';
import { percentile, sampleRuns, toResult } from './measure.ts';
import type { Scenario } from './scenario.ts';

const STREAM = 'bench/tabs';
const HOP_CHANNEL = 'bench:hop';
const ACK_CHANNEL = 'bench:ack';

/**
 * DESIGN §9 and §13: tab A appends through its worker; tab B's worker hears the
 * BroadcastChannel announcement, reads the event from IndexedDB and delivers it to
 * B's subscription. Timed from A's append call to B's callback, on the clock both
 * pages share (timeOrigin + now). The baseline is a raw BroadcastChannel hop
 * between the same two tabs, post to onmessage. Each message waits for the previous
 * one's ack (sent back on another channel, not timed), so nothing queues.
 */
export const tabsPropagationScenario: Scenario = {
  name: 'tabs.propagation.p50',
  summary:
    'ms from an append in one tab to the subscription callback in another vs a raw BroadcastChannel hop',
  async run(context) {
    const count = context.quick ? 100 : 500;
    const browser = await context.browser();
    const [a, b] = [await browser.openTab(), await browser.openTab()];
    const database = 'bench-tabs';
    try {
      await callBench(a, 'openTab', database);
      await callBench(b, 'openTab', database);
      const hidden = [
        await callBench(a, 'visibility'),
        await callBench(b, 'visibility'),
      ].filter((state) => state !== 'visible');
      if (hidden.length > 0)
        context.note(`a tab is ${hidden[0]}: its timers may be throttled`);
      await callBench(b, 'acknowledgeAppends', STREAM, ACK_CHANNEL);
      await callBench(b, 'acknowledgeBroadcasts', HOP_CHANNEL, ACK_CHANNEL);

      let fastest = Infinity;
      const samples = await sampleRuns(context.runs, async () => {
        const hops = await callBench(
          a,
          'timeBroadcastHops',
          HOP_CHANNEL,
          ACK_CHANNEL,
          count,
        );
        const appends = await callBench(
          a,
          'timeAppendsToTab',
          STREAM,
          ACK_CHANNEL,
          count,
        );
        fastest = Math.min(fastest, ...hops, ...appends);
        return {
          hopP50: percentile(hops, 50),
          hopP99: percentile(hops, 99),
          p50: percentile(appends, 50),
          p99: percentile(appends, 99),
        };
      });
      // Two pages' clocks disagreeing would show as a negative hop.
      if (fastest < 0)
        context.note(`a latency was ${fastest} ms: the tabs' clocks disagree`);

      const hopP50 = toResult('broadcastchannel.hop.p50', 'ms', samples.hopP50);
      const hopP99 = toResult('broadcastchannel.hop.p99', 'ms', samples.hopP99);
      return [
        hopP50,
        toResult('tabs.propagation.p50', 'ms', samples.p50, {
          baseline: hopP50,
          goal: '<= 16',
        }),
        hopP99,
        toResult('tabs.propagation.p99', 'ms', samples.p99, {
          baseline: hopP99,
        }),
      ];
    } finally {
      await cleanUp(
        context.note,
        () => callBench(b, 'closeTab'),
        () => callBench(a, 'closeTab'),
        () => callBench(a, 'deleteDatabase', database),
        () => b.close(),
        () => a.close(),
      );
    }
  },
};
