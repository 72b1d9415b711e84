import { proxy } from 'comlink';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppendResult, EventId, LogEvent } from '../../src/index.ts';
import { openIdbStore } from '../../worker/idb-store.ts';
import type { Delivery } from '../../src/contract/index.ts';
import { appendMoving } from '../../src/ui/log-client.ts';
import { seeded, verifyDatabase, workerPool } from '../support/workers.ts';
import { trialCount } from '../support/trials.ts';

const pool = workerPool();
afterEach(() => pool.cleanup());

async function allEvents(
  database: string,
): Promise<{ event: LogEvent; pos: number }[]> {
  const store = await openIdbStore(database);
  const out = [];
  for await (const record of store.eventsFrom(1)) out.push(record);
  await store.close();
  return out;
}

/** Appends per tab in the race below: a sample in `npm test`, 500 under `npm run trials`. */
const PER_TAB = trialCount(200, 500);

describe('two tabs appending to one database', () => {
  it(`stores ${2 * PER_TAB} interleaved stale appends once each, with exact concurrent sets and dense seq`, async () => {
    const seed = Date.now() % 100_000;
    const database = pool.database('race');
    const [a, b] = [await pool.start(database), await pool.start(database)];
    expect(a.opened.actor).toBe(b.opened.actor); // one replica id per browser profile
    const results: AppendResult[] = [];
    const writer = async (
      tab: typeof a,
      random: () => number,
      label: string,
    ) => {
      let seen: EventId[] = [];
      for (let i = 0; i < PER_TAB; i++) {
        // Usually the writer's own last view (stale: the other tab moved on), sometimes a fresh read.
        if (random() < 0.3) seen = await tab.service.heads('doc/race');
        const [result] = await tab.service.append(
          'doc/race',
          { type: 't', data: `${label}${i}` },
          { expected: seen },
        );
        results.push(result!);
        seen = [result!.event.id];
      }
    };
    await Promise.all([
      writer(a, seeded(seed), 'a'),
      writer(b, seeded(seed + 1), 'b'),
    ]);

    const stored = await allEvents(database);
    expect(stored).toHaveLength(2 * PER_TAB);
    expect(new Set(stored.map((r) => r.event.id)).size).toBe(2 * PER_TAB);
    expect(stored.map((r) => r.event.seq)).toEqual(
      Array.from({ length: 2 * PER_TAB }, (_, i) => i + 1),
    );
    expect(await verifyDatabase(database)).toMatchObject({
      ok: true,
      events: 2 * PER_TAB,
    });

    // Oracle: what was stored before each event, minus what its parents reach.
    const ancestors = new Map<EventId, Set<EventId>>();
    const byPos = [...stored].sort((x, y) => x.pos - y.pos);
    for (const { event } of byPos) {
      const set = new Set<EventId>([event.id]);
      for (const p of event.parents)
        ancestors.get(p)!.forEach((id) => set.add(id));
      ancestors.set(event.id, set);
    }
    for (const result of results) {
      const seen = new Set<EventId>();
      for (const p of result.event.parents)
        ancestors.get(p)!.forEach((id) => seen.add(id));
      const before = byPos
        .filter((r) => r.pos < result.position)
        .map((r) => r.event.id);
      const unseen = before.filter((id) => !seen.has(id));
      expect(new Set(result.concurrent), `seed ${seed}`).toEqual(
        new Set(unseen),
      );
    }
  }, 60_000);
});

describe('subscriptions', () => {
  it('deliver stored events, then live ones from both tabs, with no gap and no duplicate', async () => {
    const database = pool.database('subscribe');
    const [a, b] = [await pool.start(database), await pool.start(database)];
    await a.service.append(
      'doc/sub',
      Array.from({ length: 50 }, (_, i) => ({ type: 't', data: i })),
    );
    await b.service.append('doc/other', { type: 't', data: 'not subscribed' });
    const delivered: Delivery[] = [];
    const total = 50 + 2 * 150;
    const done = new Promise<void>((resolve) => {
      const onEvents = (batch: Delivery[]) => {
        delivered.push(...batch);
        if (delivered.length >= total) resolve();
      };
      // Subscribe while both tabs are appending: catch-up and live must join seamlessly.
      void a.service.subscribe('doc/sub', 0, proxy(onEvents));
    });
    const write = async (tab: typeof a, label: string) => {
      for (let i = 0; i < 150; i++)
        await tab.service.append('doc/sub', {
          type: 't',
          data: `${label}${i}`,
        });
    };
    await Promise.all([write(a, 'a'), write(b, 'b'), done]);
    const positions = delivered.map((d) => d.position);
    expect(positions).toEqual([...positions].sort((x, y) => x - y));
    expect(new Set(delivered.map((d) => d.event.id)).size).toBe(total);
    const stream = (await allEvents(database)).filter(
      (r) => r.event.stream === 'doc/sub',
    );
    expect(delivered.map((d) => d.event.id)).toEqual(
      stream.map((r) => r.event.id),
    );
  }, 60_000);

  it('serve log.subscribe: what a vector lacks, filtered, caught up, then live from another tab', async () => {
    const database = pool.database('subscribe-log');
    const [a, b] = [await pool.start(database), await pool.start(database)];
    await a.service.append(
      'doc/x',
      Array.from({ length: 20 }, (_, i) => ({ type: 'edit', data: i })),
    );
    await a.service.append('notes/y', { type: 'edit', data: 'elsewhere' });
    const vector = await a.service.versionVector();
    const [actor] = Object.keys(vector) as [string];
    const seen: LogEvent[] = [];
    let caughtUpAt = -1;
    let more!: () => void;
    const live = new Promise<void>((resolve) => (more = resolve));
    const id = await a.service.subscribeLog(
      // Holding the first 15 of a's events: the 5 after them, and what comes.
      { from: { [actor]: 15 }, streams: 'doc/', types: ['edit'] },
      proxy((events: LogEvent[]) => {
        seen.push(...events);
        if (seen.some((e) => e.data === 'from b')) more();
      }),
      proxy(() => (caughtUpAt = seen.length)),
    );
    await b.service.append('doc/x', { type: 'note', data: 'not this type' });
    await b.service.append('doc/x', { type: 'edit', data: 'from b' });
    await live;
    // Caught up once everything stored before it was delivered (what came meanwhile may be in).
    expect(caughtUpAt).toBeGreaterThanOrEqual(5);
    expect(seen.map((e) => e.data)).toEqual([15, 16, 17, 18, 19, 'from b']);
    await a.service.unsubscribe(id);
    await expect(
      a.service.subscribeLog(
        { from: 'later' as 'now' },
        proxy(() => undefined),
      ),
    ).rejects.toMatchObject({ name: 'InvalidQueryError' });
  }, 60_000);

  it('carries a typed error with its fields across the thread boundary', async () => {
    const tab = await pool.start(pool.database('errors'));
    const [first] = await tab.service.append('ledger/1', {
      type: 't',
      data: 1,
    });
    await tab.service.append('ledger/1', { type: 't', data: 2 });
    const error = await tab.service
      .append(
        'ledger/1',
        { type: 't', data: 3 },
        { expected: [first!.event.id] },
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'WrongExpectedHeadsError',
      code: 'WRONG_EXPECTED_HEADS',
      stream: 'ledger/1',
      expected: [first!.event.id],
    });
    expect((error as { actual: string[] }).actual).toHaveLength(1);
  });
});

describe('byte payloads', () => {
  it('move to the worker instead of being copied, and reach subscribers', async () => {
    const database = pool.database('bytes');
    const tab = await pool.start(database);
    const update = new Uint8Array([1, 2, 3, 4]);
    const [result] = await appendMoving(tab.service, 'doc/bytes', [
      { type: 'doc.text.edited', data: update },
    ]);
    expect(update.byteLength).toBe(0); // detached: moved, not copied
    expect(Array.from(result!.event.data as Uint8Array)).toEqual([1, 2, 3, 4]);
    const delivered = await new Promise<Delivery[]>(
      (resolve) => void tab.service.subscribe('doc/bytes', 0, proxy(resolve)),
    );
    expect(Array.from(delivered[0]!.event.data as Uint8Array)).toEqual([
      1, 2, 3, 4,
    ]);
  });

  it('stay whole in packed storage after being delivered to a subscriber', async () => {
    // A batch this large is written packed; reads come from the decoded segment the
    // worker keeps, which a delivery must not take the payloads away from.
    const database = pool.database('packed-bytes');
    const tab = await pool.start(database);
    const count = 300;
    await tab.service.append(
      'doc/packed',
      Array.from({ length: count }, (_, i) => ({
        type: 'doc.text.edited',
        data: new Uint8Array([i % 256, 7, 7]),
      })),
    );
    const delivered: Delivery[] = [];
    await new Promise<void>(
      (resolve) =>
        void tab.service.subscribe(
          'doc/packed',
          0,
          proxy((batch: Delivery[]) => {
            delivered.push(...batch);
            if (delivered.length === count) resolve();
          }),
        ),
    );
    const bytesOf = (events: { data: unknown }[]) =>
      events.map((e) => Array.from(e.data as Uint8Array));
    const expected = Array.from({ length: count }, (_, i) => [i % 256, 7, 7]);
    expect(bytesOf(delivered.map((d) => d.event))).toEqual(expected);
    expect(bytesOf(await tab.service.readStream('doc/packed'))).toEqual(
      expected,
    );
    expect((await tab.service.verifyLog()).ok).toBe(true);
  });
});
