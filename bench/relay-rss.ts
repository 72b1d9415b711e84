import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openLog, type Log } from '../src/index.ts';
import { pgStore } from '../server/pg-store.ts';
import {
  startChildRelay,
  type ChildRelay,
} from '../test/support/child-relay.ts';
import { countEvents, rawPeer } from './raw-peer.ts';
import { inRelayBench } from './relay-bench.ts';
import type { BenchResult, Scenario } from './scenario.ts';

const LOGS = 1000;

/** Events of each log, written by one writer in batches. */
async function fill(log: Log, events: number): Promise<void> {
  for (let i = 0; i < events; i += 100)
    await log.append(
      'doc/notes',
      Array.from({ length: Math.min(100, events - i) }, (_, k) => ({
        type: 'bench.typed',
        data: { k: i + k, text: 'an idle log, opened once'.repeat(4) },
      })),
    );
}

/** Opens a log at the relay as a new client would, takes its whole catch-up, and leaves. */
function openOnce(
  url: string,
  target: { logId: string; token: string },
  events: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let got = 0;
    const ws = rawPeer(url, target, (message) => {
      got += countEvents(message);
      if (got >= events) ws.close();
    });
    ws.on('close', () =>
      got >= events ? resolve() : reject(new Error(`closed after ${got}`)),
    );
    ws.on('error', reject);
  });
}

/**
 * `relay.rss.1000-logs`: a relay's resident memory once LOGS logs of `events` events
 * each have each been opened by one client, caught up and left (within the minute a
 * log stays open after its last client). Over files the open logs stay in memory;
 * over PostgreSQL a relay holds what its live clients need. Two sizes of log, to
 * show whether the figure grows with them.
 */
export const relayRssScenario: Scenario = {
  name: 'relay.rss',
  summary: `a relay's RSS with ${LOGS} logs opened once, over files and over PostgreSQL, at two log sizes`,
  async run(context) {
    const logs = context.quick ? 50 : LOGS;
    const sizes = context.quick ? [20] : [20, 200];
    const results: BenchResult[] = [];
    await inRelayBench('rss', async ({ dir, databaseUrl, pool, made }) => {
      for (const events of sizes) {
        for (const store of ['files', 'postgres'] as const) {
          const relay: ChildRelay = await startChildRelay({
            dataDir: dir,
            maxConnectionsPerAddress: 4096,
            ...(store === 'postgres' ? { database: databaseUrl } : {}),
          });
          try {
            const targets = [];
            for (let i = 0; i < logs; i++) {
              const target = await relay.createLog();
              if (store === 'postgres') {
                made.push(target.logId);
                const log = await openLog({
                  store: pgStore(pool, target.logId),
                  actor: `writer-${i}`,
                });
                await fill(log, events);
                await log.close();
              } else {
                const log = await openLog({ actor: `writer-${i}` });
                await fill(log, events);
                const lines: string[] = [];
                for await (const line of log.export()) lines.push(line);
                await writeFile(
                  join(dir, `${target.logId}.jsonl`),
                  lines.join('\n') + '\n',
                );
                await log.close();
              }
              targets.push(target);
            }
            const before = await relay.memory();
            for (const target of targets)
              await openOnce(relay.url, target, events);
            const after = await relay.memory();
            context.note(
              `${store}, ${logs} logs of ${events} events: RSS ${(before.rss / 2 ** 20).toFixed(0)} -> ${(after.rss / 2 ** 20).toFixed(0)} MB, heap ${(after.heapUsed / 2 ** 20).toFixed(0)} MB`,
            );
            const value = after.rss / 2 ** 20;
            const name = `relay.rss.${logs}-logs${store === 'postgres' ? '' : '.files'}${events === sizes[0] ? '' : `.${events}-events`}`;
            results.push({
              name,
              value,
              unit: 'MB',
              ...(store === 'postgres' ? { goal: '<= 200' } : {}),
              runs: 1,
              min: value,
              max: value,
            });
          } finally {
            await relay.stop();
          }
        }
      }
    });
    return results;
  },
};
