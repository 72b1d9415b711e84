import { describe, expect, it } from 'vitest';
import { openLog } from '../../src/index.ts';
import type { LogEvent, Projection, Store } from '../../src/index.ts';
import { collect } from '../support/records.ts';

/** Snapshots are caches (DESIGN §5): they change how much is folded, never the result. */
export function snapshotContract(name: string, open: () => Promise<Store>) {
  describe(`projection snapshots: ${name}`, () => {
    const counting = () => {
      const calls = { evolve: 0 };
      const projection: Projection<number[]> = {
        initial: () => [],
        evolve: (s, e: LogEvent) => {
          calls.evolve++;
          return [...s, e.data as number];
        },
        snapshot: { name: 'values/v1', every: 10 },
      };
      return { calls, projection };
    };
    const plain: Projection<number[]> = {
      initial: () => [],
      evolve: (s, e) => [...s, e.data as number],
    };
    const batch = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => ({ type: 't', data: from + i }));

    it('folds only the events since the snapshot, with the same result', async () => {
      const log = await openLog({ store: await open() });
      await log.append('doc/s', batch(0, 50));
      const { calls, projection } = counting();
      expect(await log.fold('doc/s', projection)).toEqual(
        await log.fold('doc/s', plain),
      );
      expect(calls.evolve).toBe(50);
      await log.append('doc/s', batch(50, 3));
      calls.evolve = 0;
      expect(await log.fold('doc/s', projection)).toEqual(
        await log.fold('doc/s', plain),
      );
      expect(calls.evolve).toBe(3);
      await log.close();
    });

    it('gives the same result after the snapshots are deleted', async () => {
      const store = await open();
      const log = await openLog({ store });
      await log.append('doc/s', batch(0, 30));
      const { projection } = counting();
      const before = await log.fold('doc/s', projection);
      await store.clearSnapshots();
      expect(await log.fold('doc/s', projection)).toEqual(before);
      await log.close();
    });

    it('starts over when a synced event sorts before the snapshot', async () => {
      const offline = await openLog({ actor: 'offline', now: () => 1_000 });
      const [early] = await offline.append('doc/s', { type: 't', data: -1 });
      const log = await openLog({ store: await open(), actor: 'online' });
      await log.append('doc/s', batch(0, 20));
      const { calls, projection } = counting();
      await log.fold('doc/s', projection);
      await log.ingest([early!.event]);
      calls.evolve = 0;
      const folded = await log.fold('doc/s', projection);
      expect(folded).toEqual(await log.fold('doc/s', plain));
      expect(folded[0]).toBe(-1);
      expect(calls.evolve).toBe(21);
      expect((await collect(log.read('doc/s'))).length).toBe(21);
      await log.close();
    });

    it('deletes one snapshot by key, and nothing else', async () => {
      const store = await open();
      const record = (key: string) => ({
        key,
        stream: 'doc/s',
        pos: 1,
        extra: [],
        after: null,
        state: { key },
        takenAt: 0,
      });
      await store.putSnapshot(record('doc/s\nold.v1'));
      await store.putSnapshot(record('doc/s\nold.v10'));
      await store.deleteSnapshot('doc/s\nold.v1');
      await store.deleteSnapshot('doc/s\nnever saved');
      // A key is data, whatever it holds (the PostgreSQL store binds it).
      await store.deleteSnapshot("doc/s\nold.v10' OR '1'='1");
      await store.deleteSnapshot('%');
      expect(await store.getSnapshot('doc/s\nold.v1')).toBeUndefined();
      expect(await store.getSnapshot('doc/s\nold.v10')).toEqual(
        record('doc/s\nold.v10'),
      );
      await store.close();
    });

    it('still folds when the snapshot cannot be written', async () => {
      const store = await open();
      const failing: Store = {
        ...store,
        putSnapshot: () => Promise.reject(new Error('quota')),
      };
      const log = await openLog({ store: failing });
      await log.append('doc/s', batch(0, 12));
      expect(await log.fold('doc/s', counting().projection)).toEqual(
        batch(0, 12).map((e) => e.data),
      );
      await log.close();
    });
  });
}
