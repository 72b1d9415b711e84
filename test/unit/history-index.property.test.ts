import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  memoryStore,
  openDocument,
  openLog,
  type LogEvent,
} from '../../src/index.ts';
import {
  DELETED,
  fieldChangeOf,
  HistoryIndex,
  historyEntryOf,
  MAX_PAGE,
  UNDELETED,
} from '../../src/doc/history-index.ts';
import { streamOfDoc } from '../../src/doc/doc-events.ts';
import { compareCanonical } from '../../src/log/store.ts';
import { writerKey } from '../../src/doc/writers.ts';
import { collect } from '../support/records.ts';
import { assertProperty, propertyTimeout } from '../support/property.ts';
import {
  ancestorsBruteForce,
  command,
  runCommands,
  STREAMS,
} from '../support/convergence.ts';

/** A test's time: its sample's in `npm test`; a fuzz run's, with FC_RUNS. */
const TIMEOUT = propertyTimeout(120_000);

const STREAM = STREAMS[0]!;

describe("a document's history index", () => {
  it(
    'serves the pages, heads, jumps and versions of the whole history, kept current as events arrive in any order',
    async () => {
      await assertProperty(
        fc.asyncProperty(
          fc.integer({ min: 2, max: 3 }),
          fc.array(command, { minLength: 10, maxLength: 50 }),
          fc.integer({ min: 0, max: 8 }),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 8 })), {
            minLength: 1,
            maxLength: 4,
          }),
          fc.array(fc.integer({ min: 0, max: 60_000 }), {
            minLength: 3,
            maxLength: 3,
          }),
          fc.integer({ min: 1, max: 6 }),
          // Pages of a few entries: histories of tens of events span many pages, and
          // events from the past land in pages already written.
          fc.integer({ min: 1, max: 5 }),
          async (n, commands, openAfter, asks, lags, every, pageSize) => {
            // Clocks behind by up to a minute: a replica's events reach the others
            // from the past, and sort before events they hold.
            const clock = (i: number) => () => Date.now() - lags[i]!;
            const store = memoryStore();
            const logs = [
              await openLog({ store, actor: 'replica-0', now: clock(0) }),
              ...(await Promise.all(
                Array.from({ length: n - 1 }, (_, i) =>
                  openLog({ actor: `replica-${i + 1}`, now: clock(i + 1) }),
                ),
              )),
            ];
            let index: HistoryIndex | undefined;
            let step = 0;
            /** The index, opened part way through, then asked after every delivery. */
            const check = async () => {
              if (step++ < openAfter) return;
              index ??= await HistoryIndex.open(store, STREAM, {
                every,
                pageSize,
              });
              await index.catchUp();
              const events = (await collect(logs[0]!.read(STREAM))).sort(
                compareCanonical,
              );
              const whole = events.map(historyEntryOf);
              // Opened again: from the snapshot the last one saved, if any, and what came since.
              const again = await HistoryIndex.open(store, STREAM, {
                every,
                pageSize,
              });
              const everything = await again.page(0, MAX_PAGE);
              expect(everything.entries).toEqual(whole);
              expect([...everything.authors].sort()).toEqual(
                [...new Set(whole.map((e) => e.author))].sort(),
              );
              for (const [from, count] of asks) {
                const start = whole.length === 0 ? 0 : from % whole.length;
                const page = await index.page(start, count);
                expect(page.total).toBe(whole.length);
                expect(page.entries).toEqual(whole.slice(start, start + count));
                expect((await index.page('end', count)).entries).toEqual(
                  whole.slice(Math.max(0, whole.length - count)),
                );
                const version = start + 1;
                if (whole.length > 0) {
                  await expectHeads(index, events, version);
                  await expectHeads(again, events, version);
                  await expectVersionOf(index, events, version);
                  await expectVersionOf(again, events, version);
                }
                // Jumps: to the next version ending with an event by that author.
                const author = whole[start]?.author;
                if (author !== undefined) {
                  const next = whole.findIndex(
                    (e, i) => i >= version && e.author === author,
                  );
                  expect(
                    await index.jump({
                      to: 'author',
                      author,
                      from: version,
                      step: 1,
                    }),
                  ).toBe(next < 0 ? undefined : next + 1);
                }
                const group = whole
                  .slice(start, start + count)
                  .map((e) => e.id);
                expect(
                  await index.jump({
                    to: 'group',
                    groups: [group],
                    from: 0,
                    step: 1,
                  }),
                ).toBe(group.length > 0 ? version : undefined);
              }
            };
            await runCommands(logs, commands, {
              appended: check,
              synced: check,
            });
          },
        ),
        100,
      );
    },
    TIMEOUT,
  );
});

/** A prefix of a canonical order is closed under parents: its heads are its events no other of it names. */
async function expectHeads(
  index: HistoryIndex,
  events: LogEvent[],
  version: number,
): Promise<void> {
  const prefix = events.slice(0, version);
  const byId = new Map(events.map((e) => [e.id, e]));
  const heads = await index.heads(version);
  // The heads' ancestors are exactly the prefix.
  expect([...ancestorsBruteForce(byId, heads)].sort()).toEqual(
    prefix.map((e) => e.id).sort(),
  );
  expect(heads).toEqual(
    prefix
      .filter((e) => !prefix.some((other) => other.parents.includes(e.id)))
      .map((e) => e.id)
      .sort(),
  );
}

/**
 * A version's heads name it (what a restore's line in the history says), and its
 * last event alone names it only when it is the one head.
 */
async function expectVersionOf(
  index: HistoryIndex,
  events: LogEvent[],
  version: number,
): Promise<void> {
  const byId = new Map(events.map((e) => [e.id, e]));
  const heads = await index.heads(version);
  expect(await index.versionOf(heads.map((id) => byId.get(id)!))).toBe(version);
  expect(await index.versionOf([events[version - 1]!])).toBe(
    heads.length === 1 ? version : undefined,
  );
}

describe("a history index's authors", () => {
  it('are writers: two devices under one label are two, each jumped to alone', async () => {
    const store = memoryStore();
    const laptop = await openLog({ store, actor: 'laptop' });
    const phone = await openLog({ actor: 'phone' });
    for (const [log, i] of [
      [laptop, 0],
      [phone, 1],
      [laptop, 2],
    ] as const) {
      await log.append(STREAM, {
        type: 'test.appended',
        data: i,
        author: 'Tab 1',
      });
      await (log === laptop ? phone : laptop).ingest(
        await collect(log.read(STREAM)),
      );
    }
    const index = await HistoryIndex.open(store, STREAM, { every: 1 });
    await index.catchUp();
    const { authors } = await index.page(0, MAX_PAGE);
    expect([...authors].sort()).toEqual([
      writerKey({ actor: 'laptop', author: 'Tab 1' }),
      writerKey({ actor: 'phone', author: 'Tab 1' }),
    ]);
    // From the last version back, the phone's edit is the second.
    expect(
      await index.jump({
        to: 'author',
        author: writerKey({ actor: 'phone', author: 'Tab 1' }),
        from: 3,
        step: -1,
      }),
    ).toBe(2);
  });
});

describe("a history index's snapshot", () => {
  it('is read from the events again when its head or a page is malformed, whatever is wrong with it', async () => {
    const store = memoryStore();
    const log = await openLog({ store, actor: 'desk' });
    for (let i = 0; i < 11; i++)
      await log.append(STREAM, { type: 'test.appended', data: { i } });
    const events = await collect(log.read(STREAM));
    const whole = events.map(historyEntryOf);
    // Pages of 4: two pages and a tail of 3.
    const options = { every: 1_000, pageSize: 4 };
    const saved = await HistoryIndex.open(store, STREAM, {
      ...options,
      every: 1,
    });
    expect((await saved.page(0, MAX_PAGE)).entries).toEqual(whole);
    const headKey = `${STREAM}\nhistory`;
    const pageKey = `${STREAM}\nhistory.page.1`;
    const head = (await store.getSnapshot(headKey))!;
    const page = (await store.getSnapshot(pageKey))!;
    const page0 = (await store.getSnapshot(`${STREAM}\nhistory.page.0`))!
      .state as Record<string, unknown>;
    const h = head.state as Record<string, unknown>;
    const tail = h.tail as Record<string, unknown>;
    const p = page.state as Record<string, unknown>;
    const run = p.run as Record<string, unknown>;
    const broken: [typeof head, unknown][] = [
      // Older formats: 3 named authors by label alone.
      [head, { ...h, version: 2 }],
      [head, { ...h, version: 3 }],
      // 4 did not say what a field's write changed.
      [head, { ...h, version: 4 }],
      [head, { ...h, version: 6 }],
      [head, { ...h, pageSize: 5 }],
      [head, { ...h, pages: [{ stamp: 'x' }] }],
      [head, { ...h, tail: { ...tail, ids: 'one two' } }],
      [head, { ...h, tail: { ...tail, parents: new Int32Array([2, 2, 2]) } }],
      [head, { ...h, tail: { ...tail, parents: new Int32Array([-9, 0, 1]) } }],
      [head, { ...h, tail: { ...tail, timeEnds: [24, 48, 72] } }],
      [head, null],
      // A page written by a save whose head was not: another page's entries.
      [page, { ...page0, stamp: (p.stamp as number) + 1 }],
      [page, { ...p, run: { ...run, ids: (run.ids as string).slice(1) } }],
      [page, { ...p, run: { ...run, typeOf: new Uint32Array([9, 9, 9, 9]) } }],
      [
        page,
        { ...p, run: { ...run, fieldOf: new Int32Array([0, -1, -1, -1]) } },
      ],
      [
        page,
        { ...p, run: { ...run, fieldOf: new Int32Array([-2, -1, -1, -1]) } },
      ],
      [page, { ...p, run: { ...run, fields: [7] } }],
      [page, { ...p, run: { ...run, fieldOf: [-1, -1, -1, -1] } }],
      [page, { ...p, run: { ...run, hlcs: (run.hlcs as string).slice(1) } }],
      [page, null],
    ];
    for (const [record, state] of broken) {
      await store.putSnapshot({ ...record, state });
      const index = await HistoryIndex.open(store, STREAM, options);
      expect((await index.page(0, MAX_PAGE)).entries).toEqual(whole);
      await expectHeads(index, events, 6);
      expect(
        await index.jump({
          to: 'author',
          author: writerKey({ actor: 'desk' }),
          from: 9,
          step: -1,
        }),
      ).toBe(8);
      await store.putSnapshot(record);
    }
  });

  it("says what each field's write changed, from the events and from its records alike", async () => {
    const store = memoryStore();
    const log = await openLog({ store, actor: 'desk' });
    const doc = await openDocument(log, 'named', { author: 'Ana' });
    await doc.setField('title', 'Plan');
    await doc.editText(0, 0, 'Words.');
    await doc.setField('status', 'draft');
    await doc.delete();
    await doc.undelete();
    const stream = streamOfDoc('named');
    const fields = [null, 'title', null, 'status', DELETED, UNDELETED];
    const fromEvents = (await collect(log.read(stream))).map(
      (e) => historyEntryOf(e).field ?? null,
    );
    expect(fromEvents.slice(-5)).toEqual(fields.slice(-5));
    // Saved as records, then read back from them alone.
    const saved = await HistoryIndex.open(store, stream, { every: 1 });
    await saved.catchUp();
    const reopened = await HistoryIndex.open(store, stream);
    const entries = (await reopened.page(0, MAX_PAGE)).entries;
    expect(entries.map((e) => e.field ?? null)).toEqual(fromEvents);
    // A record whose entry names a field it does not hold is read from the events.
    const head = (await store.getSnapshot(`${stream}\nhistory`))!;
    const state = head.state as { tail: { fieldOf: Int32Array } };
    const fieldOf = state.tail.fieldOf.slice();
    fieldOf[fieldOf.findIndex((f) => f >= 0)] = 99;
    await store.putSnapshot({
      ...head,
      state: { ...state, tail: { ...state.tail, fieldOf } },
    });
    const repaired = await HistoryIndex.open(store, stream);
    expect(
      (await repaired.page(0, MAX_PAGE)).entries.map((e) => e.field ?? null),
    ).toEqual(fromEvents);
    // Another replica's reserved name is no deletion.
    expect(
      fieldChangeOf({
        ...(await collect(log.read(stream))).at(-1)!,
        data: { field: '@undeleted', value: true, supersedes: [] },
      }),
    ).toBe('@');
  });

  it('jumps to the document as it was at a time: the last version written by then', async () => {
    let now = Date.parse('2026-12-04T09:00:00Z');
    const store = memoryStore();
    const log = await openLog({ store, actor: 'desk', now: () => now });
    const times: number[] = [];
    for (let i = 0; i < 11; i++) {
      now += 1000;
      const [stored] = await log.append(STREAM, { type: 't', data: i });
      times.push(Date.parse(stored!.event.time));
    }
    // Pages of three: the search crosses pages, and ends in the tail after them.
    const index = await HistoryIndex.open(store, STREAM, {
      every: 1,
      pageSize: 3,
    });
    await index.catchUp();
    const events = await collect(log.read(STREAM));
    expect(events.map((e) => Date.parse(e.time))).toEqual(times);
    for (let t = times[0]! - 500; t <= times.at(-1)! + 500; t += 250) {
      const written = times.filter((at) => at <= t).length;
      expect(
        await index.jump({ to: 'time', time: t }),
        `at ${new Date(t).toISOString()}`,
      ).toBe(written === 0 ? undefined : written);
    }
    await log.close();
  });

  it('opens from its head record, and reads only the pages a request reaches', async () => {
    const inner = memoryStore();
    const log = await openLog({ store: inner, actor: 'desk' });
    for (let i = 0; i < 50; i++)
      await log.append(STREAM, { type: 'test.appended', data: { i } });
    const saving = await HistoryIndex.open(inner, STREAM, {
      every: 1,
      pageSize: 8,
    });
    // An event from the past (a clock a minute behind) lands in page 0: the pages
    // from there on are written again.
    const phone = await openLog({
      actor: 'phone',
      now: () => Date.now() - 60_000,
    });
    await phone.append(STREAM, { type: 'test.appended', data: 'late' });
    await log.ingest(await collect(phone.read(STREAM)));
    await saving.catchUp();
    const events = await collect(log.read(STREAM));
    const whole = events.map(historyEntryOf);
    expect(whole[0]!.author).toBe(writerKey({ actor: 'phone' }));
    const read: string[] = [];
    const store: typeof inner = {
      ...inner,
      getSnapshot: (key) => {
        read.push(key.split('\n')[1]!);
        return inner.getSnapshot(key);
      },
      // Served from the pages: never read from the events again.
      streamEvents: () => {
        throw new Error('read from the events');
      },
    };
    const index = await HistoryIndex.open(store, STREAM, {
      every: 1_000,
      pageSize: 8,
    });
    expect(read).toEqual(['history']);
    // The last rows: the last full page (48 = 6 pages of 8) and the tail.
    expect((await index.page('end', 4)).entries).toEqual(whole.slice(47));
    expect(read).toEqual(['history', 'history.page.5']);
    // Heads at 21: from the heads kept at 16, with page 2's entries.
    await expectHeads(index, events, 21);
    expect(read).toEqual(['history', 'history.page.5', 'history.page.2']);
    expect((await index.page(0, MAX_PAGE)).entries).toEqual(whole);
  });

  it('reads a page asked for twice at once once, and keeps none that an event from the past moved meanwhile', async () => {
    const inner = memoryStore();
    const log = await openLog({ store: inner, actor: 'desk' });
    for (let i = 0; i < 20; i++)
      await log.append(STREAM, { type: 'test.appended', data: { i } });
    const saving = await HistoryIndex.open(inner, STREAM, {
      every: 1,
      pageSize: 4,
    });
    await saving.catchUp();
    // Page 3's first read waits until the test lets it go; every read is counted.
    const PAGE_3 = `${STREAM}\nhistory.page.3`;
    const reads: string[] = [];
    let letGo: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (letGo = resolve));
    let holding = true;
    const store: typeof inner = {
      ...inner,
      getSnapshot: async (key) => {
        reads.push(key.split('\n')[1]!);
        if (key === PAGE_3 && holding) {
          holding = false;
          await held;
        }
        return inner.getSnapshot(key);
      },
    };
    // Opened from its pages, none in memory yet.
    const index = await HistoryIndex.open(store, STREAM, {
      every: 1_000,
      pageSize: 4,
    });
    const [rows, heads] = [index.page(12, 4), index.heads(14)];
    // The next macrotask: every read either done or waiting on page 3's.
    await new Promise((resolve) => setImmediate(resolve));
    expect(reads.filter((r) => r === 'history.page.3')).toEqual([
      'history.page.3',
    ]);
    // Meanwhile an event from the past (a clock a minute behind) sorts before every
    // page: taking it in moves the pages back into the tail, page 3 among them.
    const phone = await openLog({
      actor: 'phone',
      now: () => Date.now() - 60_000,
    });
    await phone.append(STREAM, { type: 'test.appended', data: 'late' });
    await log.ingest(await collect(phone.read(STREAM)));
    const caughtUp = index.catchUp();
    await Promise.race([
      caughtUp,
      new Promise((resolve) => setImmediate(resolve)),
    ]);
    letGo();
    await Promise.all([rows, heads, caughtUp]);
    const events = await collect(log.read(STREAM));
    const whole = events.map(historyEntryOf);
    expect(whole[0]!.author).toBe(writerKey({ actor: 'phone' }));
    // The rows asked for before the event came: the history as it was then, or as
    // it is now, either whole.
    const { total, entries } = await rows;
    const then = total === whole.length ? whole : whole.slice(1);
    expect(then.length).toBe(total);
    expect(entries).toEqual(then.slice(12, 16));
    const all = await index.page(0, MAX_PAGE);
    expect(all.total).toBe(whole.length);
    expect(all.entries).toEqual(whole);
    await expectHeads(index, events, 15);
    await log.close();
    await phone.close();
  });
});
