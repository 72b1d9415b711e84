import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  memoryStore,
  openDocument,
  openLog,
  streamOfDoc,
  type Log,
  type Store,
} from '../../src/index.ts';
import { compareCanonical } from '../../src/log/store.ts';
import {
  FOLDED_AT_ONCE,
  loadDocument,
  summaryOf,
} from '../../src/doc/document-snapshots.ts';
import { collect } from '../support/records.ts';

const STREAM = streamOfDoc('notes');

/** A log whose clock the test moves: `at(ms)` before each write. */
async function replica(actor: string) {
  let time = Date.UTC(2026, 0, 1);
  const store = memoryStore();
  const log = await openLog({ store, actor, now: () => time });
  const doc = await openDocument(log, 'notes', { author: actor });
  return { store, log, doc, at: (ms: number) => (time = ms) };
}

const textOf = (state: Uint8Array) => {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, state);
  return doc.getText('body').toString();
};

const errors: unknown[] = [];
const load = (store: Store, every = Infinity) =>
  loadDocument(store, STREAM, {
    text: true,
    every,
    onIgnoredError: (e) => errors.push(e),
  });

/** What folding every event from scratch gives, with no snapshot to start from. */
async function fullReplay(log: Log, store: Store) {
  await store.clearSnapshots();
  const loaded = await load(store);
  expect(loaded.folded).toBe((await collect(log.read(STREAM))).length);
  return loaded;
}

describe('opening a document from its snapshot', () => {
  it('gives the full replay, with events that arrived after the snapshot and sort before it', async () => {
    const desk = await replica('desk');
    const laptop = await replica('laptop');
    const base = Date.UTC(2026, 0, 1, 9);
    desk.at(base);
    await desk.doc.setField('title', 'Notes');
    await desk.doc.editText(0, 0, 'Shared start. ');
    laptop.at(base);
    await laptop.log.ingest(await collect(desk.log.since({})));

    // The laptop edits offline, early; the desk goes on later and snapshots.
    laptop.at(base + 1_000);
    await laptop.doc.editText(0, 0, 'Laptop first. ');
    await laptop.doc.setField('title', 'Laptop notes');
    for (let i = 0; i < 12; i++) {
      desk.at(base + 60_000 + i);
      await desk.doc.editText(0, 0, `d${i} `);
    }
    const snapshotted = await load(desk.store, 5);
    expect(snapshotted.folded).toBe(14);
    const snapshot = await desk.store.getSnapshot(`${STREAM}\ndoc.open`);
    expect(snapshot?.pos).toBe(snapshotted.position);

    const fromLaptop = await collect(laptop.log.since({ desk: 14 }));
    const [last] = await collect(desk.log.read(STREAM)).then((e) =>
      e.slice(-1),
    );
    expect(fromLaptop.every((e) => compareCanonical(e, last!) < 0)).toBe(true);
    await desk.log.ingest(fromLaptop);
    desk.at(base + 120_000);
    await desk.doc.editText(0, 0, 'After. ');

    const opened = await load(desk.store);
    expect(opened.folded).toBe(3);
    const replayed = await fullReplay(desk.log, desk.store);
    expect(textOf(opened.text!)).toBe(textOf(replayed.text!));
    expect(opened.plain).toBe(textOf(opened.text!));
    expect(replayed.plain).toBe(textOf(replayed.text!));
    expect(opened.heads).toEqual(replayed.heads);
    expect(opened.heads).toEqual(await desk.log.heads(STREAM));
    expect(opened.position).toBe(replayed.position);
    expect(summaryOf(opened.registers)).toEqual(summaryOf(replayed.registers));
    const view = await desk.doc.view();
    expect(textOf(opened.text!)).toBe(view.text);
    expect(view.text).toContain('Laptop first. ');
    expect(summaryOf(opened.registers).title.sort()).toEqual(
      [...(view.fields.title as string[])].sort(),
    );
    expect(errors).toEqual([]);
  });

  it('saves a snapshot only after enough new events, and reads nothing more after it', async () => {
    const desk = await replica('desk');
    desk.at(Date.UTC(2026, 0, 1, 9));
    for (let i = 0; i < 4; i++) await desk.doc.editText(0, 0, `${i}`);
    expect((await load(desk.store, 5)).folded).toBe(4);
    expect(await desk.store.getSnapshot(`${STREAM}\ndoc.open`)).toBeUndefined();
    await desk.doc.editText(0, 0, '4');
    expect((await load(desk.store, 5)).folded).toBe(5);
    const again = await load(desk.store, 5);
    expect(again.folded).toBe(0);
    expect(textOf(again.text!)).toBe('43210');
    // The string comes from the snapshot record itself, heard before the state is read.
    const saved = await desk.store.getSnapshot(`${STREAM}\ndoc.open`);
    expect(saved?.state).toMatchObject({ version: 6, plain: '43210' });
    expect(saved?.state).not.toHaveProperty('text');
    const heard: string[] = [];
    const reads: string[] = [];
    const watched: Store = {
      ...desk.store,
      getSnapshot: (key) => {
        reads.push(key.split('\n')[1]!);
        return desk.store.getSnapshot(key);
      },
    };
    const opened = await loadDocument(watched, STREAM, {
      text: true,
      onIgnoredError: (e) => errors.push(e),
      onText: (text) => {
        heard.push(text);
        reads.push('(text heard)');
      },
    });
    expect(heard).toEqual(['43210']);
    expect(reads).toEqual(['doc.open', '(text heard)', 'doc.open.state']);
    expect(textOf(opened.text!)).toBe('43210');
  });

  it('folds from scratch when the state record is missing or of another snapshot', async () => {
    const desk = await replica('desk');
    for (let i = 0; i < 5; i++) await desk.doc.editText(0, 0, `${i}`);
    await load(desk.store, 5);
    const stateKey = `${STREAM}\ndoc.open.state`;
    const state = (await desk.store.getSnapshot(stateKey))!;
    await desk.store.putSnapshot({ ...state, takenAt: state.takenAt - 1 });
    const opened = await load(desk.store);
    expect(opened.folded).toBe(5);
    expect(textOf(opened.text!)).toBe('43210');
    expect(opened.plain).toBe('43210');
  });

  it('opens a snapshot of version 3 (state inside, no string), and gives the string too', async () => {
    const desk = await replica('desk');
    for (let i = 0; i < 5; i++) await desk.doc.editText(0, 0, `${i}`);
    await load(desk.store, 5);
    const key = `${STREAM}\ndoc.open`;
    const saved = (await desk.store.getSnapshot(key))!;
    const text = (
      (await desk.store.getSnapshot(`${key}.state`))!.state as {
        text: Uint8Array;
      }
    ).text;
    const { plain, ...older } = saved.state as Record<string, unknown>;
    expect(plain).toBe('43210');
    await desk.store.putSnapshot({
      ...saved,
      state: { ...older, text, version: 3 } as never,
    });
    const opened = await load(desk.store, 5);
    expect(opened.folded).toBe(0);
    expect(opened.plain).toBe('43210');
  });

  it('ignores a snapshot record it did not write, and folds from scratch', async () => {
    const desk = await replica('desk');
    await desk.doc.editText(0, 0, 'kept');
    await desk.store.putSnapshot({
      key: `${STREAM}\ndoc.open`,
      stream: STREAM,
      pos: 99,
      extra: [],
      after: null,
      state: { version: 2, text: new Uint8Array(0), writes: [], heads: [] },
      takenAt: 0,
    });
    const opened = await load(desk.store);
    expect(opened.folded).toBe(1);
    expect(textOf(opened.text!)).toBe('kept');
  });
});

describe('opening a long document with no snapshot', () => {
  it('folds it a run at a time, letting other tasks run between runs', async () => {
    const desk = await replica('desk');
    const length = 2 * FOLDED_AT_ONCE + 10;
    for (let i = 0; i < length; i++)
      await desk.doc.editText(i, 0, 'abcdefghij'[i % 10]!);
    await desk.store.clearSnapshots();
    // Another task of the thread, queued again each time it runs.
    let ran = 0;
    let ticking = true;
    const tick = () => {
      ran++;
      if (ticking) setTimeout(tick, 0);
    };
    setTimeout(tick, 0);
    const { plain } = await load(desk.store);
    ticking = false;
    expect(plain).toBe('abcdefghij'.repeat(length / 10 + 1).slice(0, length));
    // At least once between each two of its three runs.
    expect(ran).toBeGreaterThanOrEqual(2);
  });
});

describe("a document's checkpoints", () => {
  /** A document of ten one-character edits, folded with a checkpoint every four. */
  async function typed() {
    const desk = await replica('desk');
    const versions: string[][] = [];
    for (let i = 0; i < 10; i++) {
      await desk.doc.editText(i, 0, `${i}`);
      versions.push(await desk.log.heads(STREAM));
    }
    const open = () =>
      openDocument(desk.log, 'notes', {
        snapshotEvery: 5,
        checkpointEvery: 4,
      });
    await (await open()).view();
    return { ...desk, versions, open };
  }

  it('are kept each time enough events came past the last, and an old version is read from the latest one before it', async () => {
    const { store, versions, open } = await typed();
    const list = await store.getSnapshot(`${STREAM}\ndoc.checkpoints`);
    expect(
      (list?.state as { checkpoints: { pos: number }[] }).checkpoints.map(
        (c) => c.pos,
      ),
    ).toEqual([4, 8]);
    // Version 7 (seven edits): the checkpoint at 4, then the three events after it
    // looked up one by one; the stream is not read.
    const reads: string[] = [];
    const doc = await openDocument(
      await openLog({
        store: {
          ...store,
          streamEvents: (stream) => (
            reads.push(stream),
            store.streamEvents(stream)
          ),
        },
        actor: 'desk',
      }),
      'notes',
    );
    expect((await doc.summary({ at: versions[6]! })).text).toBe('0123456');
    expect(reads).toEqual([]);
    for (const [i, heads] of versions.entries())
      expect((await (await open()).summary({ at: heads })).text).toBe(
        '0123456789'.slice(0, i + 1),
      );
  });

  it('keep steps between them, each a delta on the one before, and an old version is read from a whole one and its steps, with no event between it and them read', async () => {
    const { store, log, versions } = await typed();
    const open = () =>
      openDocument(log, 'notes', {
        snapshotEvery: 5,
        checkpointEvery: 4,
        checkpointStep: 1,
      });
    await store.clearSnapshots();
    await (await open()).view();
    const list = await store.getSnapshot(`${STREAM}\ndoc.checkpoints`);
    // Whole at 4 and 8; steps from the checkpoint this fold wrote before.
    expect(
      (list?.state as { checkpoints: { pos: number; base?: number }[] })
        .checkpoints,
    ).toMatchObject([
      { pos: 4 },
      { pos: 5, base: 4 },
      { pos: 6, base: 5 },
      { pos: 7, base: 6 },
      { pos: 8 },
      { pos: 9, base: 8 },
      { pos: 10, base: 9 },
    ]);
    const looked: string[] = [];
    const counted = await openLog({
      store: {
        ...store,
        event: (id) => (looked.push(id), store.event(id)),
        // A record taken from memory is looked at too.
        eventInMemory: (id) => {
          const record = store.eventInMemory!(id);
          if (record) looked.push(id);
          return record;
        },
        async *eventsFrom(from, only) {
          for await (const record of store.eventsFrom(from, only)) {
            looked.push(record.event.id);
            yield record;
          }
        },
      },
      actor: 'desk',
    });
    const doc = await openDocument(counted, 'notes');
    expect((await doc.summary({ at: versions[6]! })).text).toBe('0123456');
    // The version's heads, to place it; of the rest, only the event after it, where
    // a read of what came after the checkpoint stops: nothing between the two.
    const after = await collect(store.eventsFrom(8));
    expect(new Set(looked)).toEqual(
      new Set([...versions[6]!, after[0]!.event.id]),
    );
    for (const [i, heads] of versions.entries())
      expect((await (await open()).summary({ at: heads })).text).toBe(
        '0123456789'.slice(0, i + 1),
      );
    // A step that does not read ends its chain at the one before it; a list whose
    // bases make a loop is read as far as it goes back.
    const six = (await store.getSnapshot(`${STREAM}\ndoc.checkpoint.6`))!;
    await store.putSnapshot({
      ...six,
      state: { ...(six.state as object), steps: ['not bytes'] },
    });
    const listed = list!.state as { checkpoints: { base?: number }[] };
    listed.checkpoints[3]!.base = 10;
    listed.checkpoints[6]!.base = 7;
    await store.putSnapshot({ ...list!, state: listed });
    for (const [i, heads] of versions.entries())
      expect((await (await open()).summary({ at: heads })).text).toBe(
        '0123456789'.slice(0, i + 1),
      );
  });

  it('are ignored when their list or a record is not one this module wrote', async () => {
    const { store, versions, open } = await typed();
    await store.putSnapshot({
      key: `${STREAM}\ndoc.checkpoint.8`,
      stream: STREAM,
      pos: 8,
      extra: [],
      after: null,
      state: { version: 1, text: 'not bytes', writes: [], heads: [] },
      takenAt: 0,
    });
    expect((await (await open()).summary({ at: versions[8]! })).text).toBe(
      '012345678',
    );
    const list = (await store.getSnapshot(`${STREAM}\ndoc.checkpoints`))!;
    await store.putSnapshot({
      ...list,
      state: { version: 1, checkpoints: [{ pos: 'x' }, null, 7] },
    });
    expect((await (await open()).summary({ at: versions[5]! })).text).toBe(
      '012345',
    );
  });
});

describe('a document handle opened from its snapshot', () => {
  it('lists no conflict at a version whose heads hold none of its events, though the stream has one now', async () => {
    const desk = await replica('desk');
    const phone = await replica('phone');
    await desk.doc.editText(0, 0, 'abc');
    await phone.log.ingest(await collect(desk.log.read(STREAM)));
    // Folded from the snapshot, which the first view saves: positions, not ids.
    const opened = await openDocument(desk.log, 'notes', { snapshotEvery: 1 });
    const before = await opened.view();
    expect(before.conflicts).toEqual([]);
    // Then both write at once, and the desk merges the two.
    await phone.doc.editText(3, 0, ' phone');
    await desk.doc.editText(0, 0, 'desk ');
    await desk.log.ingest(await collect(phone.log.read(STREAM)));
    await desk.doc.editText(0, 0, '!');
    expect((await opened.view()).conflicts).toHaveLength(1);
    // The cached state at the earlier heads holds neither side.
    expect((await opened.view({ at: before.heads })).conflicts).toEqual([]);
  });
});

describe("a document's conflicts, remembered at its current heads", () => {
  it('are read back, with no event looked up, by a handle opened later on the same heads; and computed again once the heads move', async () => {
    const desk = await replica('desk');
    const phone = await replica('phone');
    await desk.doc.editText(0, 0, 'abc');
    await phone.log.ingest(await collect(desk.log.read(STREAM)));
    await phone.doc.editText(3, 0, ' phone');
    await phone.doc.setField('title', 'Phone');
    await desk.doc.editText(0, 0, 'desk ');
    await desk.doc.setField('title', 'Desk');
    await desk.log.ingest(await collect(phone.log.read(STREAM)));
    const first = await desk.doc.view();
    expect(first.conflicts.map((c) => c.kind).sort()).toEqual([
      'field',
      'text',
    ]);
    // A second handle over the same store, counting what it looks up.
    let lookups = 0;
    const counted: Store = {
      ...desk.store,
      event: (id) => (lookups++, desk.store.event(id)),
    };
    const log = await openLog({ store: counted, actor: 'desk' });
    const again = await openDocument(log, 'notes');
    expect((await again.view()).conflicts).toEqual(first.conflicts);
    expect(lookups).toBe(0);
    // Moved on: the title conflict is resolved, and that is what it shows.
    await again.setField('title', 'Both');
    const moved = await again.view();
    expect(moved.conflicts.find((c) => c.kind === 'field')?.state).toBe(
      'resolved',
    );
    expect(lookups).toBeGreaterThan(0);
  });

  it('are computed when the remembered record is not one this module wrote', async () => {
    const desk = await replica('desk');
    await desk.doc.editText(0, 0, 'abc');
    const heads = await desk.log.heads(STREAM);
    await desk.store.putSnapshot({
      key: `${STREAM}\ndoc.conflicts`,
      stream: STREAM,
      pos: 0,
      extra: [],
      after: null,
      state: { version: 1, heads, conflicts: [{ kind: 'bogus' }] },
      takenAt: 0,
    });
    const opened = await openDocument(desk.log, 'notes');
    expect((await opened.view()).conflicts).toEqual([]);
  });
});
