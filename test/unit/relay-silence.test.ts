// A relay that stops answering without closing (hung, its process stopped, a
// connection a NAT forgot): the client must notice, say so, and sync again once the
// relay answers. A real relay process, frozen with SIGSTOP.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import { openLog } from '../../src/index.ts';
import type { SyncState } from '../../src/sync/relay-client.ts';
import { removeRelayBundle, startChildRelay } from '../support/child-relay.ts';
import { syncWithRelay } from '../support/relay-peer.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(removeRelayBundle);

it('drops a relay that leaves a batch unanswered, says so, and syncs once it answers again', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'forkline-silence-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const relay = await startChildRelay({ dataDir });
  let frozen = false;
  cleanups.push(async () => {
    if (frozen) relay.process.kill('SIGCONT');
    await relay.stop();
  });
  const target = await relay.createLog();
  const log = await openLog({ actor: 'writer' });
  cleanups.push(() => log.close());
  const states: SyncState[] = [];
  const waiters: (() => void)[] = [];
  const stateWhere = (test: (s: SyncState) => boolean) =>
    new Promise<SyncState>((resolve) => {
      const check = () => {
        const found = states.find(test);
        if (found) resolve(found);
        else waiters.push(check);
      };
      check();
    });
  const client = syncWithRelay(log, { url: relay.url, ...target }, states, {
    onState: (s) => {
      states.push(s);
      for (const w of waiters.splice(0)) w();
    },
    answerMs: 1000,
  });
  cleanups.push(() => client.close());
  await log.append('doc/a', { type: 'test.note', data: { n: 1 } });
  client.pushLocal();
  await stateWhere((s) => s.kind === 'synced');

  relay.process.kill('SIGSTOP');
  frozen = true;
  states.length = 0;
  await log.append('doc/a', { type: 'test.note', data: { n: 2 } });
  client.pushLocal();
  const dropped = await stateWhere((s) => s.kind === 'offline');
  expect(dropped).toMatchObject({
    reason: 'the relay did not answer for 1 s',
  });
  // Tried again while the relay is still frozen: its upgrade is never answered
  // either, and that try is given up on too.
  states.length = 0;
  await stateWhere((s) => s.kind === 'offline');

  relay.process.kill('SIGCONT');
  frozen = false;
  states.length = 0;
  await stateWhere((s) => s.kind === 'synced');
  // The relay holds both events: a second client reads them back.
  const reader = await openLog({ actor: 'reader' });
  cleanups.push(() => reader.close());
  const second = syncWithRelay(reader, { url: relay.url, ...target });
  cleanups.push(() => second.close());
  await expect
    .poll(async () => (await reader.heads('doc/a')).join(), { timeout: 30_000 })
    .toBe((await log.heads('doc/a')).join());
});
