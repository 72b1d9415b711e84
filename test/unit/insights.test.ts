import fc from 'fast-check';
import * as Y from 'yjs';
import { describe, expect, it, vi } from 'vitest';
import { EPISODE_PAUSE_MS } from '../../src/doc/doc-conflicts.ts';
import {
  openDocument,
  openLog,
  type DocumentHandle,
  type Log,
  type LogEvent,
} from '../../src/index.ts';
import {
  insightsOf,
  insightsProjection,
  packTimes,
  unpackTimes,
} from '../../src/doc/insights.ts';
import { assertProperty } from '../support/property.ts';
import { collect } from '../support/records.ts';

const edit = fc.record({
  writer: fc.nat(1),
  doc: fc.constantFrom('a', 'b'),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  remove: fc.nat(4),
  insert: fc.string({ maxLength: 6 }),
  sync: fc.boolean(),
});

/** A step of three writers: typing, or a rename, then maybe a sync with another. */
const step = fc.record({
  writer: fc.nat(2),
  rename: fc.boolean(),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  insert: fc.stringMatching(/^[a-z ]{1,4}$/),
  sync: fc.option(fc.nat(2), { nil: undefined }),
  /**
   * Ms on the writers' shared clock before the step: none (events in one ms, their
   * clocks' order left to their counters and actors), or a little. Not a pause
   * past EPISODE_PAUSE_MS: after one, this fold (which keeps the last ended
   * episode, not every one) and the timeline's union of groups can still tell
   * stretches apart differently (docs/projections.md).
   */
  gap: fc.constantFrom(0, 1, 40),
});

async function syncInto(to: Log, from: Log) {
  await to.ingest(await collect(from.since(await to.versionVector())));
}

/** Document d's conflicts as its timeline lists them, and as the insights of `log` count them. */
async function bothViews(log: Log) {
  const { conflicts: listed } = await (await openDocument(log, 'd')).view();
  const handle = await log.project('insights', insightsProjection(), {
    streams: 'doc/',
  });
  const { conflicts } = insightsOf(handle.state, ['d']);
  await handle.close();
  return { listed, conflicts };
}

describe('the insights projection', () => {
  it('counts each document’s characters and each author’s edits as the documents hold them', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.array(edit, { minLength: 1, maxLength: 25 }),
        async (edits) => {
          const logs = [
            await openLog({ actor: 'w0' }),
            await openLog({ actor: 'w1' }),
          ];
          const names = ['Ada', 'Bo'];
          for (const e of edits) {
            const log = logs[e.writer]!;
            const doc = await openDocument(log, e.doc, {
              author: names[e.writer]!,
            });
            const { text } = await doc.view();
            const index = Math.floor(e.at * text.length);
            const remove = Math.min(e.remove, text.length - index);
            // Whole characters only: the property is about counting, not splitting pairs.
            if (/[\ud800-\udfff]/.test(e.insert + text)) continue;
            if (remove === 0 && e.insert === '') continue;
            await doc.editText(index, remove, e.insert);
            if (e.sync) {
              await syncInto(logs[0]!, logs[1]!);
              await syncInto(logs[1]!, logs[0]!);
            }
          }
          await syncInto(logs[0]!, logs[1]!);
          const [log] = logs as [Log];
          const handle = await log.project('insights', insightsProjection(), {
            streams: 'doc/',
          });
          for (const docId of ['a', 'b']) {
            const data = insightsOf(handle.state, [docId]);
            const events = await collect(log.read(`doc/${docId}`));
            const { text } = await (await openDocument(log, docId)).view();
            expect(data.sizes.at(-1)?.characters ?? 0).toBe(text.length);
            // Episodes against brute force: some pair of events saw neither the
            // other; one is open exactly while the document has several heads.
            const ancestors = new Map<string, Set<string>>();
            for (const ev of events)
              ancestors.set(
                ev.id,
                new Set(ev.parents.flatMap((p) => [p, ...ancestors.get(p)!])),
              );
            const concurrent = events.some((x, i) =>
              events
                .slice(i + 1)
                .some(
                  (y) =>
                    !ancestors.get(y.id)!.has(x.id) &&
                    !ancestors.get(x.id)!.has(y.id),
                ),
            );
            expect(data.conflicts.length > 0).toBe(concurrent);
            // Each opened when one of the document's events was written; text
            // is auto-merged, and took a time (>= 0) until an edit saw every side,
            // none while the stream is forked.
            const times = new Set(events.map((ev) => ev.time));
            for (const c of data.conflicts) {
              expect(times).toContain(c.time);
              expect(c.state).toBe('auto-merged');
              if (c.resolvedAfter !== undefined)
                expect(c.resolvedAfter).toBeGreaterThanOrEqual(0);
            }
            expect(
              data.conflicts.filter((c) => c.resolvedAfter === undefined)
                .length,
            ).toBe((await log.heads(`doc/${docId}`)).length > 1 ? 1 : 0);
            for (const name of names)
              expect(
                data.edits
                  .filter((r) => r.author === name)
                  .reduce((n, r) => n + r.count, 0),
              ).toBe(events.filter((ev) => ev.author === name).length);
          }
          await handle.close();
          await Promise.all(logs.map((l) => l.close()));
        },
      ),
      40,
    );
  });

  it('lists the conflicts the timeline lists: field conflicts as register ones, text episodes as text, each open or resolved as there', async () => {
    // With three writers, one who saw neither side of two stretches of forks makes
    // them one in the timeline (its groups share that writer's events), which a
    // fold that keeps only the last stretch may list as two: never fewer.
    await assertProperty(
      fc.asyncProperty(
        fc.constantFrom(2, 3),
        fc.array(step, { minLength: 1, maxLength: 30 }),
        async (writers, steps) => {
          // Time as the steps say, not as the machine runs them: the events'
          // clocks order them and group their forks, and a run's timing made a
          // seed fail on a loaded machine and pass again when replayed.
          let now = Date.UTC(2026, 11, 4);
          const logs = await Promise.all(
            [0, 1, 2].map((w) => openLog({ actor: `w${w}`, now: () => now })),
          );
          const names = ['Ada', 'Bo', 'Cy'];
          const docs = await Promise.all(
            logs.map((log, w) => openDocument(log, 'd', { author: names[w]! })),
          );
          for (const s of steps.map((s) => ({
            ...s,
            writer: s.writer % writers,
            sync: s.sync === undefined ? undefined : s.sync % writers,
          }))) {
            now += s.gap;
            const doc = docs[s.writer]!;
            if (s.rename) await doc.setField('title', s.insert);
            else {
              const { text } = await doc.view();
              await doc.editText(Math.floor(s.at * text.length), 0, s.insert);
            }
            if (s.sync !== undefined && s.sync !== s.writer) {
              await syncInto(logs[s.sync]!, logs[s.writer]!);
              await syncInto(logs[s.writer]!, logs[s.sync]!);
            }
          }
          const [log] = logs as [Log];
          for (const other of logs.slice(1)) await syncInto(log, other);
          const { listed, conflicts } = await bothViews(log);
          const count = (
            of: { kind: string; state: string }[],
            kind: (k: string) => boolean,
            state?: string,
          ) =>
            of.filter(
              (c) => kind(c.kind) && (state === undefined || c.state === state),
            ).length;
          const field = (k: string) => k === 'field' || k === 'register';
          const text = (k: string) => !field(k);
          const texts = count(conflicts, text);
          const timeline = count(listed, text);
          expect({
            fields: count(conflicts, field),
            open: count(conflicts, field, 'unresolved'),
            texts: writers === 2 ? texts : texts > 0,
          }).toEqual({
            fields: count(listed, field),
            open: count(listed, field, 'unresolved'),
            texts: writers === 2 ? timeline : timeline > 0,
          });
          expect(texts).toBeGreaterThanOrEqual(timeline);
          await Promise.all(logs.map((l) => l.close()));
        },
      ),
      60,
    );
  });

  it('calls a text episode overlapping exactly when the timeline does: one definition, by Yjs ids (text-touches.ts)', async () => {
    // Two writers typing and deleting anywhere, syncing now and then. The insights
    // decided by Yjs ids and the timeline by positions in the merged text: two
    // writers typing into an empty document overlapped in one and not the other.
    const typing = fc.record({
      writer: fc.nat(1),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      remove: fc.nat(3),
      insert: fc.stringMatching(/^[a-z ]{1,4}$/),
      sync: fc.boolean(),
      gap: fc.constantFrom(0, 1, 40),
    });
    await assertProperty(
      fc.asyncProperty(
        fc.array(typing, { minLength: 1, maxLength: 30 }),
        async (steps) => {
          let now = Date.UTC(2026, 11, 6);
          const logs = await Promise.all(
            [0, 1].map((w) => openLog({ actor: `w${w}`, now: () => now })),
          );
          const docs = await Promise.all(
            logs.map((log, w) =>
              openDocument(log, 'd', { author: ['Ada', 'Bo'][w]! }),
            ),
          );
          for (const s of steps) {
            now += s.gap;
            const { text } = await docs[s.writer]!.view();
            const at = Math.floor(s.at * text.length);
            await docs[s.writer]!.editText(
              at,
              Math.min(s.remove, text.length - at),
              s.insert,
            );
            if (s.sync) {
              await syncInto(logs[1 - s.writer]!, logs[s.writer]!);
              await syncInto(logs[s.writer]!, logs[1 - s.writer]!);
            }
          }
          const [log, other] = logs as [Log, Log];
          await syncInto(log, other);
          const { listed, conflicts } = await bothViews(log);
          expect(
            conflicts.filter((c) => c.kind !== 'register').map((c) => c.kind),
          ).toEqual(
            listed
              .filter((c) => c.kind === 'text')
              .map((c) => (c.overlapping ? 'overlapping text' : 'auto-merged')),
          );
          await Promise.all(logs.map((l) => l.close()));
        },
      ),
      100,
    );
  });

  it('dates an episode from the first edit of a side that typed offline before the other began, as the timeline does', async () => {
    let now = Date.UTC(2026, 11, 6, 7, 27, 0);
    const [a, b] = await Promise.all(
      ['w0', 'w1'].map((actor) => openLog({ actor, now: () => now })),
    );
    await (
      await openDocument(a!, 'd', { author: 'Ana' })
    ).editText(0, 0, 'Start.');
    await syncInto(b!, a!);
    const ben = await openDocument(b!, 'd', { author: 'Ben' });
    const first = now + 1000;
    for (let i = 0; i < 40; i++) {
      now += 1000;
      await ben.editText(5, 0, `${i % 10}`);
    }
    now += 25_000;
    await (await openDocument(a!, 'd', { author: 'Ana' })).editText(5, 0, 'A');
    await syncInto(a!, b!);
    const { listed, conflicts } = await bothViews(a!);
    expect(conflicts.map((c) => Date.parse(c.time))).toEqual([first]);
    expect(listed.map((c) => Date.parse(c.from))).toEqual([first]);
    await Promise.all([a!.close(), b!.close()]);
  });

  it('counts two replicas writing under one label as two writers, named as the timeline names them', async () => {
    const [a, b] = [
      await openLog({ actor: 'laptop-3kQ9x' }),
      await openLog({ actor: 'phone-Zr41p' }),
    ];
    // Each device counts its tabs from 1: both write as "Tab 1".
    for (const [log, times] of [
      [a, 3],
      [b, 2],
    ] as const) {
      const doc = await openDocument(log, 'd', { author: 'Tab 1' });
      for (let i = 0; i < times; i++) await doc.editText(0, 0, 'x');
    }
    await syncInto(a, b);
    const handle = await a.project('insights', insightsProjection(), {
      streams: 'doc/',
    });
    const counts = new Map<string, number>();
    for (const row of insightsOf(handle.state).edits)
      counts.set(row.author, (counts.get(row.author) ?? 0) + row.count);
    expect(counts).toEqual(
      new Map([
        ['Tab 1 (actor laptop)', 3],
        ['Tab 1 (actor phone-)', 2],
      ]),
    );
    await handle.close();
    await Promise.all([a.close(), b.close()]);
  });

  it('checkpoints only what its columns hold, and folds on from a checkpoint as from nothing', async () => {
    // A log reads the clock it was opened with: faked first.
    vi.useFakeTimers({ toFake: ['Date'] });
    const [a, b] = [
      await openLog({ actor: 'w0' }),
      await openLog({ actor: 'w1' }),
    ];
    const writers = [
      [a, 'Ada'],
      [b, 'Bo'],
    ] as const;
    /**
     * `times` episodes: both write at once, then each sees the other, a pause
     * apart (a collision right after one is the same episode).
     */
    async function collide(times: number) {
      for (let i = 0; i < times; i++) {
        vi.setSystemTime(Date.now() + EPISODE_PAUSE_MS + 1_000);
        for (const [log, author] of writers)
          await (
            await openDocument(log, 'd', { author })
          ).editText(0, 0, `${author} ${i}. `);
        await syncInto(a, b);
        await syncInto(b, a);
      }
    }
    const projection = insightsProjection();
    let fresh = 0;
    /** The checkpointed projection's insights, against a fold from nothing. */
    async function reopened() {
      const kept = await a.project('insights', projection, { streams: 'doc/' });
      const again = await a.project(`fresh ${fresh++}`, insightsProjection(), {
        streams: 'doc/',
      });
      expect(insightsOf(kept.state)).toEqual(insightsOf(again.state));
      const doc = projection.snapshot!.encode!(kept.state) as Map<
        string,
        {
          episodes: {
            count: number;
            times: Float64Array | { deltas: Int32Array };
            kinds: Uint8Array;
          };
          recent: { count: number; edits: Uint32Array; spans: Uint32Array };
        }
      >;
      const { episodes, recent } = doc.get('d')!;
      // Times as 32-bit differences: these are seconds apart.
      expect(episodes.times).not.toBeInstanceOf(Float64Array);
      expect((episodes.times as { deltas: Int32Array }).deltas.length).toBe(
        3 * episodes.count,
      );
      expect(episodes.kinds.length).toBe(episodes.count);
      expect(recent.edits).toBeInstanceOf(Uint32Array);
      expect(recent.edits.length).toBe(2 * recent.count);
      expect(recent.spans).toBeInstanceOf(Uint32Array);
      expect(recent.spans.length).toBe(recent.edits.at(-1) ?? 0);
      await Promise.all([kept.close(), again.close()]);
      return episodes.count;
    }
    try {
      await (
        await openDocument(a, 'd', { author: 'Ada' })
      ).editText(0, 0, 'Start. ');
      // No episode yet: the checkpoint's columns hold nothing, not even room.
      expect(await reopened()).toBe(0);
      await collide(9);
      expect(await reopened()).toBe(9);
      await collide(9);
      expect(await reopened()).toBe(18);
    } finally {
      vi.useRealTimers();
    }
    await Promise.all([a.close(), b.close()]);
  });

  describe('tells the kinds of conflict apart', () => {
    const base = 'First paragraph, long enough to keep apart.\n\nSecond one.';
    /** Two replicas with `base`, synced; `edits` run on each without syncing; then synced. */
    async function kindOf(
      one: (doc: DocumentHandle, text: string) => Promise<unknown>,
      two: (doc: DocumentHandle, text: string) => Promise<unknown>,
      // A later edit that saw both sides: it merges the stream.
      then = (doc: DocumentHandle) => doc.editText(0, 0, '>'),
    ) {
      const [a, b] = [
        await openLog({ actor: 'w0' }),
        await openLog({ actor: 'w1' }),
      ];
      await (
        await openDocument(a, 'd', { author: 'Ada' })
      ).editText(0, 0, base);
      await syncInto(b, a);
      for (const [log, edit, author] of [
        [a, one, 'Ada'],
        [b, two, 'Bo'],
      ] as const) {
        const doc = await openDocument(log, 'd', { author });
        await edit(doc, (await doc.view()).text);
      }
      await syncInto(a, b);
      await syncInto(b, a);
      await then(await openDocument(a, 'd', { author: 'Ada' }));
      const handle = await a.project('insights', insightsProjection(), {
        streams: 'doc/',
      });
      const { conflicts } = insightsOf(handle.state);
      await handle.close();
      return conflicts.map((c) => [c.kind, c.state]);
    }
    const typeAt =
      (where: (text: string) => number, words: string[]) =>
      async (doc: DocumentHandle, text: string) => {
        let at = where(text);
        for (const word of words) {
          await doc.editText(at, 0, word);
          at += word.length;
        }
      };
    const end = (text: string) => text.length;

    it('typing at one place is overlapping text', async () => {
      expect(
        await kindOf(typeAt(end, [' One', ' two.']), typeAt(end, [' Three.'])),
      ).toEqual([['overlapping text', 'auto-merged']]);
    });

    it('typing in different paragraphs is auto-merged', async () => {
      expect(
        await kindOf(
          typeAt(() => 5, [' A', 'B']),
          typeAt(end, [' C', 'D']),
        ),
      ).toEqual([['auto-merged', 'auto-merged']]);
    });

    it('deleting the characters the other types beside is overlapping text', async () => {
      expect(
        await kindOf(
          (doc, text) => doc.editText(text.indexOf('Second'), 6, ''),
          typeAt((text) => text.indexOf(' one.'), [' long']),
        ),
      ).toEqual([['overlapping text', 'auto-merged']]);
    });

    it('finds the overlap when one side typed long before the other began', async () => {
      // In canonical order the episode opens at the later side's first edit: the
      // earlier side's edits since the fork point count too.
      const many = Array.from({ length: 40 }, (_, i) => ` w${i}`);
      expect(
        await kindOf(typeAt(end, many), async (doc, text) => {
          await new Promise((r) => setTimeout(r, 5));
          await typeAt(end, [' late'])(doc, text);
        }),
      ).toEqual([['overlapping text', 'auto-merged']]);
    });

    it('compares the last of many edits one side made first, past those it forgot', async () => {
      // 100 edits, a deletion, 40 more: the kept edits were trimmed to the last
      // ones (and their touches moved along) after the deletion, before the other
      // side's first edit.
      const many = async (doc: DocumentHandle, text: string) => {
        for (let i = 0; i < 100; i++) await doc.editText(0, 0, 'x');
        await doc.editText(100 + text.length - 1, 1, '');
        for (let i = 0; i < 40; i++) await doc.editText(0, 0, 'y');
      };
      const later =
        (at: (text: string) => number) =>
        async (doc: DocumentHandle, text: string) => {
          await new Promise((r) => setTimeout(r, 5));
          await doc.editText(at(text), 1, '');
        };
      expect(
        await kindOf(
          many,
          later((text) => text.length - 1),
        ),
      ).toEqual([['overlapping text', 'auto-merged']]);
      expect(
        await kindOf(
          many,
          later(() => 10),
        ),
      ).toEqual([['auto-merged', 'auto-merged']]);
    });

    it('a field set on both sides is a register conflict, open until a value is picked', async () => {
      const one = (doc: DocumentHandle) => doc.setField('title', 'One');
      const two = (doc: DocumentHandle) => doc.setField('title', 'Two');
      // Typing that saw both merges the stream, and both titles are still live.
      expect(await kindOf(one, two)).toEqual([['register', 'unresolved']]);
      expect(
        await kindOf(one, two, (doc) => doc.setField('title', 'Picked')),
      ).toEqual([['register', 'resolved']]);
    });

    it('a rename beside typing is no conflict, as the timeline has it', async () => {
      expect(
        await kindOf(
          (doc) => doc.setField('title', 'Renamed'),
          typeAt(end, [' typed']),
        ),
      ).toEqual([]);
    });
  });

  it('keeps thousands of concurrent values of one field as one register conflict, resolved by the write that replaces them', () => {
    // Another replica may write a field many times at once, each write naming no
    // value it replaces: one conflict, its span from the values it read, and
    // replacing them costs a look-up each, not a scan of them all.
    const projection = insightsProjection();
    let state = projection.initial();
    const ids: string[] = [];
    const set = (i: number, supersedes: string[]) => {
      const id = `v${i}`;
      state = projection.evolve(state, {
        id,
        stream: 'doc/d',
        type: 'doc.field.set',
        data: { field: 'title', value: id, supersedes },
        parents: [],
        actor: `w${i}`,
        seq: 1,
        hlc: '0',
        time: new Date(1_000 * i).toISOString(),
      } as LogEvent);
      ids.push(id);
    };
    for (let i = 0; i < 3_000; i++) set(i, []);
    const kinds = () =>
      insightsOf(state).conflicts.map((c) => [c.kind, c.state, c.time]);
    expect(kinds()).toEqual([
      ['register', 'unresolved', new Date(0).toISOString()],
    ]);
    set(3_000, [...ids]);
    expect(kinds()).toEqual([
      ['register', 'resolved', new Date(0).toISOString()],
    ]);
  });

  it('follows a merge of many sides: one episode, open until an edit saw every side', async () => {
    // Twelve sides against twelve parents: past the heads compared one by one.
    const logs = await Promise.all(
      Array.from({ length: 12 }, (_, i) => openLog({ actor: `w${i}` })),
    );
    const [first] = logs as [Log];
    await (
      await openDocument(first, 'd', { author: 'A0' })
    ).editText(0, 0, 'x');
    for (const log of logs.slice(1)) await syncInto(log, first);
    for (const [i, log] of logs.entries())
      await (
        await openDocument(log, 'd', { author: `A${i}` })
      ).editText(0, 0, `${i}`);
    for (const log of logs.slice(1)) await syncInto(first, log);
    const project = async () => {
      const handle = await first.project('insights', insightsProjection(), {
        streams: 'doc/',
      });
      const { conflicts } = insightsOf(handle.state);
      await handle.close();
      return conflicts.map((c) => c.resolvedAfter !== undefined);
    };
    expect(await first.heads('doc/d')).toHaveLength(12);
    expect(await project()).toEqual([false]);
    await (
      await openDocument(first, 'd', { author: 'A0' })
    ).editText(0, 0, '>');
    expect(await first.heads('doc/d')).toHaveLength(1);
    expect(await project()).toEqual([true]);
    await Promise.all(logs.map((l) => l.close()));
  });

  it('keeps what an episode compares bounded, whatever an update from another replica holds', () => {
    // Scattered deletions make one range each: a hostile update can hold thousands.
    const base = new Y.Doc();
    base.getText('body').insert(0, 'x'.repeat(4000));
    const scattered = (from: number) => {
      const doc = new Y.Doc();
      Y.applyUpdate(doc, Y.encodeStateAsUpdate(base));
      const before = Y.encodeStateVector(doc);
      doc.transact(() => {
        for (let i = 3999 - from; i >= 0; i -= 2)
          doc.getText('body').delete(i, 1);
      });
      return Y.encodeStateAsUpdate(doc, before);
    };
    const event = (
      id: string,
      actor: string,
      parents: string[],
      data: Uint8Array,
    ) =>
      ({
        id,
        stream: 'doc/d',
        type: 'doc.text.edited',
        data,
        parents,
        actor,
        seq: 1,
        hlc: '0',
        time: '2026-12-01T00:00:00.000Z',
      }) as LogEvent;
    const projection = insightsProjection();
    let state = projection.initial();
    for (const e of [
      event('e0', 'w0', [], Y.encodeStateAsUpdate(base)),
      event('e1', 'w1', ['e0'], scattered(0)),
      event('e2', 'w2', ['e0'], scattered(1)),
    ])
      state = projection.evolve(state, e);
    const open = state.get('d')!.open!;
    expect(open.touched?.size).toBe(2);
    for (const byClient of open.touched?.values() ?? [])
      for (const ranges of byClient.values())
        expect(ranges.length).toBeLessThanOrEqual(256);
    expect(insightsOf(state).conflicts).toHaveLength(1);
  });
});

describe('the conflicts of the whole log', () => {
  it('come by the time each opened, those whose time does not parse first, across documents', async () => {
    // In each document, from its first event, forks: two events that did not see
    // each other, then one that saw both (or not). A fork from the last's events
    // (or the event that merged them) is an episode of its own unless its sides
    // began within EPISODE_PAUSE_MS after them (or before: clocks disagree).
    // Then it is the last one's, which opened at the earliest time of them all.
    const time = fc.oneof(
      fc.integer({ min: 0, max: 4e12 }).map((ms) => new Date(ms).toISOString()),
      fc.constant('not a time'),
    );
    const fork = fc.record({
      doc: fc.constantFrom('a', 'b', 'c'),
      // A time that does not parse on either side, or both: then the episode has none.
      times: fc.tuple(time, time),
      merged: fc.boolean(),
    });
    await assertProperty(
      fc.asyncProperty(fc.array(fork, { maxLength: 12 }), async (forks) => {
        const projection = insightsProjection();
        let state = projection.initial();
        const heads = new Map<string, string[]>();
        let n = 0;
        // Two writers, each typing into its own Y.Doc: every fork is a text episode.
        const writers = [1, 2].map((clientID) => {
          const doc = new Y.Doc();
          doc.clientID = clientID;
          return { doc, seq: 0 };
        });
        const add = (
          doc: string,
          parents: string[],
          time: string,
          writer: 0 | 1,
        ) => {
          const id = `e${n++}`;
          const w = writers[writer]!;
          const before = Y.encodeStateVector(w.doc);
          w.doc.getText('text').insert(0, 'x');
          state = projection.evolve(state, {
            id,
            stream: `doc/${doc}`,
            type: 'doc.text.edited',
            data: Y.encodeStateAsUpdate(w.doc, before),
            parents,
            actor: `w${writer}`,
            seq: ++w.seq,
            hlc: '0',
            time,
          } as LogEvent);
          return id;
        };
        /** Per episode, the times (ms) its sides began, those that parse. */
        const episodes: number[][] = [];
        /** Per document: its last episode, and the times of the fork's parents. */
        const last = new Map<
          string,
          { episode: number[]; parents: number[] }
        >();
        for (const { doc, times, merged } of forks) {
          const before = heads.get(doc) ?? [];
          const one = add(doc, before, times[0], 0);
          const other = add(doc, before, times[1], 1);
          const [t0, t1] = times.map((t) => Date.parse(t)) as [number, number];
          const began = [t0, t1].filter((t) => !Number.isNaN(t));
          const from = began.length > 0 ? Math.min(...began) : NaN;
          const previous = last.get(doc);
          let episode = previous?.episode;
          if (!previous?.parents.some((t) => from - t <= EPISODE_PAUSE_MS))
            episodes.push((episode = []));
          episode!.push(...began);
          last.set(doc, {
            episode: episode!,
            parents: merged ? [t1] : [t0, t1],
          });
          heads.set(
            doc,
            merged ? [add(doc, [one, other], times[1], 1)] : [one, other],
          );
        }
        // Each opened at its sides' earliest time, or none that parses.
        const opened = episodes.map((at) =>
          at.length > 0 ? new Date(Math.min(...at)).toISOString() : '',
        );
        const times = insightsOf(state).conflicts.map((c) => c.time);
        // Every episode once, in the order of its time as written.
        expect([...times].sort()).toEqual([...opened].sort());
        expect(times).toEqual([...times].sort());
      }),
      300,
    );
  });
});

describe('episode times in a checkpoint', () => {
  it('come back as they were: NaN, far apart, or not whole milliseconds', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.constant(NaN),
            fc.integer({ min: 1.7e12, max: 1.7e12 + 1e6 }),
            fc.double({ min: -1e15, max: 1e15, noNaN: true }),
          ),
          { maxLength: 60 },
        ),
        async (values) => {
          const times = Float64Array.from(values);
          expect(unpackTimes(packTimes(times))).toEqual(times);
        },
      ),
      200,
    );
    // Close times pack to 32-bit differences.
    const close = Float64Array.from([1.7e12, 1.7e12 + 5, NaN, 1.7e12 - 9]);
    expect(packTimes(close)).toEqual({
      base: 1.7e12,
      deltas: Int32Array.from([0, 5, -0x80000000, -14]),
    });
  });
});
