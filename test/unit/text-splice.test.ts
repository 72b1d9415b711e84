import { describe, expect, it } from 'vitest';
import {
  InvalidEditError,
  openDocument,
  openLog,
  spliceBetween,
  type DocumentHandle,
  type Log,
} from '../../src/index.ts';
import { collect } from '../support/records.ts';

/** Gives `to` every event of `from` it lacks, as sync does (README). */
async function pull(to: Log, from: Log): Promise<void> {
  await to.ingest(await collect(from.since(await to.versionVector())));
}

/** What the editor does on input: the splice from the text it holds to the textarea's value. */
async function type(
  doc: DocumentHandle,
  value: string,
  caret: number,
): Promise<void> {
  const { index, deleteCount, insert } = spliceBetween(
    (await doc.view()).text,
    value,
    { caret },
  );
  await doc.editText(index, deleteCount, insert);
}

describe('spliceBetween: the one edit from one text to another', () => {
  it.each([
    ['keeps what both texts share', 'abc', 'abXc', 3, [2, 0, 'X']],
    [
      'replaces a whole emoji, not its low half',
      'a😁b',
      'a😀b',
      3,
      [1, 2, '😀'],
    ],
    [
      'takes the base letter along with an accent typed after it',
      'e',
      'e\u0301',
      2,
      [0, 1, 'e\u0301'],
    ],
    ['replaces a whole ZWJ family', 'x👩‍👩‍👧', 'x👩‍👩‍👦', 9, [1, 8, '👩‍👩‍👦']],
    ['replaces a whole flag', '🇫🇷!', '🇫🇮!', 4, [0, 4, '🇫🇮']],
    [
      'records overtyped text as replaced, where the caret says',
      'xyz',
      'z',
      1,
      [0, 3, 'z'],
    ],
    ['changes nothing between equal texts', 'a😀', 'a😀', 3, [3, 0, '']],
  ] as const)('%s', (_, before, after, caret, [index, deleteCount, insert]) => {
    expect(spliceBetween(before, after, { caret })).toEqual({
      index,
      deleteCount,
      insert,
    });
  });
});

describe('editing text with emoji (issue 13, finding 9)', () => {
  it('restores the version before an emoji was replaced, on this replica and on one that syncs', async () => {
    const laptop = await openLog({ actor: 'laptop' });
    const phone = await openLog({ actor: 'phone' });
    const doc = await openDocument(laptop, 'notes');
    const first = await doc.editText(0, 0, 'a😁b');
    // 😁 and 😀 share their high surrogate: a code-unit diff would cut between the halves.
    await type(doc, 'a😀b', 3);
    expect((await doc.view()).text).toBe('a😀b');

    await doc.restore([first.event.id]);

    expect((await doc.view()).text).toBe('a😁b');
    await pull(phone, laptop);
    const copy = await openDocument(phone, 'notes');
    expect((await copy.view()).text).toBe('a😁b');
    await laptop.close();
    await phone.close();
  });

  it('restores by replacing whole characters, whatever the edit it undoes', async () => {
    const laptop = await openLog({ actor: 'laptop' });
    const phone = await openLog({ actor: 'phone' });
    const doc = await openDocument(laptop, 'notes');
    const first = await doc.editText(0, 0, 'a😁b 👩‍👩‍👧 🇫🇷');
    /** Replaces the code point `old` of the text by `by`. */
    const replace = async (old: string, by: string) =>
      doc.editText((await doc.view()).text.indexOf(old), old.length, by);
    await replace('😁', '😀');
    await replace('👧', '👦');
    await replace('🇷', '🇮');
    expect((await doc.view()).text).toBe('a😀b 👩‍👩‍👦 🇫🇮');

    await doc.restore([first.event.id]);

    await pull(phone, laptop);
    const copy = await openDocument(phone, 'notes');
    for (const view of [await doc.view(), await copy.view()])
      expect(view.text).toBe('a😁b 👩‍👩‍👧 🇫🇷');
    await laptop.close();
    await phone.close();
  });

  it('refuses an edit whose positions fall inside a surrogate pair, naming the position, and changes nothing', async () => {
    const log = await openLog({ actor: 'laptop' });
    const doc = await openDocument(log, 'notes');
    await doc.editText(0, 0, 'a😁b');
    const heads = await log.heads(doc.stream);
    const refused = await doc.editText(2, 0, 'x').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InvalidEditError);
    expect(refused).toMatchObject({
      code: 'INVALID_EDIT',
      stream: 'doc/notes',
      reason: expect.stringMatching(/^index 2 falls inside a surrogate pair/),
    });
    await expect(doc.editText(0, 2, '')).rejects.toMatchObject({
      code: 'INVALID_EDIT',
      reason: expect.stringMatching(
        /^index\+deleteCount 2 falls inside a surrogate pair/,
      ),
    });
    expect(await log.heads(doc.stream)).toEqual(heads);
    expect((await doc.view()).text).toBe('a😁b');
    // Between the code points of one character is a position: é as e + U+0301.
    await doc.editText(4, 0, 'e\u0301');
    await doc.editText(5, 1, '');
    expect((await doc.view()).text).toBe('a😁be');
    await log.close();
  });

  it('refuses a split pair however the pair came: synced from another replica, or typed after plain text', async () => {
    const laptop = await openLog({ actor: 'laptop' });
    const phone = await openLog({ actor: 'phone' });
    const doc = await openDocument(laptop, 'notes');
    // Plain text first: edits checked without a look at the text.
    for (const word of ['plain', ' text', ' only']) {
      const { length } = (await doc.view()).text;
      await doc.editText(length, 0, word);
    }
    // A pair another replica typed, folded into the state this one edits.
    const other = await openDocument(phone, 'notes');
    await pull(phone, laptop);
    await other.editText(0, 0, '🇫🇷');
    await pull(laptop, phone);
    await expect(doc.editText(1, 0, 'x')).rejects.toMatchObject({
      code: 'INVALID_EDIT',
      reason: expect.stringMatching(/^index 1 falls inside a surrogate pair/),
    });
    // One typed here, into text that had none.
    const fresh = await openDocument(laptop, 'fresh');
    await fresh.editText(0, 0, 'plain');
    await fresh.editText(5, 0, ' text');
    await fresh.editText(5, 0, '😁');
    await expect(fresh.editText(6, 0, 'x')).rejects.toMatchObject({
      code: 'INVALID_EDIT',
      reason: expect.stringMatching(/^index 6 falls inside a surrogate pair/),
    });
    await doc.editText(4, 0, ' ');
    expect((await doc.view()).text).toBe('🇫🇷 plain text only');
    expect((await fresh.view()).text).toBe('plain😁 text');
    await laptop.close();
    await phone.close();
  });

  it('refuses an insert holding a lone surrogate, which Yjs would store as U+FFFD', async () => {
    const log = await openLog({ actor: 'laptop' });
    const doc = await openDocument(log, 'notes');
    await expect(doc.editText(0, 0, 'a\ud83d')).rejects.toMatchObject({
      code: 'INVALID_EDIT',
      reason: expect.stringMatching(
        /^insert holds a lone surrogate \(U\+D83D\) at 1/,
      ),
    });
    expect(await log.heads(doc.stream)).toEqual([]);
    await log.close();
  });
});
