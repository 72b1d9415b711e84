import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { memoryStore, openLog, type LogEvent } from '../../src/index.ts';
import {
  HistoryIndex,
  historyEntryOf,
  MAX_PAGE,
} from '../../src/doc/history-index.ts';
import { compareCanonical } from '../../src/log/store.ts';
import { collect } from '../support/records.ts';
import { assertProperty } from '../support/property.ts';
import {
  ancestorsBruteForce,
  command,
  runCommands,
  STREAMS,
} from '../support/convergence.ts';

const STREAM = STREAMS[0]!;

describe("a document's history index", () => {
  it('serves the pages, heads and jumps of the whole history, kept current as events arrive in any order', async () => {
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
        async (n, commands, openAfter, asks, lags, every) => {
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
            index ??= await HistoryIndex.open(store, STREAM, { every });
            await index.catchUp();
            const events = (await collect(logs[0]!.read(STREAM))).sort(
              compareCanonical,
            );
            const whole = events.map(historyEntryOf);
            // Opened again: from the snapshot the last one saved, if any, and what came since.
            const again = await HistoryIndex.open(store, STREAM, { every });
            const everything = again.page(0, MAX_PAGE);
            expect(everything.entries).toEqual(whole);
            expect([...everything.authors].sort()).toEqual(
              [...new Set(whole.map((e) => e.author))].sort(),
            );
            for (const [from, count] of asks) {
              const start = whole.length === 0 ? 0 : from % whole.length;
              const page = index.page(start, count);
              expect(page.total).toBe(whole.length);
              expect(page.entries).toEqual(whole.slice(start, start + count));
              expect(index.page('end', count).entries).toEqual(
                whole.slice(Math.max(0, whole.length - count)),
              );
              const version = start + 1;
              if (whole.length > 0) {
                expectHeads(index, events, version);
                expectHeads(again, events, version);
              }
              // Jumps: to the next version ending with an event by that author.
              const author = whole[start]?.author;
              if (author !== undefined) {
                const next = whole.findIndex(
                  (e, i) => i >= version && e.author === author,
                );
                expect(
                  index.jump({ to: 'author', author, from: version, step: 1 }),
                ).toBe(next < 0 ? undefined : next + 1);
              }
              const group = whole.slice(start, start + count).map((e) => e.id);
              expect(
                index.jump({ to: 'group', groups: [group], from: 0, step: 1 }),
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
  }, 120_000);
});

/** A prefix of a canonical order is closed under parents: its heads are its events no other of it names. */
function expectHeads(
  index: HistoryIndex,
  events: LogEvent[],
  version: number,
): void {
  const prefix = events.slice(0, version);
  const byId = new Map(events.map((e) => [e.id, e]));
  const heads = index.heads(version);
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

describe("a history index's snapshot", () => {
  it('is read from the events again when it is malformed, whatever is wrong with it', async () => {
    const store = memoryStore();
    const log = await openLog({ store, actor: 'desk' });
    for (let i = 0; i < 5; i++)
      await log.append(STREAM, { type: 'test.appended', data: { i } });
    const whole = (await collect(log.read(STREAM))).map(historyEntryOf);
    const saved = await HistoryIndex.open(store, STREAM, { every: 1 });
    expect(saved.page(0, MAX_PAGE).entries).toEqual(whole);
    const key = `${STREAM}\nhistory`;
    const good = (await store.getSnapshot(key))!;
    const state = good.state as Record<string, unknown>;
    for (const broken of [
      { ...state, version: 1 },
      { ...state, version: 3 },
      // Columns cut wrong: ids or HLCs of another length, times that end elsewhere.
      { ...state, ids: 'one two' },
      { ...state, ids: (state.ids as string).replace(' ', '_') },
      { ...state, hlcs: (state.hlcs as string).slice(1) },
      { ...state, times: (state.times as string).slice(1) },
      { ...state, timeEnds: new Uint32Array([24, 48, 12, 96, 120]) },
      { ...state, timeEnds: [24, 48, 72, 96, 120] },
      // A parent that sorts after its child.
      { ...state, parents: new Uint32Array([4, 4, 4, 4]) },
      { ...state, typeOf: new Uint32Array([9, 9, 9, 9, 9]) },
      null,
    ]) {
      await store.putSnapshot({ ...good, state: broken });
      const index = await HistoryIndex.open(store, STREAM, {
        every: 1_000,
      });
      expect(index.page(0, MAX_PAGE).entries).toEqual(whole);
    }
  });
});
