import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  InvalidQueryError,
  memoryStore,
  openLog,
  type Log,
  type LogEvent,
  type ProjectionHandle,
  type Projection,
} from '../../src/index.ts';
import {
  projectionKeyOf,
  projectionStateKeyOf,
} from '../../src/log/projections.ts';
import { compareCanonical } from '../../src/log/store.ts';
import { assertProperty } from '../support/property.ts';
import { collect } from '../support/records.ts';

const STREAMS = ['doc/1', 'doc/2', 'notes/1'];
const PREFIXES = [undefined, 'doc/', 'notes/', 'doc/2'];

/** Order matters, and the state is mutated in place: the hardest kind to keep. */
const ids = (every: number): Projection<{ ids: string[] }> => ({
  initial: () => ({ ids: [] }),
  evolve: (state, event) => {
    state.ids.push(event.id);
    return state;
  },
  snapshot: { name: 'ids', every },
});

type Step =
  | { kind: 'append'; replica: number; stream: number; count: number }
  | { kind: 'sync'; from: number; to: number; chunk: number }
  | { kind: 'project'; prefix: number }
  | { kind: 'reopen'; which: number }
  /** A second handle of an open projection's name: both save its one checkpoint. */
  | { kind: 'twin'; which: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      replica: fc.nat(2),
      stream: fc.nat(2),
      count: fc.integer({ min: 1, max: 5 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('sync' as const),
      from: fc.nat(2),
      to: fc.nat(2),
      chunk: fc.integer({ min: 1, max: 6 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('project' as const),
      prefix: fc.nat(PREFIXES.length - 1),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('reopen' as const),
      which: fc.nat(9),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('twin' as const),
      which: fc.nat(9),
    }),
  },
);

/** `count` events appended to `stream`, their data 0 to count - 1. */
const appendTo = (log: Log, stream: string, count: number) =>
  log.append(
    stream,
    Array.from({ length: count }, (_, i) => ({ type: 't', data: i })),
  );

/** The fold from nothing: every event of the prefix, in canonical order. */
async function brute(log: Log, prefix: string | undefined) {
  const all = await collect(log.since({}));
  return all
    .filter((e) => prefix === undefined || e.stream.startsWith(prefix))
    .sort(compareCanonical)
    .map((e: LogEvent) => e.id);
}

/** Until the handle has taken in everything the log holds: turns of the event loop, not time. */
async function caughtUp(handle: ProjectionHandle<unknown>, log: Log) {
  const target = JSON.stringify(
    Object.entries(await log.versionVector()).sort(),
  );
  for (let turn = 0; turn < 10_000; turn++) {
    if (JSON.stringify(Object.entries(handle.vector).sort()) === target) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('the projection never caught up with the log');
}

describe('log.project', () => {
  it('keeps the state a fresh fold gives, under any arrival order, live and reopened', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.array(step, { maxLength: 40 }),
        fc.integer({ min: 1, max: 6 }),
        async (steps, every) => {
          const store = memoryStore();
          const replicas = [
            await openLog({ store, actor: 'here' }),
            await openLog({ actor: 'there' }),
            await openLog({ actor: 'yonder' }),
          ];
          const here = replicas[0]!;
          const open: {
            prefix: string | undefined;
            name: string;
            handle: ProjectionHandle<{ ids: string[] }>;
          }[] = [];
          const project = (name: string, prefix: string | undefined) =>
            here.project(name, ids(every), prefix ? { streams: prefix } : {});
          for (const s of steps) {
            if (s.kind === 'append') {
              await replicas[s.replica]!.append(
                STREAMS[s.stream]!,
                Array.from({ length: s.count }, (_, i) => ({
                  type: 't',
                  data: i,
                })),
              );
            } else if (s.kind === 'sync') {
              const to = replicas[s.to]!;
              const lacking = await collect(
                replicas[s.from]!.since(await to.versionVector()),
              );
              for (let i = 0; i < lacking.length; i += s.chunk)
                await to.ingest(lacking.slice(i, i + s.chunk));
            } else if (s.kind === 'project') {
              const prefix = PREFIXES[s.prefix];
              const name = `p${open.length}`;
              open.push({ prefix, name, handle: await project(name, prefix) });
              expect(open.at(-1)!.handle.state.ids).toEqual(
                await brute(here, prefix),
              );
            } else if (s.kind === 'twin' && open.length > 0) {
              const { name, prefix } = open[s.which % open.length]!;
              open.push({ prefix, name, handle: await project(name, prefix) });
              expect(open.at(-1)!.handle.state.ids).toEqual(
                await brute(here, prefix),
              );
            } else if (s.kind === 'reopen' && open.length > 0) {
              const p = open[s.which % open.length]!;
              await p.handle.close();
              p.handle = await project(p.name, p.prefix);
              expect(p.handle.state.ids).toEqual(await brute(here, p.prefix));
            }
          }
          // Everything from everyone, in chunks: arrivals that sort early.
          for (const from of replicas.slice(1)) {
            const lacking = await collect(
              from.since(await here.versionVector()),
            );
            for (let i = 0; i < lacking.length; i += 3)
              await here.ingest(lacking.slice(i, i + 3));
          }
          for (const p of open) {
            await caughtUp(p.handle, here);
            expect(p.handle.state.ids).toEqual(await brute(here, p.prefix));
            await p.handle.close();
            const again = await project(p.name, p.prefix);
            expect(again.state.ids).toEqual(await brute(here, p.prefix));
            await again.close();
          }
          await Promise.all(replicas.map((r) => r.close()));
        },
      ),
      400,
      { timeout: 10_000 },
    );
  });

  it('reopens from its checkpoint: folding only what came since', async () => {
    const store = memoryStore();
    const log = await openLog({ store });
    let evolved = 0;
    const counting: Projection<number> = {
      initial: () => 0,
      evolve: (n) => (evolved++, n + 1),
      snapshot: { name: 'count', every: 100 },
    };
    for (let i = 0; i < 10; i++)
      await log.append(
        'doc/a',
        Array.from({ length: 100 }, () => ({ type: 't', data: i })),
      );
    const first = await log.project('count', counting);
    expect(first.state).toBe(1000);
    await first.close();
    await log.append(
      'doc/a',
      Array.from({ length: 7 }, () => ({ type: 't', data: 0 })),
    );
    evolved = 0;
    const again = await log.project('count', counting);
    expect(again.state).toBe(1007);
    expect(evolved).toBe(7);
    await again.close();
    await log.close();
  });

  it('keeps one checkpoint per name: one of another format is folded past and replaced', async () => {
    const store = memoryStore();
    const log = await openLog({ store });
    await log.append(
      'doc/a',
      Array.from({ length: 30 }, (_, i) => ({ type: 't', data: i })),
    );
    let evolved = 0;
    const counting = (format: string): Projection<number> => ({
      initial: () => 0,
      evolve: (n) => (evolved++, n + 1),
      snapshot: { name: format, every: 10 },
    });
    const sum: Projection<number> = {
      initial: () => 0,
      evolve: (n, e) => (evolved++, n + (e.data as number)),
      snapshot: { name: 'sum.v2', every: 10 },
    };
    const first = await log.project('figures', counting('count.v1'));
    expect(first.state).toBe(30);
    await first.close();
    // The same name, a new format: the count is not read as a sum.
    evolved = 0;
    const second = await log.project('figures', sum);
    expect(second.state).toBe(435);
    expect(evolved).toBe(30);
    await second.close();
    // Its checkpoint replaced the old one, under the one key.
    const saved = await store.getSnapshot(projectionKeyOf('figures'));
    const { stamp } = saved?.state as { stamp: string };
    expect(saved?.state).toMatchObject({ version: 3, format: 'sum.v2' });
    expect(
      (await store.getSnapshot(projectionStateKeyOf('figures')))?.state,
    ).toEqual({ version: 3, stamp, state: 435 });
    evolved = 0;
    const third = await log.project('figures', sum);
    expect([third.state, evolved]).toEqual([435, 0]);
    await third.close();
    await log.close();
  });

  it('reopens with one read of its checkpoint (its record, its state) and no copy of its state, saving the next one just after', async () => {
    const inner = memoryStore();
    const calls = { get: 0, put: 0, encode: 0 };
    const store: typeof inner = {
      ...inner,
      getSnapshot: (key) => (calls.get++, inner.getSnapshot(key)),
      putSnapshot: (record) => (calls.put++, inner.putSnapshot(record)),
    };
    const log = await openLog({ store });
    let evolved = 0;
    const counting: Projection<{ n: number }> = {
      initial: () => ({ n: 0 }),
      evolve: (s) => (evolved++, s.n++, s),
      snapshot: {
        name: 'count',
        every: 100,
        encode: (s) => (calls.encode++, { ...s }),
        decode: (v) => ({ ...(v as { n: number }) }),
      },
    };
    const append = (count: number) => appendTo(log, 'doc/a', count);
    await append(1000);
    await (await log.project('count', counting)).close();
    // More than a checkpoint's worth since: the catch-up owes one.
    await append(250);
    Object.assign(calls, { get: 0, put: 0, encode: 0 });
    evolved = 0;
    const again = await log.project('count', counting);
    expect(again.state.n).toBe(1250);
    expect(evolved).toBe(250);
    expect(calls).toEqual({ get: 2, put: 0, encode: 0 });
    for (let turn = 0; calls.put === 0; turn++) {
      if (turn > 10_000) throw new Error('the checkpoint owed was never saved');
      await new Promise((resolve) => setImmediate(resolve));
    }
    await again.close(); // nothing since that save: nothing more to write
    expect(calls.put).toBe(2); // the state, then the record naming it
    evolved = 0;
    const third = await log.project('count', counting);
    expect(third.state.n).toBe(1250);
    expect(evolved).toBe(0);
    await third.close();
    await log.close();
  });

  it('reads the events since its checkpoint while the state saved with it is read', async () => {
    const inner = memoryStore();
    let readToEnd = () => {};
    let eventsRead = Promise.resolve(); // the first opening folds from nothing
    const store: typeof inner = {
      ...inner,
      // The state comes only once every event after the checkpoint has been read:
      // an opening that waited for the state before reading on would never open.
      getSnapshot: async (key) => {
        if (key === projectionStateKeyOf('count')) await eventsRead;
        return inner.getSnapshot(key);
      },
      eventsFrom: async function* (from, only) {
        yield* inner.eventsFrom(from, only);
        readToEnd();
      },
      // The same read, in pages (eventPages reads these where a store has them).
      eventPagesFrom: async function* (from, only) {
        yield* inner.eventPagesFrom!(from, only);
        readToEnd();
      },
    };
    const log = await openLog({ store });
    const counting: Projection<number> = {
      initial: () => 0,
      evolve: (n) => n + 1,
      snapshot: { name: 'count', every: 100 },
    };
    const append = (count: number) => appendTo(log, 'doc/a', count);
    await append(300);
    await (await log.project('count', counting)).close();
    await append(1200); // pages of the catch-up: more than one
    eventsRead = new Promise<void>((resolve) => (readToEnd = resolve));
    const again = await log.project('count', counting);
    expect([again.state, again.stats.folded]).toEqual([1500, 1200]);
    await again.close();
    await log.close();
  });

  it("folds from the start when the state saved with its checkpoint is gone or is another save's", async () => {
    const store = memoryStore();
    const log = await openLog({ store });
    const sum: Projection<number> = {
      initial: () => 0,
      evolve: (n, e) => n + (e.data as number),
      snapshot: { name: 'sum', every: 10 },
    };
    const append = (from: number) =>
      log.append(
        'doc/a',
        Array.from({ length: 20 }, (_, i) => ({ type: 't', data: from + i })),
      );
    await append(0);
    await (await log.project('sum', sum)).close();
    const saved = (await store.getSnapshot(projectionStateKeyOf('sum')))!;
    await append(20);
    // Another save's state beside this record (two openings saving at once).
    await (await log.project('sum', sum)).close();
    await store.putSnapshot(saved);
    await append(40);
    const torn = await log.project('sum', sum);
    expect(torn.state).toBe((59 * 60) / 2);
    expect(torn.stats.folded).toBe(60);
    await torn.close();
    // No state at all: the same.
    await store.deleteSnapshot(projectionStateKeyOf('sum'));
    const gone = await log.project('sum', sum);
    expect([gone.state, gone.stats.folded]).toEqual([(59 * 60) / 2, 60]);
    await gone.close();
    // Each replaced it with a whole checkpoint: reopening folds nothing.
    const whole = await log.project('sum', sum);
    expect([whole.state, whole.stats.folded]).toEqual([(59 * 60) / 2, 0]);
    await whole.close();
    await log.close();
  });

  it('refolds from the checkpoint it opened from, read again, and never from one saved over it', async () => {
    const store = memoryStore();
    const here = await openLog({ store, actor: 'here' });
    const there = await openLog({ actor: 'there' });
    await appendTo(here, 'doc/1', 10);
    const every = 5;
    await (await here.project('p', ids(every))).close(); // checkpoint: 10 events
    // Two late events from another replica, each written after everything here
    // so far (it takes in here's events first, and with them its clock) and before
    // what comes next: a third replica that saw it sends here an event of its own
    // first, which brings here's clock past it.
    const yonder = await openLog({ actor: 'yonder' });
    const late = async () => {
      await there.ingest(
        await collect(here.since(await there.versionVector())),
      );
      await appendTo(there, 'doc/2', 1);
      await yonder.ingest(
        await collect(there.since(await yonder.versionVector())),
      );
      await appendTo(yonder, 'notes/1', 1);
      const mine = await collect(yonder.since(await here.versionVector()));
      await here.ingest(mine.filter((e) => e.actor === 'yonder'));
      return (await collect(there.since({}))).at(-1)!;
    };
    const first = await late();
    await appendTo(here, 'doc/1', 3);

    // Opened from the checkpoint; a second opening of the name saves over it.
    const a = await here.project('p', ids(every));
    const b = await here.project('p', ids(every));
    await b.close();
    await here.ingest([first]);
    await caughtUp(a, here);
    expect(a.state.ids).toEqual(await brute(here, undefined));
    await a.close();

    // A late event refolds from the checkpoint it opened from, not from the
    // start: read again from the store, or, once its own save replaced it there,
    // kept from before that save.
    const c = await here.project('p', ids(every));
    const refoldsFew = async (event: LogEvent) => {
      await caughtUp(c, here);
      const before = c.stats.refolded;
      await here.ingest([event]);
      await caughtUp(c, here);
      expect(c.state.ids).toEqual(await brute(here, undefined));
      expect(c.stats.refolded - before).toBeLessThan(c.state.ids.length / 2);
    };
    await refoldsFew(await late());
    const third = await late();
    await appendTo(here, 'doc/1', every);
    await refoldsFew(third);
    await c.close();
    await Promise.all([here.close(), there.close(), yonder.close()]);
  });

  it('tells listeners of each change, and stops when closed', async () => {
    const log = await openLog();
    const handle = await log.project(
      'count',
      { initial: () => 0, evolve: (n: number) => n + 1 },
      { streams: 'doc/' },
    );
    const heard: number[] = [];
    let next!: () => void;
    handle.onChange((n) => {
      heard.push(n);
      next();
    });
    const changed = () => new Promise<void>((resolve) => (next = resolve));
    let change = changed();
    await log.append('doc/a', { type: 't', data: 1 });
    await change;
    change = changed();
    await log.append('notes/a', { type: 't', data: 1 });
    await log.append('doc/b', { type: 't', data: 1 });
    await change;
    expect(heard).toEqual([1, 2]);
    await handle.close();
    await log.append('doc/a', { type: 't', data: 1 });
    expect(handle.state).toBe(2);
    await log.close();
  });

  it('ignores a checkpoint it did not write, and refuses names and options it cannot use', async () => {
    const store = memoryStore();
    const log = await openLog({ store });
    await log.append('doc/a', { type: 't', data: 1 });
    const counting = { initial: () => 0, evolve: (n: number) => n + 1 };
    for (const state of [null, 7, { version: 1, vector: null }, { version: 2 }])
      await store.putSnapshot({
        key: '\u0000project\nbad',
        stream: '',
        pos: 1,
        extra: [],
        after: { hlc: 'x', id: 'y' },
        state,
        takenAt: 0,
      });
    const handle = await log.project('bad', counting);
    expect(handle.state).toBe(1);
    await handle.close();
    for (const [name, projection, options, option] of [
      ['', counting, {}, 'name'],
      ['x'.repeat(257), counting, {}, 'name'],
      ['ok', { initial: 1 }, {}, 'projection'],
      ['ok', counting, { streams: 3 }, 'streams'],
    ] as const) {
      const attempt = log.project(name, projection as never, options as never);
      await expect(attempt).rejects.toBeInstanceOf(InvalidQueryError);
      await expect(attempt).rejects.toMatchObject({ option });
    }
    await log.close();
  });
});
