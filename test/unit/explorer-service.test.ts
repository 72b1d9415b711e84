import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { memoryStore, type EventId } from '../../src/index.ts';
import { TEXT_EDITED } from '../../src/doc/doc-events.ts';
import { openLogOn } from '../../src/log/log.ts';
import { authorshipIndexes } from '../../worker/authorship-indexes.ts';
import { createExplorerService } from '../../worker/explorer-service.ts';
import { carriedTyping } from '../support/carried-typing.ts';

const STREAM = 'doc/plan';

describe("the event explorer's rows", () => {
  it('say whose typing an event carried once that tab’s own events are in, and never guess before', async () => {
    const store = memoryStore();
    const log = await openLogOn(store, { actor: 'laptop' });
    const errors: unknown[] = [];
    const explorer = createExplorerService(
      log,
      store,
      authorshipIndexes(log, (e) => errors.push(e)),
      (e) => errors.push(e),
    );
    // Tab 2's event carries tab 1's early typing, and is stored first, as happens
    // when it saves first.
    const { typed: ones, carrying: carrier, two } = carriedTyping();
    const append = async (author: string, data: Uint8Array) =>
      (await log.append(STREAM, { type: TEXT_EDITED, data, author }))[0]!.event
        .id;
    const carrying = await append('Tab 2', carrier);
    const summary = async (id: EventId) =>
      (await explorer.rows([id]))[0]!.summary;

    // A third tab carried it too.
    const three = new Y.Doc();
    Y.applyUpdate(three, ones);
    three.getText('body').insert(0, 'Cy agrees ');
    const third = await append('Tab 3', Y.encodeStateAsUpdate(three));

    // Nothing yet says who typed "Alice says": no row claims anything of it (the
    // best guess, the first tab that carried it, would say tab 2 typed it).
    for (const id of [carrying, third]) {
      expect(await summary(id)).not.toContain('carried');
      expect(await summary(id)).toContain('Alice says');
    }
    // Such rows say so, for the page to ask again when the document moves.
    expect(
      (await explorer.rows([carrying, third])).map((r) => r.unsettled),
    ).toEqual([true, true]);

    // Tab 1's own event holds its text alone: tab 1 typed it.
    await append('Tab 1', ones);
    expect(await summary(carrying)).toBe(
      'inserted "Bob wants ", carried "Alice says" typed by Tab 1',
    );
    const page = await explorer.queryEvents({ streams: STREAM });
    expect(page.rows.map((r) => [r.author, r.summary])).toEqual([
      ['Tab 2', 'inserted "Bob wants ", carried "Alice says" typed by Tab 1'],
      ['Tab 3', 'inserted "Cy agrees ", carried "Alice says" typed by Tab 1'],
      ['Tab 1', 'inserted "Alice says"'],
    ]);
    // Tab 2's and tab 3's own typing: no event of theirs held it alone yet.
    expect(page.rows.map((r) => r.unsettled)).toEqual([true, true, undefined]);
    // Tab 2 types on alone: every client of its first event has a typist now.
    const before = Y.encodeStateVector(two);
    two.getText('body').insert(0, 'Now ');
    await append('Tab 2', Y.encodeStateAsUpdate(two, before));
    expect((await explorer.rows([carrying]))[0]).toMatchObject({
      summary: 'inserted "Bob wants ", carried "Alice says" typed by Tab 1',
    });
    expect((await explorer.rows([carrying]))[0]!.unsettled).toBeUndefined();
    expect((await explorer.eventDetail(carrying))!.row.summary).toBe(
      'inserted "Bob wants ", carried "Alice says" typed by Tab 1',
    );
    // Ids of nothing stored, or not ids at all, give no rows.
    expect(
      await explorer.rows(['x'.repeat(22), 5 as unknown as EventId]),
    ).toEqual([]);
    expect(errors).toEqual([]);
    await log.close();
  });
});
