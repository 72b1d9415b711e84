import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { summaryOf } from '../../src/doc/event-rows.ts';
import { TEXT_EDITED } from '../../src/doc/doc-events.ts';
import {
  openDocument,
  openLog,
  type AppendResult,
  type LogEvent,
} from '../../src/index.ts';

/** A text edit whose update is what `edit` did to a text that held `before`. */
function textEdit(before: string, edit: (text: Y.Text) => void): LogEvent {
  const doc = new Y.Doc();
  const text = doc.getText('text');
  text.insert(0, before);
  const vector = Y.encodeStateVector(doc);
  edit(text);
  return {
    id: 'e1',
    stream: 'doc/d',
    type: TEXT_EDITED,
    data: Y.encodeStateAsUpdate(doc, vector),
    actor: 'a',
    seq: 2,
    parents: [],
    hlc: '0',
    time: '2026-12-04T12:00:00.000Z',
  } as unknown as LogEvent;
}

describe("the event explorer's summary of a text edit", () => {
  it('says what was inserted and how much was deleted', () => {
    expect(summaryOf(textEdit('', (t) => t.insert(0, 'Hello\nworld')))).toBe(
      'inserted "Hello\\nworld"',
    );
    expect(summaryOf(textEdit('Hello world', (t) => t.delete(5, 6)))).toBe(
      'deleted 6 characters',
    );
    expect(
      summaryOf(
        textEdit('Hello world', (t) => {
          t.delete(0, 1);
          t.insert(0, 'J');
        }),
      ),
    ).toBe('inserted "J", deleted 1 character');
  });

  it('shows the start of a long insertion and still says what was deleted', () => {
    const long = 'x'.repeat(46) + '😀'.repeat(20);
    const summary = summaryOf(
      textEdit('abc', (t) => {
        t.delete(0, 3);
        t.insert(0, long);
      }),
    );
    expect(summary).toBe(`inserted "${'x'.repeat(46)}…", deleted 3 characters`);
    expect(summary.length).toBeLessThanOrEqual(80);
  });

  it('says what a restore changed, not the ids it restored', async () => {
    const log = await openLog({ actor: 'a' });
    const doc = await openDocument(log, 'd', { author: 'Ann' });
    const first = await doc.editText(0, 0, 'Hello');
    await doc.editText(5, 0, ' world');
    const [restored] = (await doc.restore([first.event.id])) as [AppendResult];
    expect(summaryOf(restored.event)).toBe(
      'restored an earlier version: deleted 6 characters',
    );
    // One whose text is not an update still says what it is.
    expect(
      summaryOf({
        ...restored.event,
        data: { ...(restored.event.data as object), text: '!!' },
      }),
    ).toBe('restored an earlier version');
    await log.close();
  });

  it('says a deletion and a restore of the document in words, not by its field (QA pass 16)', async () => {
    const log = await openLog({ actor: 'a' });
    const doc = await openDocument(log, 'd', { author: 'Ann' });
    await doc.setField('title', 'Plan');
    const deleted = await doc.delete();
    const back = await doc.undelete();
    expect(summaryOf(deleted.event)).toBe('deleted the document');
    expect(summaryOf(back.event)).toBe('brought the document back');
    // Other fields as they are.
    const [titled] = await log
      .query({ types: ['doc.field.set'] })
      .then((page) => page.events);
    expect(summaryOf(titled!)).toBe('title = "Plan"');
    await log.close();
  });

  it('says an update that does not decode is one, and never throws', () => {
    const event = textEdit('', (t) => t.insert(0, 'Hi'));
    const bytes = event.data as Uint8Array;
    for (const data of [
      new Uint8Array([255, 255, 255]),
      bytes.slice(0, 5),
      bytes.slice(0, 8),
      new Uint8Array([1, 200, 1, 0, 0]),
    ])
      expect(summaryOf({ ...event, data })).toBe(
        `text edit: a ${data.byteLength}-byte update that does not decode`,
      );
  });

  it('says whose typing an event carried, by Yjs client, not that its writer typed it', () => {
    // Tab 2 shows tab 1's typing early and types on: its event's update, made
    // against what the log held before either, carries both tabs' text.
    const one = new Y.Doc();
    const two = new Y.Doc();
    one.getText('text').insert(0, 'Alice says');
    Y.applyUpdate(two, Y.encodeStateAsUpdate(one));
    two.getText('text').insert(0, 'Bob wants ');
    const carrying = {
      ...textEdit('', () => undefined),
      actor: 'replica',
      author: 'Tab 2',
      data: Y.encodeStateAsUpdate(two),
    } as LogEvent;
    const owners = new Map([
      [one.clientID, 'replica\nTab 1'],
      [two.clientID, 'replica\nTab 2'],
    ]);
    const ownerOf = (client: number) => owners.get(client);
    expect(summaryOf(carrying, ownerOf)).toBe(
      'inserted "Bob wants ", carried "Alice says" typed by Tab 1',
    );
    // Writers of one label on two replicas are told apart.
    owners.set(one.clientID, 'other\nTab 2');
    expect(summaryOf(carrying, ownerOf)).toMatch(
      /^inserted "Bob wants ", carried "Alice says" typed by Tab 2 \(actor other\)$/,
    );
    // Where nobody is known to have typed a client's text, it is the event's own.
    expect(summaryOf(carrying, () => undefined)).toMatch(/^inserted "/);
    expect(summaryOf(carrying).length).toBeLessThanOrEqual(80);
  });
});
