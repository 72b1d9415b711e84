import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { openDocument, openLog } from '../../src/index.ts';
import {
  unreadableChanges,
  unreadableReason,
} from '../../src/doc/unreadable.ts';
import { collect } from '../support/records.ts';

describe('document changes no document can read', () => {
  it('are named with their stream and why, and nothing a document reads is', async () => {
    const log = await openLog({ actor: 'elsewhere' });
    const doc = await openDocument(log, 'fine');
    await doc.setField('title', 'Fine');
    await doc.editText(0, 0, 'Words that read.');
    await doc.restore(await log.heads('doc/fine'));
    const whole = Y.encodeStateAsUpdate(
      (() => {
        const d = new Y.Doc();
        d.getText('body').insert(0, 'Some text');
        return d;
      })(),
    );
    // What another replica may write, every id valid: the log stores it all.
    const odd = 'doc/odd';
    const write = (type: string, data: unknown) =>
      log.append(odd, { type, data: data as never });
    await write('doc.text.edited', new Uint8Array([250, 1, 2, 3, 4, 5]));
    await write('doc.text.edited', whole.subarray(0, whole.length - 3));
    await write('doc.text.edited', { not: 'bytes' });
    await write('doc.field.set', { value: 1 });
    await write('doc.version.restored', { from: [], text: 42, fields: {} });
    // Not document changes: another type, another stream.
    await write('doc.weird', { anything: true });
    await log.append('notes', { type: 'doc.text.edited', data: { x: 1 } });
    const { count, first } = await unreadableChanges(log);
    expect(count).toBe(5);
    const odds = await collect(log.read(odd));
    expect(first.map((u) => u.id)).toEqual(odds.slice(0, 5).map((e) => e.id));
    expect(first.every((u) => u.stream === odd)).toBe(true);
    expect(first.map((u) => u.reason)).toEqual([
      expect.stringMatching(/^its text change is not a Yjs update: /),
      expect.stringMatching(/^its text change is not a Yjs update: /),
      'its text change does not read: text edits carry bytes',
      expect.stringMatching(/^its field change does not read: /),
      'its text change does not read: restore text is not base64url',
    ]);
    for (const event of await collect(log.read('doc/fine')))
      expect(unreadableReason(event)).toBeUndefined();
    // At most `limit` named, all counted.
    expect(await unreadableChanges(log, 2)).toEqual({
      count: 5,
      first: first.slice(0, 2),
    });
    await log.close();
  });
});
