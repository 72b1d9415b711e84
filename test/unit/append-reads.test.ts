import { describe, expect, it } from 'vitest';
import { memoryStore, type EventId } from '../../src/index.ts';
import { openLogOn } from '../../src/log/log.ts';
import type { Store, StoreTransaction } from '../../src/log/store.ts';

const READS = ['event', 'stream', 'actorSeq', 'replica'] as const;

/**
 * A memory store whose transactions answer every read a macrotask later, as an
 * IndexedDB request answers after a round trip to the storage process, and
 * count the rounds: reads asked for before the same answer share a round.
 */
function roundTripStore(): { store: Store; rounds: () => number } {
  const inner = memoryStore();
  let tick = 0;
  const ticks = new Set<number>();
  const slow = (tx: StoreTransaction): StoreTransaction => {
    const wrapped = Object.create(tx) as StoreTransaction;
    // No answers from memory: every look-up is a read.
    (wrapped as { eventInMemory?: unknown }).eventInMemory = undefined;
    for (const name of READS) {
      const read = tx[name].bind(tx) as (key: string) => Promise<unknown>;
      (wrapped as unknown as Record<string, unknown>)[name] = (key: string) => {
        ticks.add(tick);
        return new Promise((resolve) =>
          setTimeout(() => {
            tick++;
            resolve(read(key));
          }),
        );
      };
    }
    return wrapped;
  };
  const store: Store = {
    ...inner,
    write: (body, ahead) => {
      ticks.clear();
      return inner.write((tx) => body(slow(tx)), ahead);
    },
  };
  return { store, rounds: () => ticks.size };
}

describe('an append', () => {
  it('reads what it needs in one round when it names the heads it saw', async () => {
    const { store, rounds } = roundTripStore();
    const log = await openLogOn(store, { actor: 'a' });
    const [first] = await log.append('s', { type: 't', data: 1 });
    let heads: EventId[] = [first!.event.id];
    for (let i = 0; i < 3; i++) {
      const [next] = await log.append(
        's',
        { type: 't', data: i },
        { expected: heads },
      );
      // The stream, the replica, the writer's seq and the expected heads at once.
      expect(rounds()).toBe(1);
      heads = [next!.event.id];
    }
    // 'any' learns its parents from the stream's heads: their records come next.
    await log.append('s', { type: 't', data: 'any' });
    expect(rounds()).toBe(2);
    await log.close();
  });
});
