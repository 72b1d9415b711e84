import { describe, expect, it } from 'vitest';
import { memoryStore, openLog, type Store } from '../../src/index.ts';
import { LogRegistry } from '../../server/log-registry.ts';
import { collect } from '../support/records.ts';
import { LogClosedError } from '../../src/log/errors.ts';

describe("a relay's open logs", () => {
  it("read a log's new events again after a read fails, and then send them to its sessions", async () => {
    // A memory store whose next read from a position fails once, as a database
    // that went away would.
    const inner = memoryStore();
    let failNext = false;
    const store: Store = {
      ...inner,
      eventsFrom(from) {
        if (!failNext) return inner.eventsFrom(from);
        failNext = false;
        return (async function* () {
          yield* [];
          throw new Error('connection terminated');
        })();
      },
    };
    const log = await openLog({ store, actor: 'relay' });
    const said: string[] = [];
    const registry = new LogRegistry({
      open: async () => ({ log, close: () => log.close() }),
      idleMs: 60_000,
      say: (message) => said.push(message),
    });
    const { slot } = await registry.join('log-1');
    let pushed!: () => void;
    const push = new Promise<void>((resolve) => (pushed = resolve));
    registry.joined(slot, { push: () => pushed(), close: () => undefined });

    // Another process stored an event: the feed must read it.
    const writer = await openLog({ actor: 'writer' });
    await writer.append('doc/x', { type: 't', data: 1 });
    await log.ingest(await collect(writer.since({})));
    failNext = true;
    await registry.moved('log-1');
    expect(said).toEqual([
      expect.stringMatching(/^reading log log-1: connection terminated/),
    ]);
    // Tried again a second later: the read succeeds, then the session is pushed.
    await push;
    await registry.closeAll();
    await writer.close();
  });

  it('pushes each session once for a group of writes committed together, after the waiting I/O', async () => {
    const log = await openLog({ actor: 'relay' });
    const registry = new LogRegistry({
      open: async () => ({ log, close: () => log.close() }),
      idleMs: 60_000,
      say: () => undefined,
    });
    const { slot } = await registry.join('log-1');
    const pushes = [0, 0, 0];
    for (const i of [0, 1, 2])
      registry.joined(slot, {
        push: () => pushes[i]!++,
        close: () => undefined,
      });
    // Seven writes of one commit resolve together, each telling its log's sessions.
    for (let w = 0; w < 7; w++) registry.pushTo('log-1');
    // Not at once: a database reply that came meanwhile (the next commit's) is
    // handled first.
    expect(pushes).toEqual([0, 0, 0]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(pushes).toEqual([1, 1, 1]);
    registry.pushTo('log-1');
    await new Promise((resolve) => setImmediate(resolve));
    expect(pushes).toEqual([2, 2, 2]);
    await registry.closeAll();
  });

  it('reads nothing on word of a position its feed holds, and reads on word of one past it', async () => {
    const inner = memoryStore();
    let reads = 0;
    const store: Store = {
      ...inner,
      eventsFrom(from, only) {
        reads++;
        return inner.eventsFrom(from, only);
      },
    };
    const log = await openLog({ store, actor: 'relay' });
    const registry = new LogRegistry({
      open: async () => ({ log, close: () => log.close() }),
      idleMs: 60_000,
      say: () => undefined,
    });
    const { slot } = await registry.join('log-1');
    registry.joined(slot, { push: () => undefined, close: () => undefined });
    const writer = await openLog({ actor: 'writer' });
    for (const data of [1, 2]) {
      await writer.append('doc/x', { type: 't', data });
      // Stored by another process: announced at 1, then at 2.
      await log.ingest(await collect(writer.since({})));
      await registry.moved('log-1', data);
    }
    expect(reads).toBe(2);
    // Word again of what the feed holds (late, or from this process's own write): no read.
    await registry.moved('log-1', 2);
    await registry.moved('log-1', 1);
    expect(reads).toBe(2);
    // Without a position, or past the end (a lie costs one read): read.
    await registry.moved('log-1');
    await registry.moved('log-1', 10 ** 14);
    expect(reads).toBe(4);
    await registry.closeAll();
    await writer.close();
  });

  it('opens no log for a connection that authorizes after the relay began closing', async () => {
    // A file log is opened with O_CREAT: one opened after closing would write into a
    // data directory its owner is deleting, or keep a closed relay's file open.
    const opened: string[] = [];
    const registry = new LogRegistry({
      open: async (logId) => {
        opened.push(logId);
        const log = await openLog({ actor: 'relay' });
        return { log, close: () => log.close() };
      },
      idleMs: 60_000,
      say: () => undefined,
    });
    await registry.join('log-1');
    await registry.closeAll();
    await expect(registry.join('log-2')).rejects.toBeInstanceOf(LogClosedError);
    expect(opened).toEqual(['log-1']);
  });
});
