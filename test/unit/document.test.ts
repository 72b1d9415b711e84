import * as Y from 'yjs';
import { describe, expect, it, vi } from 'vitest';
import { conflictChanges } from '../../src/doc/conflict-changes.ts';
import {
  EPISODE_PAUSE_MS,
  type DocConflict,
} from '../../src/doc/doc-conflicts.ts';
import { insightsOf, insightsProjection } from '../../src/doc/insights.ts';
import {
  openDocument,
  openLog,
  InvalidEditError,
  LIMITS,
  textUpdateOf,
  type EventId,
} from '../../src/index.ts';
import { readTextAt, setFieldValues } from '../../src/doc/document.ts';
import { visibleRuns } from '../../src/doc/text-restore.ts';
import { collect } from '../support/records.ts';
import { expectOneHistoryPerClientId } from '../support/yjs-history.ts';

async function tabs() {
  const log = await openLog({ actor: 'profile-1' });
  return {
    log,
    one: await openDocument(log, 'notes', { author: 'Tab 1' }),
    two: await openDocument(log, 'notes', { author: 'Tab 2' }),
  };
}

describe('fields are multi-value registers', () => {
  it('keeps both values of concurrent sets, and one set that saw both resolves them', async () => {
    const { one, two } = await tabs();
    const [base] = [await one.setField('title', 'Draft')];
    const seen = [base.event.id];
    const a = await one.setField('title', 'Plan A', { at: seen });
    const b = await two.setField('title', 'Plan B', { at: seen });
    const view = await one.view();
    expect(view.fields.title).toEqual(
      expect.arrayContaining(['Plan A', 'Plan B']),
    );
    expect(view.conflicts).toEqual([
      expect.objectContaining({
        kind: 'field',
        field: 'title',
        state: 'unresolved',
        events: [a.event.id, b.event.id], // canonical order: the earlier write first
        forkPoint: [base.event.id],
        authors: ['Tab 1', 'Tab 2'],
      }),
    ]);
    // Each side is one value, in the order the field lists its values, and
    // names its writer (QA pass 16: the page listed them in two orders).
    const [conflict] = view.conflicts as DocConflict[];
    const values = view.fields.title!;
    const writerOf = { 'Plan A': 'Tab 1', 'Plan B': 'Tab 2' } as Record<
      string,
      string
    >;
    const idOf = { 'Plan A': a.event.id, 'Plan B': b.event.id } as Record<
      string,
      string
    >;
    expect(conflict!.sides).toEqual(values.map((v) => [idOf[v as string]]));
    expect(conflict!.sideAuthors).toEqual(
      values.map((v) => writerOf[v as string]),
    );
    const pick = await two.setField('title', 'Plan B');
    const after = await one.view();
    expect(after.fields.title).toEqual(['Plan B']);
    expect(after.conflicts).toEqual([
      expect.objectContaining({
        kind: 'field',
        state: 'resolved',
        resolvedBy: pick.event.id,
        resolver: 'Tab 2',
      }),
    ]);
  });

  it('reserves @ names and validates field names', async () => {
    const { one } = await tabs();
    await expect(one.setField('@deleted', true)).rejects.toThrow(/reserved/);
    await expect(one.setField('', 1)).rejects.toMatchObject({
      code: 'INVALID_EVENT',
      field: 'field',
    });
  });
});

describe('text edits', () => {
  it('edits at older heads count positions in the text as those heads saw it', async () => {
    const { one, two } = await tabs();
    const base = await one.editText(0, 0, 'Hello world');
    const offline = [base.event.id];
    await one.editText(0, 5, 'Goodbye');
    const late = await two.editText(11, 0, '!', { at: offline });
    expect(late.concurrent).toHaveLength(1);
    expect((await two.view({ at: offline })).text).toBe('Hello world');
    expect((await one.view()).text).toBe('Goodbye world!');
  });

  it('refuses edits past the end, negative positions and no-ops', async () => {
    const { one } = await tabs();
    await one.editText(0, 0, 'abc');
    for (const [i, d, s] of [
      [4, 0, 'x'],
      [1, 5, ''],
      [-1, 0, 'x'],
      [0, 0, ''],
    ] as const) {
      await expect(one.editText(i, d, s)).rejects.toBeInstanceOf(
        InvalidEditError,
      );
    }
    expect((await one.view()).text).toBe('abc');
  });

  it('counts UTF-16 code units', async () => {
    const { one } = await tabs();
    await one.editText(0, 0, 'a😀b');
    await one.editText(3, 1, 'c');
    expect((await one.view()).text).toBe('a😀c');
  });

  it('groups concurrent typing into one episode, flagged when both typed in the same place', async () => {
    const { one, two } = await tabs();
    const base = await one.editText(0, 0, 'The quick brown fox. The lazy dog.');
    let mine = [base.event.id];
    let theirs = [base.event.id];
    for (let i = 0; i < 5; i++) {
      mine = [(await one.editText(4 + i, 0, 'x', { at: mine })).event.id];
      theirs = [(await two.editText(4 + i, 0, 'y', { at: theirs })).event.id];
    }
    const view = await one.view();
    const episodes = view.conflicts.filter((c) => c.kind === 'text');
    expect(episodes).toHaveLength(1);
    expect(episodes[0]).toMatchObject({
      state: 'auto-merged',
      overlapping: true,
      authors: ['Tab 1', 'Tab 2'],
    });
    expect(episodes[0]!.events).toHaveLength(10);
  });

  it('starts a new episode when a collision forks from the last one after a pause, and the insights count the same', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      for (const [pause, count] of [
        [1_000, 1],
        [EPISODE_PAUSE_MS + 5_000, 2],
      ] as const) {
        vi.setSystemTime(Date.UTC(2026, 0, 1, 9));
        const { log, one, two } = await tabs();
        const base = await one.editText(0, 0, 'Plan: ');
        const collide = async (at: EventId[]) => {
          await one.editText(6, 0, 'museums ', { at });
          await two.editText(6, 0, 'beach ', { at });
          // A write that saw both ends the collision.
          return [(await one.editText(0, 0, '# ')).event.id];
        };
        const merged = await collide([base.event.id]);
        vi.setSystemTime(Date.now() + pause);
        await collide(merged);
        const text = (await one.view()).conflicts.filter(
          (c) => c.kind === 'text',
        );
        expect(text, `after a pause of ${pause} ms`).toHaveLength(count);
        // Each collision forked from the merge of the last: the insights counted
        // each fork as an episode of its own.
        const insights = await log.project('insights', insightsProjection(), {
          streams: 'doc/',
        });
        expect(
          insightsOf(insights.state).conflicts,
          `insights after a pause of ${pause} ms`,
        ).toHaveLength(count);
        await insights.close();
      }
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not flag concurrent typing in different paragraphs', async () => {
    const { one, two } = await tabs();
    const base = await one.editText(
      0,
      0,
      'First paragraph.\n\nSecond paragraph.',
    );
    await one.editText(0, 0, 'A: ', { at: [base.event.id] });
    await two.editText(35, 0, ' (end)', { at: [base.event.id] });
    const [episode] = (await one.view()).conflicts;
    expect(episode).toMatchObject({
      kind: 'text',
      overlapping: false,
      state: 'auto-merged',
    });
    expect((await one.view()).text).toBe(
      'A: First paragraph.\n\nSecond paragraph. (end)',
    );
  });
});

describe('restore', () => {
  it('makes an earlier version current with one new event', async () => {
    const { one } = await tabs();
    await one.setField('title', 'v1');
    const v1 = await one.editText(0, 0, 'first draft');
    const old = await one.view({ at: [v1.event.id] });
    await one.editText(0, 5, 'second');
    await one.setField('title', 'v2');
    await one.setField('owner', 'me');
    const written = await one.restore([v1.event.id]);
    expect(written).toHaveLength(1);
    expect(written[0]!.event.type).toBe('doc.version.restored');
    const now = await one.view();
    expect(now.text).toBe(old.text);
    expect(now.fields).toEqual(old.fields);
  });

  it('brings back every value of a field the version held in conflict, the conflict open again', async () => {
    const { one, two } = await tabs();
    const base = await one.setField('title', 'Draft');
    const seen = [base.event.id];
    await one.setField('title', 'Plan A', { at: seen });
    await two.setField('title', 'Plan B', { at: seen });
    const version = await one.view();
    expect([...version.fields.title!].sort()).toEqual(['Plan A', 'Plan B']);
    // Picked since, and the text edited.
    await two.setField('title', 'Plan B');
    await one.editText(0, 0, 'later');
    const written = await one.restore(version.heads);
    expect(written.at(-1)!.event.type).toBe('doc.version.restored');
    const now = await one.view();
    expect([...now.fields.title!].sort()).toEqual(['Plan A', 'Plan B']);
    expect(now.text).toBe(version.text);
    expect(
      now.conflicts.filter(
        (c) => c.field === 'title' && c.state === 'unresolved',
      ),
    ).toHaveLength(1);
    // Restored again, nothing changes in the fields: only the restore itself.
    expect(await one.restore(version.heads)).toHaveLength(1);
    expect([...(await one.view()).fields.title!].sort()).toEqual([
      'Plan A',
      'Plan B',
    ]);
  });

  it('sets a field to several values at once, all live, as concurrent writes leave it', async () => {
    const { one } = await tabs();
    await one.setField('title', 'Draft');
    const written = await setFieldValues(one, 'title', ['Plan A', 'Plan B']);
    expect(written).toHaveLength(2);
    expect([...(await one.view()).fields.title!].sort()).toEqual([
      'Plan A',
      'Plan B',
    ]);
    await expect(setFieldValues(one, 'title', [])).rejects.toThrow(
      /at least one value/,
    );
    await expect(
      setFieldValues(one, '@deleted', [true, false]),
    ).rejects.toThrow(/reserved/);
  });

  it('brings back the version’s own characters, not look-alikes written since', async () => {
    const { one, two } = await tabs();
    const v1 = await one.editText(0, 0, 'Meet at noon.');
    const cake = await two.editText(13, 0, ' Bring cake.');
    await one.editText(8, 4, 'one'); // "Meet at one. Bring cake."
    await one.restore([v1.event.id]);
    expect((await one.view()).text).toBe('Meet at noon.');
    // The full stop is tab one's again, not the one of "cake.": nothing tab two
    // wrote is left for its undo to take from the version.
    const twos = new Set(
      Y.parseUpdateMeta(textUpdateOf(cake.event)!).from.keys(),
    );
    const runs = await readTextAt(one, undefined, visibleRuns);
    expect(runs.filter((r) => twos.has(r.client))).toEqual([]);
    expect(runs.map((r) => r.text).join('')).toBe('Meet at noon.');
  });

  it('brings back a text larger than one event holds, in one atomic batch that ends with the restore', async () => {
    const { log, one, two } = await tabs();
    // 1.5 million characters, a third at a time (an event holds at most 1 MiB).
    const third = 'A chapter of the book, line after line.\n'.repeat(12_500);
    for (let i = 0; i < 3; i++) await one.editText(i * third.length, 0, third);
    const whole = await one.view();
    expect(whole.text.length).toBe(3 * third.length);
    await one.editText(0, whole.text.length, 'Oops.'); // all of it deleted
    const before = (await collect(log.read(one.stream))).length;

    const restored = (await one.restore(whole.heads)).at(-1)!;
    expect(restored.event.type).toBe('doc.version.restored');
    const events = await collect(log.read(one.stream));
    const added = events.slice(before);
    expect(added.length).toBeGreaterThan(1);
    expect(added.at(-1)!.id).toBe(restored.event.id);
    // Each event within the limit, each after the one before.
    for (const [i, event] of added.entries()) {
      const bytes =
        event.data instanceof Uint8Array
          ? event.data.length
          : JSON.stringify(event.data).length;
      expect(bytes).toBeLessThanOrEqual(LIMITS.maxDataBytes);
      if (i > 0) expect(event.parents).toEqual([added[i - 1]!.id]);
    }
    expect((await one.view()).text).toBe(whole.text);
    // Another handle, and a fresh fold, read the same.
    expect((await two.view()).text).toBe(whole.text);
    const fresh = await openDocument(log, 'notes');
    expect((await fresh.view()).text).toBe(whole.text);
  });
});

describe('a text edit past what one event holds', () => {
  it('is stored as text edits of one atomic batch, each within the limit, and resolves to the last', async () => {
    const { log, one, two } = await tabs();
    await one.editText(0, 0, 'Before. After.');
    const before = (await collect(log.read(one.stream))).length;
    // 1.5 million characters pasted at once (an event holds at most 1 MiB).
    const paste = 'A chapter of the book, line after line.\n'.repeat(37_500);
    const last = await one.editText(8, 0, paste);
    const added = (await collect(log.read(one.stream))).slice(before);
    expect(added.length).toBeGreaterThan(1);
    expect(added.at(-1)!.id).toBe(last.event.id);
    for (const [i, event] of added.entries()) {
      expect(event.type).toBe('doc.text.edited');
      expect((event.data as Uint8Array).length).toBeLessThanOrEqual(
        LIMITS.maxDataBytes,
      );
      if (i > 0) expect(event.parents).toEqual([added[i - 1]!.id]);
    }
    const text = 'Before. ' + paste + 'After.';
    expect((await one.view()).text).toBe(text);
    expect((await one.view()).heads).toEqual([last.event.id]);
    expect((await two.view()).text).toBe(text);
    expect((await (await openDocument(log, 'notes')).view()).text).toBe(text);
  });
});

describe('delete', () => {
  it('tombstones a document and restores it', async () => {
    const { one } = await tabs();
    await one.editText(0, 0, 'kept');
    await one.delete();
    expect(await one.view()).toMatchObject({ deleted: true, text: 'kept' });
    await one.undelete();
    expect((await one.view()).deleted).toBe(false);
  });
});

describe('Yjs client ids', () => {
  it('never produce two histories under one client id, whatever heads edits are made at', async () => {
    const { log, one, two } = await tabs();
    const base = await one.editText(0, 0, 'base');
    const a1 = await one.editText(0, 0, 'a', { at: [base.event.id] });
    await one.editText(0, 0, 'b', { at: [base.event.id] });
    await one.editText(0, 0, 'c', { at: [a1.event.id] });
    await two.editText(0, 0, 'd');
    await one.editText(1, 0, 'e');
    expectOneHistoryPerClientId(await collect(log.read(one.stream)));
  });
});

describe('replicas of a document', () => {
  it('converge when the same events arrive in different orders', async () => {
    const a = await openLog({ actor: 'device-a' });
    const docA = await openDocument(a, 'shared', { author: 'A' });
    const b = await openLog({ actor: 'device-b' });
    const docB = await openDocument(b, 'shared', { author: 'B' });
    await docA.editText(0, 0, 'shared text');
    await b.ingest(await collect(a.since({})));
    await docA.editText(0, 6, 'common');
    await docA.setField('title', 'from A');
    await docB.editText(11, 0, ' and more');
    await docB.setField('title', 'from B');
    const fromA = await collect(a.since(await b.versionVector()));
    const fromB = await collect(b.since(await a.versionVector()));
    await a.ingest(fromB.reverse());
    await b.ingest(fromA);
    const [va, vb] = [await docA.view(), await docB.view()];
    expect(va.text).toBe('common text and more');
    expect(vb.text).toBe(va.text);
    expect(vb.fields).toEqual(va.fields);
    expect(va.fields.title).toHaveLength(2);
    expect(vb.conflicts.map((c) => [c.kind, c.state])).toEqual(
      va.conflicts.map((c) => [c.kind, c.state]),
    );
  });
});

describe('a change of another replica that does not read', () => {
  it('is passed over by the view, its text and its conflicts, never thrown', async () => {
    const log = await openLog({ actor: 'here' });
    const doc = await openDocument(log, 'odd', { author: 'Tab 1' });
    await doc.editText(0, 0, 'Base text.');
    const base = await log.heads('doc/odd');
    await doc.editText(10, 0, ' Mine.', { at: base });
    // Concurrent with that edit, every id valid: the log stores them.
    const odd: EventId[] = [];
    for (const data of [{ not: 'bytes' }, new Uint8Array([250, 1, 2])]) {
      const [stored] = await log.append(
        'doc/odd',
        { type: 'doc.text.edited', data: data as never, author: 'Odd' },
        { expected: base },
      );
      odd.push(stored!.event.id);
    }
    const ignored: unknown[] = [];
    const view = await (
      await openDocument(log, 'odd', { onIgnoredError: (e) => ignored.push(e) })
    ).view();
    expect(view.text).toBe('Base text. Mine.');
    // The edit of no bytes is no text edit; the bytes that are no Yjs update
    // touched no text, so the episode with it overlaps nothing.
    const text = view.conflicts.filter((c) => c.kind === 'text');
    expect(text.flatMap((c) => c.events)).not.toContain(odd[0]);
    expect(
      text.every((c) => !(c as { overlapping?: boolean }).overlapping),
    ).toBe(true);
    expect(ignored.length).toBeGreaterThan(0);
  });
});

describe('two devices writing under one label', () => {
  it('are two writers: named apart in the conflict, and a side each when compared', async () => {
    const a = await openLog({ actor: 'device-a-3kQ9' });
    const b = await openLog({ actor: 'device-b-7Zp2' });
    // Each profile counts its tabs from 1.
    const docA = await openDocument(a, 'shared', { author: 'Tab 1' });
    const docB = await openDocument(b, 'shared', { author: 'Tab 1' });
    const base = await docA.editText(0, 0, 'Plan: ');
    await b.ingest(await collect(a.since({})));
    await docA.editText(6, 0, 'museums');
    await docB.editText(6, 0, 'beach');
    await a.ingest(await collect(b.since(await a.versionVector())));
    const [episode] = (await docA.view()).conflicts;
    expect(episode!.kind).toBe('text');
    expect([...episode!.authors].sort()).toEqual([
      'Tab 1 (actor device-a)',
      'Tab 1 (actor device-b)',
    ]);
    const changes = await conflictChanges(
      a,
      docA.stream,
      [base.event.id],
      await a.heads(docA.stream),
    );
    // Named in the order of the comparison's sides, the first to edit first.
    expect(episode!.authors).toEqual(changes.sides.map((side) => side.writer));
    expect(
      changes.sides
        .map(({ writer, parts }) => [
          writer,
          parts.filter((p) => p.kind === 'added').map((p) => p.text),
        ])
        .sort(),
    ).toEqual([
      ['Tab 1 (actor device-a)', ['museums']],
      ['Tab 1 (actor device-b)', ['beach']],
    ]);
  });
});

describe('conflict lists', () => {
  it('are in the same order on every replica, even when two writes resolve the same values', async () => {
    // Found by npm run fuzz (seed -1319050581): order followed arrival, not content.
    const a = await openLog({ actor: 'device-a' });
    const b = await openLog({ actor: 'device-b' });
    const [da, db] = [
      await openDocument(a, 'd', { author: 'A' }),
      await openDocument(b, 'd', { author: 'B' }),
    ];
    const base = await da.setField('colour', 'red');
    await b.ingest(await collect(a.since({})));
    const x = await da.setField('colour', 'green', { at: [base.event.id] });
    const y = await db.setField('colour', 'blue', { at: [base.event.id] });
    await a.ingest([y.event]);
    await b.ingest([x.event]);
    // Both now see green and blue, and each resolves them, concurrently.
    const resolveA = await da.setField('colour', 'green');
    const resolveB = await db.setField('colour', 'blue');
    const fromA = await collect(a.since(await b.versionVector()));
    const fromB = await collect(b.since(await a.versionVector()));
    await a.ingest(fromB);
    await b.ingest(fromA);
    const order = async (d: typeof da) =>
      (await d.view()).conflicts.map((c) => [c.state, c.events, c.resolvedBy]);
    expect(await order(db)).toEqual(await order(da));
    // One conflict (green against blue) resolved twice at once is one conflict,
    // resolved by the earlier write; the two resolutions are the next conflict.
    const { conflicts } = await da.view();
    const resolved = conflicts.filter((c) => c.state === 'resolved');
    expect(resolved.map((c) => [...c.events].sort())).toEqual([
      [x.event.id, y.event.id].sort(),
    ]);
    expect(conflicts.filter((c) => c.state === 'unresolved')).toHaveLength(1);
    expect(resolved[0]!.resolvedBy).toBe(
      [resolveA, resolveB].sort((p, q) =>
        p.event.time === q.event.time
          ? p.event.id < q.event.id
            ? -1
            : 1
          : p.event.time < q.event.time
            ? -1
            : 1,
      )[0]!.event.id,
    );
    // Both writers resolved it, at once: it says so, naming both, on both
    // replicas, and what each write left is the conflict after it (QA pass 13:
    // "resolved by Ada", the title still in conflict).
    const other = [resolveA, resolveB]
      .map((r) => r.event.id)
      .filter((id) => id !== resolved[0]!.resolvedBy);
    for (const d of [da, db])
      expect((await d.view()).conflicts).toContainEqual(
        expect.objectContaining({
          state: 'resolved',
          resolver: 'A and B',
          alsoResolvedBy: other,
        }),
      );
    // And the insights count them as the timeline lists them.
    const insights = await a.project('insights', insightsProjection(), {
      streams: 'doc/',
    });
    expect(insightsOf(insights.state).conflicts).toHaveLength(2);
    await insights.close();
  });

  it('list a field conflict 5,000 events back, still unresolved, and the text episode after it', async () => {
    const a = await openLog({ actor: 'device-a' });
    const b = await openLog({ actor: 'device-b' });
    const [da, db] = [
      await openDocument(a, 'd', { author: 'A' }),
      await openDocument(b, 'd', { author: 'B' }),
    ];
    const base = await da.setField('title', 'Draft');
    await b.ingest(await collect(a.since({})));
    await da.setField('title', 'Plan A', { at: [base.event.id] });
    await db.setField('title', 'Plan B', { at: [base.event.id] });
    await a.ingest(await collect(b.since(await a.versionVector())));
    // Typing goes on for 5,000 events: the stream merges, the title stays two-valued.
    for (let i = 0; i < 5000; i++) await da.editText(i, 0, 'x');
    await b.ingest(await collect(a.since(await b.versionVector())));
    await da.editText(0, 0, 'a');
    await db.editText(5000, 0, 'b');
    await a.ingest(await collect(b.since(await a.versionVector())));
    const { conflicts } = await da.view();
    expect(conflicts.map((c) => [c.kind, c.field, c.state])).toEqual([
      ['field', 'title', 'unresolved'],
      ['text', undefined, 'auto-merged'],
    ]);
    expect(conflicts[0]!.authors).toEqual(['A', 'B']);
    expect((await a.conflicts('doc/d')).map((c) => c.state)).toEqual([
      'resolved',
      'unresolved',
    ]);
  });
});
