import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ActorForkError,
  memoryStore,
  openLog,
  type Log,
  type LogEvent,
} from '../../src/index.ts';
import type { SyncState } from '../../src/sync/relay-client.ts';
import { startRelayServer, syncWithRelay } from '../support/relay-peer.ts';
import { collect } from '../support/records.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A replica that writes under `actor`, as a token holder impersonating a device would. */
async function impostorOf(victim: Log, actor: string): Promise<Log> {
  const impostor = await openLog({ actor });
  await impostor.ingest(await collect(victim.since({})));
  return impostor;
}

describe('an actor fork at ingest', () => {
  it('is refused with a typed error carrying both ids', async () => {
    const device = await openLog({ actor: 'laptop' });
    await device.append('doc/a', { type: 't', data: 'base' });
    const observer = await openLog({ actor: 'observer' });
    await observer.ingest(await collect(device.since({})));
    const impostor = await impostorOf(device, 'laptop');
    const [theirs] = await impostor.append('doc/a', { type: 't', data: 'x' });
    const [mine] = await device.append('doc/a', { type: 't', data: 'y' });
    await observer.ingest([mine!.event]);

    const error = await observer.ingest([theirs!.event]).catch((e) => e);
    expect(error).toBeInstanceOf(ActorForkError);
    expect(error).toMatchObject({
      code: 'ACTOR_FORK',
      actor: 'laptop',
      seq: 2,
      id: theirs!.event.id,
      existing: mine!.event.id,
    });
    expect(error.freshActor).toBeUndefined();
    expect(await observer.get(theirs!.event.id)).toBeUndefined();
  });

  it('names the twin when both halves of a fork come in one batch', async () => {
    const device = await openLog({ actor: 'laptop' });
    const impostor = await openLog({ actor: 'laptop' });
    const [a] = await device.append('doc/a', { type: 't', data: 1 });
    const [b] = await impostor.append('doc/b', { type: 't', data: 2 });
    const observer = await openLog({ actor: 'observer' });
    const error = await observer.ingest([a!.event, b!.event]).catch((e) => e);
    expect(error).toMatchObject({ id: b!.event.id, existing: a!.event.id });
    expect(await observer.versionVector()).toEqual({});
  });

  it('of this replica’s own actor moves it to a fresh actor, and the impostor’s event is then foreign', async () => {
    const store = memoryStore();
    const device = await openLog({ store });
    const otherTab = await openLog({ store });
    const forked = device.actor;
    await device.append('doc/a', { type: 't', data: 'base' });
    const impostor = await impostorOf(device, forked);
    const [theirs] = await impostor.append('doc/a', { type: 't', data: 'x' });

    const error = await device.ingest([theirs!.event]).catch((e) => e);
    expect(error).toBeInstanceOf(ActorForkError);
    expect(error).toMatchObject({ actor: forked, seq: 2 });
    expect(error.existing).toBeUndefined();
    expect(error.freshActor).toBe(device.actor);
    expect(device.actor).not.toBe(forked);

    expect(await device.ingest([theirs!.event])).toEqual({
      stored: 1,
      duplicates: 0,
    });
    const [next] = await device.append('doc/a', { type: 't', data: 'y' });
    expect(next!.event).toMatchObject({ actor: device.actor, seq: 1 });
    // Another tab over the same database follows the replica id it stores.
    const [fromTab] = await otherTab.append('doc/a', { type: 't', data: 'z' });
    expect(fromTab!.event).toMatchObject({ actor: device.actor, seq: 2 });
    expect((await device.verify()).ok).toBe(true);
  });
});

describe('an actor fork through the relay', () => {
  async function relayWithLog() {
    const dataDir = mkdtempSync(join(tmpdir(), 'forkline-fork-'));
    const server = await startRelayServer({ dataDir });
    cleanups.push(async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });
    const { logId, token } = await server.relay.createLog();
    const sync = (log: Log, states: SyncState[] = []) => {
      const client = syncWithRelay(
        log,
        { url: server.url, logId, token },
        states,
      );
      cleanups.push(() => client.close());
      return client;
    };
    return { sync };
  }

  /** Resolves when `check` holds, re-checked on every state report of the clients. */
  const until = async (check: () => Promise<boolean>) => {
    while (!(await check())) await new Promise((r) => setTimeout(r, 10));
  };
  const holds = (log: Log, event: LogEvent) => async () =>
    (await log.get(event.id)) !== undefined;

  it('a token holder who takes a device’s next seq is found out; the device takes a fresh actor and goes on syncing', async () => {
    const { sync } = await relayWithLog();
    const victim = await openLog({ store: memoryStore() });
    const reader = await openLog({ store: memoryStore() });
    const victimStates: SyncState[] = [];
    const victimClient = sync(victim, victimStates);
    sync(reader);
    const [base] = await victim.append('doc/a', { type: 't', data: 'base' });
    victimClient.pushLocal();
    await until(holds(reader, base!.event));

    // The attacker, with the log's token, writes the victim's next seq first.
    const stolen = victim.actor;
    const attacker = await impostorOf(victim, stolen);
    sync(attacker);
    const [forged] = await attacker.append('doc/a', {
      type: 't',
      data: 'forged',
    });
    await until(holds(reader, forged!.event));

    // The victim is told, moves to a fresh actor, and keeps the forged event as foreign.
    await until(holds(victim, forged!.event));
    expect(victim.actor).not.toBe(stolen);
    expect(victimStates.some((s) => s.kind === 'forked')).toBe(true);
    const [own] = await victim.append('doc/a', { type: 't', data: 'mine' });
    expect(own!.event.actor).toBe(victim.actor);
    victimClient.pushLocal();
    await until(holds(reader, own!.event));
    expect(await reader.versionVector()).toEqual(await victim.versionVector());
  });

  it('a device that wrote the same seq offline is told, never skipped silently', async () => {
    const { sync } = await relayWithLog();
    const victim = await openLog({ store: memoryStore() });
    const victimClient = sync(victim);
    const [base] = await victim.append('doc/a', { type: 't', data: 'base' });
    victimClient.pushLocal();
    const attacker = await openLog({ actor: victim.actor });
    const attackerClient = sync(attacker);
    await until(holds(attacker, base!.event));
    victimClient.close();

    const stolen = victim.actor;
    const [mine] = await victim.append('doc/b', { type: 't', data: 'offline' });
    const [forged] = await attacker.append('doc/c', { type: 't', data: 'x' });
    attackerClient.pushLocal();
    const witness = await openLog({ store: memoryStore() });
    sync(witness);
    await until(holds(witness, forged!.event));

    const states: SyncState[] = [];
    sync(victim, states);
    await until(async () => states.some((s) => s.kind === 'forked'));
    expect(victim.actor).not.toBe(stolen);
    const reason = states.find((s) => s.kind === 'forked')!;
    expect(JSON.stringify(reason)).toContain('ctor fork');
    expect(mine!.event.actor).toBe(stolen);
  });
});
