import { describe, expect, it } from 'vitest';
import {
  InvalidEventError,
  memoryStore,
  openLog,
  type Store,
} from '../../src/index.ts';
import { groupCommit, type RunWrites } from '../../src/log/group-commit.ts';
import { collect } from '../support/records.ts';

/**
 * A memory store whose writes go through groupCommit, counting its transactions;
 * `after` runs inside each, after the group's writes (a failing fsync, say).
 */
function grouped(after: () => void = () => undefined) {
  const inner = memoryStore();
  const seen = {
    transactions: 0,
    sizes: [] as number[],
    committed: [] as number[][],
  };
  const writes = groupCommit(
    (runWrites: RunWrites) =>
      inner.write(async (tx) => {
        seen.transactions++;
        let writes = 0;
        await runWrites(tx, () => writes++);
        seen.sizes.push(writes);
        after();
      }),
    {
      maxWrites: 4,
      committed: (records) => seen.committed.push(records.map((r) => r.pos)),
    },
  );
  const store: Store = { ...inner, write: writes.write };
  return { store, seen };
}

describe('group commit', () => {
  it('runs writes that waited together in one transaction, each seeing those before it', async () => {
    const { store, seen } = grouped();
    const log = await openLog({ store, actor: 'a' });
    const appends = Array.from({ length: 9 }, (_, i) =>
      log.append('doc/x', { type: 't', data: i }),
    );
    const results = await Promise.all(appends);
    // Four to a group: each transaction takes the writes waiting when it starts
    // running them (the memory store's write runs its body a step later).
    expect(seen.sizes).toEqual([4, 4, 1]);
    // Each group's events, once durable, in position order.
    expect(seen.committed).toEqual([[1, 2, 3, 4], [5, 6, 7, 8], [9]]);
    expect(results.map((r) => r[0]!.event.seq)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);
    const events = await collect(log.read('doc/x'));
    expect(events.map((e) => e.data)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    // Each event's parent is the one before it: every write saw the last.
    events
      .slice(1)
      .forEach((e, i) => expect(e.parents).toEqual([events[i]!.id]));
    expect((await log.verify()).ok).toBe(true);
  });

  it('drops a write the engine refuses alone; one that fails otherwise fails with those run, and the rest try again', async () => {
    const { store, seen } = grouped();
    const write = (n: number) =>
      store.write(async (tx) => {
        const replica = await tx.replica();
        tx.putReplica({ ...replica, lastPos: replica.lastPos + n });
        return n;
      });
    const refused = store.write(async () => {
      throw new InvalidEventError('type', 'refused', {});
    });
    const broken = () =>
      store.write(async () => {
        throw new TypeError('a bug');
      });
    // Group 1: [refused, 1, broken, 2]: refused alone is dropped, 1 is lost with
    // the failure, 2 waits for group 2 with 4.
    const outcomes = await Promise.allSettled([
      refused,
      write(1),
      broken(),
      write(2),
      write(4),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual([
      'rejected',
      'rejected',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    expect((outcomes[0] as PromiseRejectedResult).reason).toBeInstanceOf(
      InvalidEventError,
    );
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(
      TypeError,
    );
    expect(seen.sizes).toEqual([2]);
    expect((await store.replica()).lastPos).toBe(6);
  });

  it('fails every write of a group whose transaction fails, and keeps none of them', async () => {
    let fail = true;
    const { store, seen } = grouped(() => {
      if (fail) throw new Error('disk full');
    });
    const log = await openLog({ store, actor: 'a' });
    const outcomes = await Promise.allSettled(
      [0, 1, 2].map((i) => log.append('doc/x', { type: 't', data: i })),
    );
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    expect(await collect(log.read('doc/x'))).toEqual([]);
    expect(seen.committed).toEqual([]);
    fail = false;
    await log.append('doc/x', { type: 't', data: 'after' });
    expect((await collect(log.read('doc/x'))).map((e) => e.data)).toEqual([
      'after',
    ]);
  });

  it('takes into a transaction the writes that came while it waited to start (for a lock held elsewhere), and fails them with it', async () => {
    const inner = memoryStore();
    const sizes: number[] = [];
    const aheads: number[] = [];
    let lockHeld = Promise.resolve();
    let fail = false;
    const writes = groupCommit(
      async (runWrites: RunWrites, ahead: () => readonly unknown[]) => {
        // The transaction waits for the lock before it takes its writes.
        await lockHeld;
        if (fail) throw new Error('database gone');
        aheads.push(ahead().length);
        await inner.write(async (tx) => {
          let n = 0;
          await runWrites(tx, () => n++);
          sizes.push(n);
        });
      },
    );
    const store: Store = { ...inner, write: writes.write };
    const log = await openLog({ store, actor: 'relay' });
    // Another replica's events, each ingested by a write of its own (with look-ups).
    const writer = await openLog({ actor: 'w' });
    for (let i = 0; i < 6; i++)
      await writer.append('doc/x', { type: 't', data: i });
    const events = await collect(writer.since({}));
    let release!: () => void;
    lockHeld = new Promise((resolve) => (release = resolve));
    const first = log.ingest([events[0]!]);
    // These come while the first's transaction waits for the lock: they go with it.
    const more = [1, 2, 3].map((i) => log.ingest([events[i]!]));
    await new Promise((resolve) => setTimeout(resolve, 0));
    release();
    await Promise.all([first, ...more]);
    expect(sizes).toEqual([4]);
    expect(aheads).toEqual([4]);
    // A transaction that fails before it took any: the writes waiting are told.
    fail = true;
    const outcomes = await Promise.allSettled([
      log.ingest([events[4]!]),
      log.ingest([events[4]!, events[5]!]),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await log.ingest([events[4]!, events[5]!]);
    expect((await collect(log.read('doc/x'))).map((e) => e.data)).toEqual([
      0, 1, 2, 3, 4, 5,
    ]);
    await writer.close();
  });
});
