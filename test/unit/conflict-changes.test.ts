import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { openLog, TEXT_EDITED, type EventId } from '../../src/index.ts';
import { conflictChanges } from '../../src/doc/conflict-changes.ts';
import {
  appendTextEdit,
  yjsWriter,
  type YjsWriter,
} from '../support/yjs-writer.ts';

const STREAM = 'doc/compare';

/** A log and two writers, each with a Y.Doc of its own (a tab each), appending text edits. */
async function twoWriters() {
  const log = await openLog();
  const append = (w: YjsWriter, update: Uint8Array, expected: EventId[]) =>
    appendTextEdit(log, STREAM, w, update, expected);
  const one = yjsWriter('One');
  const two = yjsWriter('Two');
  /** One writes `text` as the first event, and two takes it in: the fork point. */
  const fork = async (text: string) => {
    one.text.insert(0, text);
    const base = await append(one, one.take(), []);
    Y.applyUpdate(two.doc, Y.encodeStateAsUpdate(one.doc));
    two.take();
    return base;
  };
  return { log, one, two, append, fork };
}

describe('what each side of a conflict changed', () => {
  it('shows each writer its own insertions and deletions against the fork point, even when an event carried the other’s text', async () => {
    const { log, one, two, append, fork } = await twoWriters();

    const base = await fork('A shared paragraph.');

    // Both type at the end at once; two also deletes "shared ".
    one.text.insert(19, ' One types here.');
    const early = one.take();
    Y.applyUpdate(two.doc, early); // shown early in two's tab
    two.text.insert(19, ' Two types here.');
    two.text.delete(2, 7);
    // Two's event carries one's early update (one's tab died, say) ...
    const carried = await append(two, Y.mergeUpdates([early, two.take()]), [
      base,
    ]);
    // ... and one's own event holds it too, concurrently.
    const own = await append(one, early, [base]);
    const merge = await append(one, new Uint8Array([0, 0]), [carried, own]);

    const changes = await conflictChanges(log, STREAM, [base], [merge]);
    const added = (parts: { kind: string; text: string }[]) =>
      parts.filter((p) => p.kind === 'added').map((p) => p.text);
    const removed = (parts: { kind: string; text: string }[]) =>
      parts.filter((p) => p.kind === 'removed').map((p) => p.text);
    const [first, second] = changes.sides;
    expect(first!.writer).toBe('Two'); // its event sorts first
    expect(added(first!.parts)).toEqual([' Two types here.']);
    expect(removed(first!.parts)).toEqual(['shared ']);
    expect(second!.writer).toBe('One');
    expect(added(second!.parts)).toEqual([' One types here.']);
    expect(removed(second!.parts)).toEqual([]);
    // Each side is the fork's text with only its own change.
    const text = (parts: { kind: string; text: string }[], drop: string) =>
      parts
        .filter((p) => p.kind !== drop)
        .map((p) => p.text)
        .join('');
    expect(text(second!.parts, 'removed')).toBe(
      'A shared paragraph. One types here.',
    );
    expect(text(first!.parts, 'added')).toBe('A shared paragraph.');
    const together = new Y.Doc();
    for (const e of [one, two])
      Y.applyUpdate(together, Y.encodeStateAsUpdate(e.doc));
    expect(text(changes.merged, 'removed')).toBe(
      together.getText('body').toString(),
    );
    expect(added(changes.merged).join('')).toBe(
      ' Two types here. One types here.',
    );
  });

  it('gives a writer its own text when the other’s event carried more of it than its own first event held', async () => {
    // Two tabs under load: one's first keystrokes go in a small event; two, which
    // had all of one's typing early, carries it with its own; one's next event saw
    // both and merges them, so it lies past the comparison.
    const { log, one, two, append, fork } = await twoWriters();
    const base = await fork('Base.');

    one.text.insert(5, ' O');
    const first = one.take();
    one.text.insert(7, 'ne types here.');
    const rest = one.take();
    Y.applyUpdate(two.doc, first);
    Y.applyUpdate(two.doc, rest);
    two.text.insert(21, ' Two.');
    const carried = await append(
      two,
      Y.mergeUpdates([first, rest, two.take()]),
      [base],
    );
    const own = await append(one, first, [base]);

    const changes = await conflictChanges(log, STREAM, [base], [carried, own]);
    const added = (writer: string) =>
      changes.sides
        .find((side) => side.writer === writer)!
        .parts.filter((p) => p.kind === 'added')
        .map((p) => p.text)
        .join('');
    expect(added('One')).toBe(' One types here.');
    expect(added('Two')).toBe(' Two.');
  });

  it('leaves out, and tells of, another replica’s event whose text is not a Yjs update', async () => {
    const log = await openLog();
    const one = yjsWriter('One');
    one.text.insert(0, 'Kept.');
    const [base] = await log.append(STREAM, {
      type: TEXT_EDITED,
      data: one.take(),
      author: 'One',
    });
    const hostile = await openLog({ actor: 'hostile' });
    await hostile.ingest([base!.event]);
    await hostile.append(STREAM, {
      type: TEXT_EDITED,
      data: new Uint8Array([255, 1, 2, 3, 250, 9]),
      author: 'Mallory',
    });
    await log.ingest(
      await (async () => {
        const out = [];
        for await (const e of hostile.since(await log.versionVector()))
          out.push(e);
        return out;
      })(),
    );
    one.text.insert(5, ' More.');
    const [after] = await log.append(STREAM, {
      type: TEXT_EDITED,
      data: one.take(),
      author: 'One',
    });
    const ignored: Error[] = [];
    const changes = await conflictChanges(
      log,
      STREAM,
      [base!.event.id],
      [after!.event.id],
      (error) => ignored.push(error),
    );
    expect(ignored).toHaveLength(1);
    expect(ignored[0]!.message).toMatch(/could not be compared/);
    expect(changes.merged).toEqual([
      { kind: 'same', text: 'Kept.' },
      { kind: 'added', text: ' More.' },
    ]);
  });
});
