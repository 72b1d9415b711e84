import fc from 'fast-check';
import * as Y from 'yjs';
import { describe, expect, it, vi } from 'vitest';
import {
  LIMITS,
  openDocument,
  openLog,
  TEXT_EDITED,
  textUpdateOf,
} from '../../src/index.ts';
import type {
  AppendResult,
  DocumentHandle,
  EventId,
  Log,
  LogEvent,
} from '../../src/index.ts';
import {
  LiveDocument,
  MAX_DELAY_MS,
  valuesHeld,
  type FieldValues,
  type LiveDocumentOptions,
} from '../../src/ui/live-document.ts';
import type {
  OpenTypingChannel,
  TypingMessage,
} from '../../src/ui/typing-share.ts';
import { storeOf } from '../../src/log/log.ts';
import { conflictChanges } from '../../src/doc/conflict-changes.ts';
import { documentService } from '../support/document-service.ts';
import { assertProperty, propertyTimeout } from '../support/property.ts';
import { collect } from '../support/records.ts';
import { clientsOf, forgedUnder } from '../support/forgery.ts';

const STREAM = 'doc/live';

/** What a tab's send does: append its update as a text edit against `expected`. */
async function appendEdit(
  log: Log,
  author: string,
  update: Uint8Array,
  expected: EventId[],
): Promise<AppendResult> {
  return (
    await log.append(
      STREAM,
      { type: TEXT_EDITED, data: update, author },
      { expected },
    )
  )[0]!;
}

/** Runs `test` on vitest's fake timers, then puts the real ones back. */
function withFakeTimers(test: () => Promise<void>): () => Promise<void> {
  return async () => {
    vi.useFakeTimers();
    try {
      await test();
    } finally {
      vi.useRealTimers();
    }
  };
}

/** A tab: a LiveDocument over a shared log, with deliveries pulled in position order. */
/**
 * The page's part in undoing a restore: it writes the fields an undo or redo names
 * (here, into its own copy of the document's fields, `written` listing each
 * write) and answers with what they held. `hold` takes the document's fields as
 * the page's view shows them once the restore is in.
 */
function fieldsPage() {
  const written: FieldValues[] = [];
  let held: FieldValues = {};
  return {
    written,
    async hold(doc: DocumentHandle) {
      held = (await doc.view()).fields;
    },
    onFieldsUndone(fields: FieldValues): FieldValues {
      const before = valuesHeld(Object.keys(fields), held);
      held = { ...held, ...fields };
      written.push(fields);
      return before;
    },
  };
}

/**
 * A tab, with the page's part in undoing restores (`fieldsPage`), over a document
 * whose title is in conflict: "Plan A" and "Plan B", both written on "Plan" (at the
 * heads `plan`).
 */
async function titleInConflict() {
  const log = await seeded();
  const page = fieldsPage();
  const a = await tab(log, 'Tab 1', { onFieldsUndone: page.onFieldsUndone });
  const doc = await openDocument(log, 'live');
  await doc.setField('title', 'Plan');
  const plan = await log.heads(STREAM);
  await doc.setField('title', 'Plan A', { at: plan });
  await doc.setField('title', 'Plan B', { at: plan });
  return { log, page, a, doc, plan };
}

async function tab(
  log: Log,
  author: string,
  overrides: Partial<LiveDocumentOptions> = {},
) {
  const events = await collect(log.read(STREAM));
  const doc = new Y.Doc();
  for (const e of events) {
    const u = textUpdateOf(e);
    if (u) Y.applyUpdate(doc, u);
  }
  let delivered = (await collect(log.since({}))).length;
  const live = new LiveDocument({
    state: Y.encodeStateAsUpdate(doc),
    heads: await log.heads(STREAM),
    included: [],
    send: async (update, expected) =>
      await appendEdit(log, author, update, expected),
    ...overrides,
  });
  return {
    live,
    type: (index: number, text: string) =>
      live.edit([{ index, deleteCount: 0, insert: text }]),
    async deliver() {
      const all = await collect(log.since({}));
      live.receive(all.slice(delivered));
      delivered = all.length;
    },
  };
}

async function seeded() {
  const log = await openLog({ actor: 'profile' });
  await log.append(STREAM, {
    type: TEXT_EDITED,
    data: Y.encodeStateAsUpdate(textDoc('hello')),
    author: 'seed',
  });
  return log;
}

function textDoc(text: string): Y.Doc {
  const doc = new Y.Doc();
  doc.getText('body').insert(0, text);
  return doc;
}

/** A view of the text kept as a textarea keeps it: own typing in place, the rest from `takeRemoteChanges`. */
function applyDeltas(
  shown: string,
  deltas: ReturnType<LiveDocument['takeRemoteChanges']>,
): string {
  for (const delta of deltas) {
    let at = 0;
    for (const op of delta) {
      if (op.retain) at += op.retain;
      else if (typeof op.insert === 'string') {
        shown = shown.slice(0, at) + op.insert + shown.slice(at);
        at += op.insert.length;
      } else if (op.delete)
        shown = shown.slice(0, at) + shown.slice(at + op.delete);
    }
  }
  return shown;
}

/** The side `writer` has in the collision since `base`, as Compare gets it. */
async function sideSince(log: Log, base: EventId[], writer: string) {
  const changes = await conflictChanges(
    log,
    STREAM,
    base,
    await log.heads(STREAM),
  );
  return changes.sides.find((side) => side.writer === writer)!.edits;
}

/**
 * Tabs `a` and `b` edit "hello" at once, neither seeing the other (" world" at the
 * end, the "h" replaced by "J"), and every tab of `all` receives both: "Jello world".
 */
async function collide(
  a: Awaited<ReturnType<typeof tab>>,
  b: Awaited<ReturnType<typeof tab>>,
  all: Awaited<ReturnType<typeof tab>>[],
) {
  a.type(5, ' world');
  b.live.edit([{ index: 0, deleteCount: 1, insert: 'J' }]);
  await a.live.flush();
  await b.live.flush();
  for (const t of all) await t.deliver();
}

describe('a tab editing live', () => {
  it("gives someone else's changes as deltas that bring a view from what it showed to the text, its own typing left out", async () => {
    const log = await seeded();
    const [a, b] = [await tab(log, 'Tab 1'), await tab(log, 'Tab 2')];
    let shown = a.live.text.toString();
    expect(a.live.takeRemoteChanges()).toEqual([]);
    b.type(0, '<< ');
    b.live.edit([{ index: 4, deleteCount: 2, insert: '' }]);
    await b.live.flush();
    a.type(5, '!'); // typed here: already in the view
    shown = shown.slice(0, 5) + '!' + shown.slice(5);
    await a.deliver();
    shown = applyDeltas(shown, a.live.takeRemoteChanges());
    expect(shown).toBe(a.live.text.toString());
    expect(shown).toBe('<< hlo!');
    expect(a.live.takeRemoteChanges()).toEqual([]);
  });

  it('takes a conflict side back as its own change: shown, sent, undone alone, and the text it deleted never written twice', async () => {
    const log = await seeded();
    const [a, b, c] = [
      await tab(log, 'Tab 1'),
      await tab(log, 'Tab 2'),
      await tab(log, 'Tab 3'),
    ];
    const base = await log.heads(STREAM);
    await collide(a, b, [a, b, c]);
    const merged = c.live.text.toString();
    expect(merged).toBe('Jello world');
    const two = await sideSince(log, base, 'Tab 2');
    const shown = vi.fn();
    c.live.watch(shown);
    c.live.takeRemoteChanges();
    expect(c.live.takeBack(two)).toBe(true);
    // Tab 2's "J" gone, the "h" it deleted written again: tab 1's change alone.
    expect(c.live.text.toString()).toBe('hello world');
    expect(shown).toHaveBeenCalledOnce();
    expect(applyDeltas(merged, c.live.takeRemoteChanges())).toBe('hello world');
    // Again, here or in another tab: the "h" is back, not written twice.
    expect(c.live.takeBack(two)).toBe(false);
    expect(c.live.text.toString()).toBe('hello world');
    await c.live.flush();
    for (const t of [a, b]) await t.deliver();
    for (const t of [a, b]) expect(t.live.text.toString()).toBe('hello world');
    expect(a.live.takeBack(two)).toBe(false);
    const last = (await collect(log.read(STREAM))).at(-1)!;
    expect(last.author).toBe('Tab 3');
    // Undone, tab 2's change is back (its "J" a new Yjs item), and can be taken
    // back again; redone, it is taken back already.
    expect(c.live.undo()).toBe(true);
    expect(c.live.text.toString()).toBe(merged);
    expect(c.live.redo()).toBe(true);
    expect(c.live.takeBack(two)).toBe(false);
    expect(c.live.undo()).toBe(true);
    expect(c.live.takeBack(two)).toBe(true);
    expect(c.live.text.toString()).toBe('hello world');
    await log.close();
  });

  it('finds nothing of a side to take back once its writer undid it: the text it deleted is not written twice', async () => {
    const log = await seeded();
    const [a, b] = [await tab(log, 'Tab 1'), await tab(log, 'Tab 2')];
    const base = await log.heads(STREAM);
    await collide(a, b, [a, b]);
    const two = await sideSince(log, base, 'Tab 2');
    // Its undo brings the "h" back as a new Yjs item, and takes the "J" away.
    expect(b.live.undo()).toBe(true);
    await b.live.flush();
    await a.deliver();
    expect(a.live.text.toString()).toBe('hello world');
    expect(a.live.takeBack(two)).toBe(false);
    expect(a.live.text.toString()).toBe('hello world');
    await log.close();
  });

  it('writes a side’s deletion back beside text typed there since, unless that text holds it', async () => {
    for (const [typed, after] of [
      [' there', 'hello world there'],
      [' world', 'hello world'],
    ] as const) {
      const log = await seeded();
      const [a, b] = [await tab(log, 'Tab 1'), await tab(log, 'Tab 2')];
      a.type(5, ' world');
      await a.live.flush();
      await b.deliver();
      const base = await log.heads(STREAM);
      // Tab 2 deletes " world" while tab 1 adds "!" at the start.
      b.live.edit([{ index: 5, deleteCount: 6, insert: '' }]);
      a.type(0, '!');
      await a.live.flush();
      await b.live.flush();
      for (const t of [a, b]) await t.deliver();
      const two = await sideSince(log, base, 'Tab 2');
      // After the merge, tab 1 types at the end, where " world" was.
      a.type(a.live.text.length, typed);
      expect(a.live.takeBack(two)).toBe(typed !== ' world');
      expect(a.live.text.toString()).toBe(`!${after}`);
      await log.close();
    }
  });

  it('takes a catch-up of many events as one change, with the echo of its own among them', async () => {
    const log = await seeded();
    const [a, b] = [await tab(log, 'Tab 1'), await tab(log, 'Tab 2')];
    const changes = vi.fn();
    a.live.watch(changes);
    let shown = a.live.text.toString();
    a.type(5, '!'); // a's own, in the view already; its echo comes in the catch-up
    shown = shown.slice(0, 5) + '!' + shown.slice(5);
    await a.live.flush();
    await b.deliver();
    for (let i = 0; i < 40; i++) {
      b.type(i % 3 === 0 ? 0 : b.live.text.length, String(i % 10));
      if (i % 4 === 0) b.live.edit([{ index: 1, deleteCount: 1, insert: '' }]);
      await b.live.flush();
    }
    await a.deliver();
    expect(changes).toHaveBeenCalledOnce();
    const deltas = a.live.takeRemoteChanges();
    expect(deltas).toHaveLength(1);
    expect(applyDeltas(shown, deltas)).toBe(b.live.text.toString());
    expect(a.live.text.toString()).toBe(b.live.text.toString());
    expect(a.live.pending).toBe(0);
  });

  it('sends typing as one event against the heads it saw, and another tab receives it', async () => {
    const log = await seeded();
    const [a, b] = [await tab(log, 'Tab 1'), await tab(log, 'Tab 2')];
    const base = await log.heads(STREAM);
    a.type(5, ' world');
    a.type(11, '!');
    await a.live.flush();
    const events = await collect(log.read(STREAM));
    expect(events).toHaveLength(2);
    expect(events[1]!.parents).toEqual(base);
    await b.deliver();
    expect(b.live.text.toString()).toBe('hello world!');
    expect(a.live.pending).toBe(0);
  });

  it('records typing made before another tab’s edit arrived as concurrent with it', async () => {
    const log = await seeded();
    const [a, b] = [await tab(log, 'Tab 1'), await tab(log, 'Tab 2')];
    const base = await log.heads(STREAM);
    a.type(0, '>');
    b.type(5, '<');
    await b.live.flush();
    await a.deliver(); // b's edit arrives while a's typing is unsent
    a.type(a.live.text.length, '.');
    await a.live.flush();
    const [, fromB, first, second] = await collect(log.read(STREAM));
    expect(first!.parents).toEqual(base); // typed before b's edit arrived
    expect(second!.parents).toEqual([fromB!.id, first!.id].sort()); // typed after
    await b.deliver();
    expect(a.live.text.toString()).toBe('>hello<.');
    expect(b.live.text.toString()).toBe(a.live.text.toString());
  });

  it('builds its typing on its own other writes, never beside them, and skips their delivery', async () => {
    const log = await seeded();
    const a = await tab(log, 'Tab 1');
    a.type(0, 'Day 1');
    // The tab renames the document while that typing waits to be sent.
    const [renamed] = await log.append(STREAM, {
      type: 'doc.field.set',
      data: { field: 'title', value: 'Trip', supersedes: [] },
      author: 'Tab 1',
    });
    a.live.wrote(renamed!.event);
    a.type(5, ': museums');
    await a.live.flush();
    const typed = (await collect(log.read(STREAM))).at(-1)!;
    expect(typed.parents).toEqual([renamed!.event.id]);
    expect(await log.heads(STREAM)).toEqual([typed.id]);
    expect(await log.conflicts(STREAM)).toEqual([]);
    await a.deliver();
    expect(a.live.text.toString()).toBe('Day 1: museumshello');
    expect(a.live.heads).toEqual([typed.id]);
  });

  it('takes back a restore it asked for with one undo, however the restore arrives, and no one else’s', async () => {
    for (const arrival of ['answer', 'delivery', 'elsewhere'] as const) {
      const log = await seeded();
      const a = await tab(log, 'Tab 1');
      const typeAlone = (text: string) =>
        a.live.edit(
          [{ index: a.live.text.length, deleteCount: 0, insert: text }],
          { alone: true },
        );
      typeAlone(' one');
      await a.live.flush();
      const version = await log.heads(STREAM);
      typeAlone(' two');
      await a.live.flush();
      await a.deliver();
      // The version before ' two', restored through the document API, as the
      // worker restores it.
      const ended =
        arrival === 'elsewhere' ? () => {} : a.live.restoring(version);
      const doc = await openDocument(log, 'live');
      const [restore] = await doc.restore(version);
      if (arrival === 'answer') a.live.wrote(restore!.event);
      await a.deliver();
      ended();
      expect(a.live.text.toString(), arrival).toBe('hello one');
      a.live.undo();
      if (arrival === 'elsewhere') {
        // Another's restore is not this tab's to take back.
        expect(a.live.text.toString(), arrival).not.toContain('two');
        continue;
      }
      // The restore, taken back alone: neither ' two' lost nor ' one' with it.
      expect(a.live.text.toString(), arrival).toBe('hello one two');
      await a.live.flush();
      // Saved as an edit like any undo, which another tab receives.
      const b = await tab(log, 'Tab 2');
      expect(b.live.text.toString(), arrival).toBe('hello one two');
      a.live.redo();
      expect(a.live.text.toString(), arrival).toBe('hello one');
    }
  });

  it('writes back the title a restore replaced when the restore is undone, and the restored one on redo', async () => {
    for (const arrival of ['answer', 'delivery'] as const) {
      const log = await seeded();
      const page = fieldsPage();
      const fields = page.written;
      const a = await tab(log, 'Tab 1', {
        onFieldsUndone: page.onFieldsUndone,
      });
      const doc = await openDocument(log, 'live');
      await doc.setField('title', 'First title');
      const version = await log.heads(STREAM);
      await doc.setField('title', 'Second title');
      a.live.edit([{ index: 5, deleteCount: 0, insert: ' world' }], {
        alone: true,
      });
      await a.live.flush();
      await a.deliver();
      const ended = a.live.restoring(version, { title: ['Second title'] });
      const [restore] = await doc.restore(version);
      if (arrival === 'answer') a.live.wrote(restore!.event);
      await a.deliver();
      ended();
      await page.hold(doc);
      expect(a.live.text.toString(), arrival).toBe('hello');
      a.live.undo();
      expect(a.live.text.toString(), arrival).toBe('hello world');
      expect(fields, arrival).toEqual([{ title: ['Second title'] }]);
      a.live.redo();
      expect(a.live.text.toString(), arrival).toBe('hello');
      expect(fields, arrival).toEqual([
        { title: ['Second title'] },
        { title: ['First title'] },
      ]);
      // And undo again: the same restore, taken back as often as it is made.
      a.live.undo();
      expect(fields.at(-1), arrival).toEqual({ title: ['Second title'] });
    }
  });

  it('writes back every value of a title in conflict before a restore when the restore is undone', async () => {
    const { log, page, a, doc, plan: version } = await titleInConflict();
    const fields = page.written;
    a.live.edit([{ index: 5, deleteCount: 0, insert: ' world' }], {
      alone: true,
    });
    await a.live.flush();
    await a.deliver();
    const ended = a.live.restoring(version, { title: ['Plan A', 'Plan B'] });
    const [restore] = await doc.restore(version);
    a.live.wrote(restore!.event);
    ended();
    a.live.undo();
    expect(fields).toEqual([{ title: ['Plan A', 'Plan B'] }]);
    await log.close();
  });

  it('writes every value of a title the restored version held in conflict when the restore is redone', async () => {
    const { log, page, a, doc } = await titleInConflict();
    const fields = page.written;
    const version = await log.heads(STREAM);
    await doc.setField('title', 'Final');
    a.live.edit([{ index: 5, deleteCount: 0, insert: ' world' }], {
      alone: true,
    });
    await a.live.flush();
    await a.deliver();
    const ended = a.live.restoring(version, { title: ['Final'] });
    // The restore comes last: the version's second title is a write before it.
    const restore = (await doc.restore(version)).at(-1);
    a.live.wrote(restore!.event);
    ended();
    await page.hold(doc);
    a.live.undo();
    a.live.redo();
    // In the order the document lists them (by event id).
    expect(fields.map((f) => [...f.title!].sort())).toEqual([
      ['Final'],
      ['Plan A', 'Plan B'],
    ]);
    await log.close();
  });

  it('undoes a restore that changed only the title, in turn with the typing around it, and redoes it', async () => {
    for (const arrival of ['answer', 'delivery'] as const) {
      const log = await seeded();
      const page = fieldsPage();
      const a = await tab(log, 'Tab 1', {
        onFieldsUndone: page.onFieldsUndone,
      });
      const doc = await openDocument(log, 'live');
      const type = (index: number, insert: string) =>
        a.live.edit([{ index, deleteCount: 0, insert }], { alone: true });
      type(5, ' world');
      await a.live.flush();
      await a.deliver();
      await doc.setField('title', 'First title');
      const version = await log.heads(STREAM);
      await doc.setField('title', 'Second title');
      await a.deliver();
      const ended = a.live.restoring(version, { title: ['Second title'] });
      const [restore, ...more] = await doc.restore(version);
      expect(more).toEqual([]);
      if (arrival === 'answer') a.live.wrote(restore!.event);
      await a.deliver();
      ended();
      await page.hold(doc);
      // Undone alone, then typing: nothing is left to redo (Yjs had nothing to
      // redo either, so it said nothing of clearing its stack).
      expect(a.live.undo(), arrival).toBe(true);
      type(11, '?');
      expect(a.live.redo(), arrival).toBe(false);
      expect(page.written, arrival).toEqual([{ title: ['Second title'] }]);
      page.written.length = 0;
      a.live.undo();
      expect(a.live.text.toString(), arrival).toBe('hello world');
      // What the page wrote on that undo, and restored again, to go on with.
      await doc.setField('title', 'Second title');
      await a.deliver();
      const ending = a.live.restoring(version, { title: ['Second title'] });
      const [again] = await doc.restore(version);
      if (arrival === 'answer') a.live.wrote(again!.event);
      await a.deliver();
      ending();
      await page.hold(doc);
      type(11, '!');
      // Newest first: the typing, the restore's title, the typing before it.
      expect(a.live.undo(), arrival).toBe(true);
      expect(a.live.text.toString(), arrival).toBe('hello world');
      expect(page.written, arrival).toEqual([]);
      expect(a.live.undo(), arrival).toBe(true);
      expect(page.written, arrival).toEqual([{ title: ['Second title'] }]);
      expect(a.live.undo(), arrival).toBe(true);
      expect(a.live.text.toString(), arrival).toBe('hello');
      // And back, oldest first.
      expect(a.live.redo(), arrival).toBe(true);
      expect(a.live.text.toString(), arrival).toBe('hello world');
      expect(page.written.length, arrival).toBe(1);
      expect(a.live.redo(), arrival).toBe(true);
      expect(page.written.at(-1), arrival).toEqual({ title: ['First title'] });
      expect(a.live.redo(), arrival).toBe(true);
      expect(a.live.text.toString(), arrival).toBe('hello world!');
      // New typing leaves nothing to redo; the restore can be undone again.
      a.live.undo();
      a.live.undo();
      type(0, '>');
      expect(a.live.redo(), arrival).toBe(false);
      expect(page.written.at(-1), arrival).toEqual({ title: ['Second title'] });

      await log.close();
    }
  });

  it('passes over a delivered change that does not read, and takes the ones after it', async () => {
    const log = await seeded();
    const a = await tab(log, 'Tab 1');
    const b = await tab(log, 'Tab 2');
    // Another replica's, every id valid: the log stores what its rules allow.
    for (const data of [{ not: 'bytes' }, new Uint8Array([250, 1, 2])] as const)
      await log.append(STREAM, { type: TEXT_EDITED, data: data as never });
    await log.append(STREAM, {
      type: 'doc.version.restored',
      data: { from: [], text: 42, fields: {} },
    });
    b.type(5, ' world');
    await b.live.flush();
    // One delivery: three changes that do not read, then b's typing.
    await a.deliver();
    expect(a.live.text.toString()).toBe('hello world');
  });

  it("passes over a delivered change written under another writer's Yjs client id, as the fold does (QA pass 11)", async () => {
    const log = await openLog({ actor: 'victim' });
    const doc = await openDocument(log, 'live', { author: 'Vi' });
    const hello = (await doc.editText(0, 0, 'hello')).event;
    // The page opens the document as the worker gives it: with its claims.
    const snapshot = await documentService(log, storeOf(log)).documentSnapshot(
      'live',
    );
    const page = new LiveDocument({
      state: snapshot.state,
      heads: snapshot.heads,
      included: snapshot.included,
      claims: snapshot.claims,
      send: async (update, expected) =>
        await appendEdit(log, 'page', update, expected),
    });
    const delivered = (await collect(log.since({}))).length;
    // A token holder's event under the victim's client id, built on "hello", then
    // the victim's own next edit at the clocks the forgery took.
    const [client] = clientsOf(hello);
    const mallory = await openLog({ actor: 'mallory' });
    await mallory.ingest(await collect(log.since({})));
    await mallory.append(
      STREAM,
      {
        type: TEXT_EDITED,
        data: forgedUnder(client!, hello.data as Uint8Array, 0, 'EVIL '),
      },
      { expected: [hello.id] },
    );
    await log.ingest(await collect(mallory.since({})));
    await doc.editText(5, 0, ' world');
    page.receive((await collect(log.since({}))).slice(delivered));
    expect(page.text.toString()).toBe('hello world');
    expect((await doc.view()).text).toBe('hello world');
  });

  it('says so once when its own typing comes back as another actor, which the fold does not take under its client id (an actor fork)', async () => {
    const log = await openLog({ actor: 'laptop' });
    const refused: Error[] = [];
    const page = new LiveDocument({
      state: Y.encodeStateAsUpdate(new Y.Doc()),
      heads: [],
      included: [],
      send: async (update, expected) =>
        await appendEdit(log, 'page', update, expected),
      onOwnTypingRefused: (error) => refused.push(error),
    });
    page.edit([{ index: 0, deleteCount: 0, insert: 'hi' }]);
    await page.flush();
    // A copy of the profile writes as the same actor: the log moves to a fresh one.
    const copy = await openLog({ actor: 'laptop' });
    await copy.append('notes/elsewhere', { type: 'test.note', data: 1 });
    await expect(
      log.ingest(await collect(copy.read('notes/elsewhere'))),
    ).rejects.toMatchObject({ code: 'ACTOR_FORK' });
    page.edit([{ index: 2, deleteCount: 0, insert: '!' }]);
    await page.flush();
    page.edit([{ index: 3, deleteCount: 0, insert: '?' }]);
    await page.flush();
    expect(refused.map((e) => e.message)).toEqual([
      expect.stringContaining("which laptop's events began"),
    ]);
    // As the fold has it: the typing before the fork.
    expect((await (await openDocument(log, 'live')).view()).text).toBe('hi');
  });

  it('lets a write begun while its typing was on its way build on that typing, and on nothing else new', async () => {
    const log = await seeded();
    const [a, b] = [await tab(log, 'Tab 1'), await tab(log, 'Tab 2')];
    const seen = a.live.heads;
    a.type(0, 'Day 1');
    // The tab starts renaming: its typing goes now.
    const after = a.live.unsent();
    b.type(0, 'x');
    await b.live.flush();
    await a.deliver(); // another tab's edit, which the rename did not see
    await a.live.flush();
    const events = await collect(log.read(STREAM));
    const typed = events.find((e) => e.author === 'Tab 1');
    const fromB = events.find((e) => e.author === 'Tab 2');
    expect(await after(seen)).toEqual([typed!.id]);
    expect(await after(seen)).not.toContain(fromB!.id);
    // Nothing on its way: the heads as they were.
    expect(await a.live.unsent()(seen)).toEqual(seen);
  });

  it('saves a paste larger than an event holds, and its redo, as chains of events within the limit', async () => {
    const log = await seeded();
    const errors: string[] = [];
    const a = await tab(log, 'Tab 1', {
      onPendingChange: (_n, error) => error && errors.push(error.message),
    });
    const b = await tab(log, 'Tab 2');
    // 3 MB of UTF-8 (2 million code units), emoji pairs wherever a piece may end.
    const paste = 'lorem ipsum 😀 é 中文 '.repeat(100_000);
    expect(new TextEncoder().encode(paste).length).toBeGreaterThan(
      2 * LIMITS.maxDataBytes,
    );
    const saved = async (text: string) => {
      await a.live.flush();
      expect(errors).toEqual([]);
      expect(a.live.pending).toBe(0);
      await b.deliver();
      expect(b.live.text.toString()).toBe(text);
    };
    a.type(5, paste);
    await saved('hello' + paste);
    expect(a.live.undo()).toBe(true);
    await saved('hello');
    // Yjs redoes the undone text in one transaction, however large (so does the undo
    // of deleting it).
    expect(a.live.redo()).toBe(true);
    await saved('hello' + paste);
    const events = await collect(log.read(STREAM));
    expect(events.length).toBeGreaterThan(20);
    for (const [i, event] of events.entries()) {
      expect(textUpdateOf(event)!.length).toBeLessThanOrEqual(
        LIMITS.maxDataBytes,
      );
      // One writer: each event follows the one before, never beside it.
      if (i > 0) expect(event.parents).toEqual([events[i - 1]!.id]);
    }
  });

  it('keeps an edit the log refused and sends it on the next flush', async () => {
    const log = await seeded();
    let fail = true;
    const errors: string[] = [];
    const a = await tab(log, 'Tab 1', {
      send: async (update, expected) => {
        if (fail) throw new Error('Storage is full');
        return await appendEdit(log, 'Tab 1', update, expected);
      },
      onPendingChange: (_n, error) => error && errors.push(error.message),
    });
    a.type(0, 'kept ');
    await a.live.flush();
    expect(errors).toEqual(['Storage is full']);
    expect(a.live.pending).toBe(1);
    fail = false;
    await a.live.flush();
    expect(a.live.pending).toBe(0);
    expect((await collect(log.read(STREAM))).length).toBe(2);
  });

  it(
    'retries a refused edit by itself, with backoff, when nobody types again',
    withFakeTimers(async () => {
      const log = await seeded();
      let failures = 2;
      const a = await tab(log, 'Tab 1', {
        send: async (update, expected) => {
          if (failures-- > 0) throw new Error('Storage is full');
          return await appendEdit(log, 'Tab 1', update, expected);
        },
      });
      a.type(0, 'kept ');
      await vi.advanceTimersByTimeAsync(250); // the typing batch is sent, and refused
      expect(a.live.pending).toBe(1);
      await vi.advanceTimersByTimeAsync(1000); // first retry, refused again
      expect(a.live.pending).toBe(1);
      await vi.advanceTimersByTimeAsync(1000); // backoff doubled: not yet
      expect(a.live.pending).toBe(1);
      await vi.advanceTimersByTimeAsync(1000); // second retry goes through
      expect(a.live.pending).toBe(0);
      expect((await collect(log.read(STREAM))).length).toBe(2);
      a.live.close();
    }),
  );

  it(
    'batches steady typing by time, not by send: typing during a send waits for its own batch',
    withFakeTimers(async () => {
      const log = await seeded();
      // Each send takes 7 ms, as a worker's append does: the typing goes on meanwhile.
      const a = await tab(log, 'Tab 1', {
        send: async (update, expected) => {
          await new Promise((resolve) => setTimeout(resolve, 7));
          return await appendEdit(log, 'Tab 1', update, expected);
        },
      });
      // A keystroke every 3 ms for a second.
      for (let i = 0; i < 333; i++) {
        a.type(a.live.text.length, 'x');
        await vi.advanceTimersByTimeAsync(3);
      }
      await vi.advanceTimersByTimeAsync(MAX_DELAY_MS + 50);
      expect(a.live.pending).toBe(0);
      const typed = (await collect(log.read(STREAM))).slice(1);
      // One event per MAX_DELAY_MS of typing (and the last, partly full), not one
      // per send: a send that sent whatever was typed during the previous one made
      // an event every 7 ms.
      expect(typed.length).toBeLessThanOrEqual(
        Math.ceil(1000 / MAX_DELAY_MS) + 1,
      );
      const doc = new Y.Doc();
      for (const e of await collect(log.read(STREAM)))
        Y.applyUpdate(doc, textUpdateOf(e)!);
      expect(doc.getText('body').toString()).toBe('hello' + 'x'.repeat(333));
      a.live.close();
    }),
  );

  it(
    'holds no typing longer than MAX_DELAY_MS, though a delivery split its batch',
    withFakeTimers(async () => {
      const log = await seeded();
      const [a, b] = [await tab(log, 'Tab 1'), await tab(log, 'Tab 2')];
      b.type(5, '<');
      await b.live.flush();
      // a types every 50 ms (never QUIET_MS of quiet) from t = 0; b's edit reaches
      // it at t = 60, closing its batch: what a types next had seen b's edit.
      let t = 0;
      for (; t <= MAX_DELAY_MS - 50; t += 50) {
        a.type(a.live.text.length, '.');
        await vi.advanceTimersByTimeAsync(t === 50 ? 10 : 50);
        if (t === 50) {
          await a.deliver();
          await vi.advanceTimersByTimeAsync(40);
        }
      }
      await vi.advanceTimersByTimeAsync(MAX_DELAY_MS + 1 - t);
      // t = MAX_DELAY_MS + 1: the first keystroke has gone out.
      const byA = (await collect(log.read(STREAM))).filter(
        (e) => e.author === 'Tab 1',
      );
      expect(byA.length).toBeGreaterThan(0);
      a.live.close();
      b.live.close();
    }),
  );

  it('handles the echo of its own event arriving before the append resolves', async () => {
    const log = await seeded();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // The send callback needs the tab it belongs to, to deliver to it mid-append.
    const a: Awaited<ReturnType<typeof tab>> = await tab(log, 'Tab 1', {
      send: async (update, expected) => {
        const result = await appendEdit(log, 'Tab 1', update, expected);
        await a.deliver(); // the subscription is faster than the reply
        await gate;
        return result;
      },
    });
    a.type(0, 'one ');
    const flushing = a.live.flush();
    await new Promise((r) => setTimeout(r, 0));
    a.type(0, 'two ');
    release();
    await flushing;
    await a.live.flush();
    const events: LogEvent[] = await collect(log.read(STREAM));
    const heads: EventId[] = await log.heads(STREAM);
    expect(events).toHaveLength(3);
    expect(events[2]!.parents).toEqual([events[1]!.id]); // the second batch saw the first
    expect(heads).toEqual([events[2]!.id]);
    expect(a.live.text.toString()).toBe('two one hello');
  });
  it('re-sends the same bytes after a refusal, though the first send moved its buffer away', async () => {
    const log = await seeded();
    const sent: number[] = [];
    const a = await tab(log, 'Tab 1', {
      send: async (update, expected) => {
        sent.push(update.byteLength);
        // What appendMoving does: the buffer goes to the worker and is detached here.
        const moved = structuredClone(update, { transfer: [update.buffer] });
        if (sent.length === 1) throw new Error('Storage is full');
        return await appendEdit(log, 'Tab 1', moved, expected);
      },
    });
    a.type(0, 'kept ');
    await a.live.flush();
    await a.live.flush();
    expect(sent[1]).toBe(sent[0]);
    expect(sent[0]).toBeGreaterThan(0);
    const b = await tab(log, 'Tab 2');
    expect(b.live.text.toString()).toBe('kept hello');
  });

  it('takes its own edit, stored by a worker that died before answering, as sent: never twice', async () => {
    const log = await seeded();
    let dies = true;
    const a = await tab(log, 'Tab 1', {
      send: async (update, expected) => {
        const result = await appendEdit(log, 'Tab 1', update, expected);
        if (dies) {
          dies = false;
          throw new Error('The log worker stopped before confirming append');
        }
        return result;
      },
    });
    a.type(0, 'once ');
    await a.live.flush();
    expect(a.live.pending).toBe(1);
    await a.deliver(); // the new worker's subscription delivers the stored edit
    expect(a.live.pending).toBe(0);
    a.type(0, 'then ');
    await a.live.flush();
    const events = await collect(log.read(STREAM));
    expect(events).toHaveLength(3);
    expect(events[2]!.parents).toEqual([events[1]!.id]);
    expect(a.live.text.toString()).toBe('then once hello');
  });
});

/**
 * The tabs of one document as broadcastTyping joins them: each post reaches the
 * others; a tab that closes has its watchers run one at a time, each after the
 * one before settled, as the browser grants a Web Lock to those waiting on it.
 */
function typingChannels(
  /** Passes each message on: by default at once; a test may hold some back. */
  pass: (message: TypingMessage, send: () => void) => void = (_, send) =>
    send(),
) {
  const members = new Map<number, (message: TypingMessage) => void>();
  const gone = new Set<number>();
  const watches: { of: number; by: number; gone: () => Promise<void> }[] = [];
  let running: Promise<void> = Promise.resolve();
  const open: OpenTypingChannel = (tab, receive) => {
    members.set(tab, receive);
    return {
      post: (message) => {
        for (const [other, member] of members)
          if (other !== tab)
            pass(message, () => member(structuredClone(message)));
      },
      watch: (of, watcher) => {
        watches.push({ of, by: tab, gone: watcher });
        if (gone.has(of)) release(of);
      },
      close: () => {
        members.delete(tab);
        gone.add(tab);
        // Its own watches end; its watchers are granted its lock in turn.
        for (const [i, w] of [...watches.entries()].reverse())
          if (w.by === tab) watches.splice(i, 1);
        release(tab);
      },
    };
  };
  const release = (tab: number) => {
    const granted = watches.filter((w) => w.of === tab);
    for (const w of granted) watches.splice(watches.indexOf(w), 1);
    for (const w of granted)
      running = running.then(() => w.gone().catch(() => undefined));
  };
  /** Resolves once every watcher granted so far has settled. */
  const settled = async () => {
    for (let last; last !== running;) await (last = running);
  };
  return { open, settled };
}

/** The Yjs client ids whose insertions an update holds. */
const clientsIn = (update: Uint8Array) => [
  ...Y.parseUpdateMeta(update).from.keys(),
];

/** Tabs of one document over one log, sharing typing, labelled `labels`. */
async function tabs(
  labels: string[],
  pass?: Parameters<typeof typingChannels>[0],
) {
  const log = await seeded();
  const channels = typingChannels(pass);
  const service = documentService(log, storeOf(log));
  const opened = [];
  for (const label of labels)
    opened.push(
      await tab(log, label, {
        shareTyping: {
          open: channels.open,
          author: () => label,
          rescue: (update, expected, author) =>
            service.rescueTyping('live', update, expected, author),
        },
      }),
    );
  return { log, tabs: opened, settled: channels.settled };
}
/** Tabs 1 and 2. */
async function twoTabs(pass?: Parameters<typeof typingChannels>[0]) {
  const {
    log,
    tabs: [a, b],
    settled,
  } = await tabs(['Tab 1', 'Tab 2'], pass);
  return { log, a: a!, b: b!, settled };
}

describe('typing shown in other tabs before it is committed', () => {
  it('shows each keystroke in the other tab at once, while the log gets one event', async () => {
    const { log, a, b } = await twoTabs();
    const changes = vi.fn();
    const c = await tab(log, 'Tab 3', { shareTyping: undefined });
    c.live.watch(changes);
    a.type(5, ' w');
    expect(b.live.text.toString()).toBe('hello w');
    a.type(7, 'orld');
    expect(b.live.text.toString()).toBe('hello world');
    expect(await collect(log.read(STREAM))).toHaveLength(1);
    await a.live.flush();
    expect(await collect(log.read(STREAM))).toHaveLength(2);
    await b.deliver();
    await c.deliver();
    expect(b.live.text.toString()).toBe('hello world');
    expect(c.live.text.toString()).toBe('hello world');
    expect(changes).toHaveBeenCalledOnce();
  });

  it('holds none of another tab’s typing once the log brought it, whether the event or word of it came first', async () => {
    for (const eventFirst of [false, true]) {
      const late: (() => void)[] = [];
      const { a, b } = await twoTabs((message, send) =>
        eventFirst && message.kind === 'committed' ? late.push(send) : send(),
      );
      for (const word of [' one', ' two', ' three'])
        a.type(a.live.text.length, word);
      expect(b.live.text.toString()).toBe('hello one two three');
      expect(b.live.earlyHeld).toBe(3);
      await a.live.flush();
      await b.deliver();
      for (const send of late) send();
      // b never typed: nothing of its own would ever have cleared them.
      expect(b.live.earlyHeld, `event first: ${eventFirst}`).toBe(0);
      a.type(a.live.text.length, '!');
      expect(b.live.earlyHeld).toBe(1);
    }
  });

  it(
    'carries typing it built on that no event holds yet: the log never lacks it',
    withFakeTimers(async () => {
      const { log, a, b } = await twoTabs();
      a.type(5, ' big'); // shown in b; a's batch waits for its timer
      b.type(9, ' world');
      await b.live.flush();
      const events = await collect(log.read(STREAM));
      expect(events).toHaveLength(2);
      const update = textUpdateOf(events[1]!)!;
      expect(clientsIn(update).sort()).toEqual(
        [a.live.ydoc.clientID, b.live.ydoc.clientID].sort(),
      );
      const fold = new Y.Doc();
      for (const event of events) Y.applyUpdate(fold, textUpdateOf(event)!);
      expect(fold.getText('body').toString()).toBe('hello big world');
    }),
  );

  it(
    'carries a paste it built on, larger than an event holds, in events of their own ahead of its typing',
    withFakeTimers(async () => {
      const { log, a, b } = await twoTabs();
      const paste = 'lorem ipsum 😀 '.repeat(100_000); // 1.7 MB of UTF-8
      a.type(5, paste); // shown in b; a's batches wait for their timer
      const c = await tab(log, 'Tab 3');
      b.type(5 + paste.length, '!'); // right after it
      await b.live.flush();
      expect(b.live.pending).toBe(0); // sent, not refused
      const events = await collect(log.read(STREAM));
      for (const event of events)
        expect(textUpdateOf(event)!.length).toBeLessThanOrEqual(
          LIMITS.maxDataBytes,
        );
      // The paste's events hold only a's text; the last, b's key.
      expect(clientsIn(textUpdateOf(events.at(-1)!)!)).toEqual([
        b.live.ydoc.clientID,
      ]);
      await c.deliver();
      expect(c.live.text.toString()).toBe('hello' + paste + '!');
    }),
  );

  it('carries no early typing its own edits do not build on: events hold only their own text', async () => {
    const { log, a, b } = await twoTabs();
    a.type(5, ' big'); // shown in b, not sent
    b.type(0, 'oh, '); // elsewhere: neither next to nor deleting a's early text
    b.live.edit([{ index: 4, deleteCount: 1, insert: '' }]); // the 'h' of 'hello', which the log has
    await b.live.flush();
    const events = await collect(log.read(STREAM));
    expect(events).toHaveLength(2);
    expect(clientsIn(textUpdateOf(events[1]!)!)).toEqual([
      b.live.ydoc.clientID,
    ]);
    await a.live.flush();
    await a.deliver();
    await b.deliver();
    expect(a.live.text.toString()).toBe('oh, ello big');
    expect(b.live.text.toString()).toBe(a.live.text.toString());
  });

  it(
    'carries early typing its edits delete',
    withFakeTimers(async () => {
      const { log, a, b } = await twoTabs();
      a.type(5, ' big'); // shown in b; a's batch waits for its timer
      b.live.edit([{ index: 6, deleteCount: 3, insert: '' }]); // 'big', known only from a's early update
      await b.live.flush();
      const events = await collect(log.read(STREAM));
      const fold = new Y.Doc();
      for (const event of events) Y.applyUpdate(fold, textUpdateOf(event)!);
      expect(fold.getText('body').toString()).toBe('hello ');
      expect(clientsIn(textUpdateOf(events[1]!)!)).toEqual([
        a.live.ydoc.clientID,
      ]);
    }),
  );

  it('carries another tab’s typing until that tab’s event reached it through the log, then no more', async () => {
    const { log, a, b } = await twoTabs();
    a.type(5, ' big');
    await a.live.flush(); // committed, and said so, but not delivered to b yet
    b.type(9, ' bad');
    await b.live.flush();
    await b.deliver();
    b.type(13, ' world');
    await b.live.flush();
    const [, fromA, carrying, own] = await collect(log.read(STREAM));
    expect(clientsIn(textUpdateOf(fromA!)!)).toEqual([a.live.ydoc.clientID]);
    expect(clientsIn(textUpdateOf(carrying!)!)).toContain(a.live.ydoc.clientID);
    expect(clientsIn(textUpdateOf(own!)!)).toEqual([b.live.ydoc.clientID]);
    await a.deliver();
    expect(a.live.text.toString()).toBe('hello big bad world');
    expect(b.live.text.toString()).toBe(a.live.text.toString());
  });
});

describe('typing shown early, of a tab that goes before storing it', () => {
  it('is stored once, as that tab’s, against the heads it was typed at, whichever tabs showed it', async () => {
    const {
      log,
      tabs: [a, b, c],
      settled,
    } = await tabs(['Tab 1', 'Tab 2', 'Tab 3']);
    const [seed] = await collect(log.read(STREAM));
    a!.type(5, ' big');
    a!.type(9, ' news');
    a!.live.close(); // gone, its batch never sent: b and c show it
    expect(b!.live.text.toString()).toBe('hello big news');
    await settled();
    const events = await collect(log.read(STREAM));
    expect(events).toHaveLength(2);
    const rescued = events[1]!;
    expect(rescued.author).toBe('Tab 1');
    expect(rescued.parents).toEqual([seed!.id]);
    expect(clientsIn(textUpdateOf(rescued)!)).toEqual([a!.live.ydoc.clientID]);
    for (const t of [b!, c!]) {
      await t.deliver();
      expect(t.live.earlyHeld).toBe(0);
      expect(t.live.text.toString()).toBe('hello big news');
    }
    const late = await tab(log, 'Tab 4');
    expect(late.live.text.toString()).toBe('hello big news');
  });

  it('stores nothing more when the log holds that tab’s typing already, though word of it never came', async () => {
    const { log, a, b, settled } = await twoTabs((message, send) =>
      message.kind === 'committed' ? undefined : send(),
    );
    a.type(5, ' big');
    await a.live.flush(); // stored; the word of it lost
    a.live.close();
    await settled();
    expect(await collect(log.read(STREAM))).toHaveLength(2);
    expect(b.live.earlyHeld).toBe(1); // until b receives what holds it
    await b.deliver();
    expect(b.live.earlyHeld).toBe(0);
    expect(b.live.text.toString()).toBe('hello big');
  });

  it('stores each batch against its own heads, each after the one before, as that tab would have', async () => {
    const {
      log,
      tabs: [a, b, c],
      settled,
    } = await tabs(['Tab 1', 'Tab 2', 'Tab 3']);
    a!.type(5, ' one'); // against the seed
    c!.live.edit([{ index: 0, deleteCount: 0, insert: '> ' }]);
    await c!.live.flush();
    const [, fromC] = await collect(log.read(STREAM));
    await a!.deliver(); // a's first batch is closed; its next is made against c's event
    a!.type(a!.live.text.length, ' two');
    a!.live.close();
    await settled();
    const [seed, , first, second, ...more] = await collect(log.read(STREAM));
    expect(more).toEqual([]);
    expect(first!.parents).toEqual([seed!.id]);
    expect([...second!.parents].sort()).toEqual([fromC!.id, first!.id].sort());
    for (const t of [b!, c!]) {
      await t.deliver();
      expect(t.live.text.toString()).toBe('> hello one two');
      expect(t.live.earlyHeld).toBe(0);
    }
  });

  it('is stored by a tab that showed it, though another that showed it went first', async () => {
    const {
      log,
      tabs: [a, b, c],
      settled,
    } = await tabs(['Tab 1', 'Tab 2', 'Tab 3']);
    a!.type(5, ' big');
    b!.live.close(); // b will not store it: gone first
    a!.live.close();
    await settled();
    expect(await collect(log.read(STREAM))).toHaveLength(2);
    await c!.deliver();
    expect(c!.live.text.toString()).toBe('hello big');
    expect(c!.live.earlyHeld).toBe(0);
  });
});

describe('tabs typing, dying and hearing each other late, in any order', () => {
  const action = fc.oneof(
    fc.record({
      kind: fc.constant('type' as const),
      tab: fc.nat({ max: 3 }),
      at: fc.nat(),
      text: fc.constantFrom('a', 'bc', 'def', ' '),
    }),
    fc.record({
      kind: fc.constantFrom(
        'flush' as const,
        'deliver' as const,
        'die' as const,
        'hear' as const,
      ),
      tab: fc.nat({ max: 3 }),
    }),
  );

  it(
    'end with every tab left showing exactly what the log holds (all anyone typed and another saw), holding nothing early',
    withFakeTimers(() =>
      assertProperty(
        fc.asyncProperty(
          fc.array(action, { minLength: 1, maxLength: 40 }),
          async (actions) => {
            // Each tab's messages wait in order until a 'hear' passes the oldest on.
            const held = new Map<number, (() => void)[]>();
            const {
              log,
              tabs: all,
              settled,
            } = await tabs(
              ['Tab 1', 'Tab 2', 'Tab 3', 'Tab 4'],
              (message, send) => {
                const queue = held.get(message.tab) ?? [];
                queue.push(send);
                held.set(message.tab, queue);
              },
            );
            const alive = new Set([0, 1, 2, 3]);
            for (const a of actions) {
              if (!alive.has(a.tab)) continue;
              const t = all[a.tab]!;
              if (a.kind === 'type')
                t.type(a.at % (t.live.text.length + 1), a.text);
              else if (a.kind === 'flush') await t.live.flush();
              else if (a.kind === 'deliver') await t.deliver();
              else if (a.kind === 'hear')
                for (const queue of held.values()) queue.shift()?.();
              else {
                // Gone, its last batch unsent; what it posted still arrives.
                t.live.close();
                alive.delete(a.tab);
              }
              await settled();
            }
            // Everything posted arrives; the tabs left save what they typed.
            const hearAll = async () => {
              for (const queue of held.values())
                while (queue.length) queue.shift()!();
              await settled();
            };
            await hearAll();
            for (const i of alive) await all[i]!.live.flush();
            await hearAll();
            for (const i of alive) await all[i]!.deliver();
            const fold = new Y.Doc();
            for (const event of await collect(log.read(STREAM)))
              Y.applyUpdate(fold, textUpdateOf(event)!);
            const stored = fold.getText('body').toString();
            for (const i of alive) {
              expect(all[i]!.live.text.toString(), `tab ${i + 1}`).toBe(stored);
              expect(all[i]!.live.earlyHeld, `tab ${i + 1}`).toBe(0);
            }
            for (const i of alive) all[i]!.live.close();
            await log.close();
          },
        ),
        60,
      ),
    ),
    propertyTimeout(60_000),
  );
});
