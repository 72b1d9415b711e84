import { describe, expect, it } from 'vitest';
import type { AuthorRun } from '../../src/contract/index.ts';
import {
  attributedLines,
  blocksOf,
  blocksOfAnswer,
  sameBlock,
  sinceHeld,
  type LineBlock,
} from '../../src/doc/authorship-blocks.ts';
import { memoryStore, openDocument } from '../../src/index.ts';
import { openLogOn } from '../../src/log/log.ts';
import { documentService } from '../support/document-service.ts';

const run = (author: string, text: string, time = 't1'): AuthorRun => ({
  author,
  text,
  from: time,
  to: time,
});
const look = (r: AuthorRun): number => (r.author === 'ann' ? 0 : 1);
const texts = (runs: AuthorRun[]) =>
  attributedLines(runs, look).map((line) =>
    line.pieces.map((p) => `${p.author}:${p.starts ? '^' : ''}${p.text}`),
  );

describe('the attributed text as lines (src/doc/authorship-blocks.ts)', () => {
  it('cuts runs at each line end, the newline kept, and names a writer where their run starts', () => {
    expect(
      texts([run('ann', 'one\ntw'), run('bob', 'o\n\nthree'), run('ann', '!')]),
    ).toEqual([
      ['ann:^one\n'],
      ['ann:tw', 'bob:^o\n'],
      ['bob:\n'],
      ['bob:three', 'ann:^!'],
    ]);
    expect(texts([])).toEqual([[]]);
  });

  it('cuts lines into blocks that an edit elsewhere leaves as they were, and keys nothing twice', () => {
    // Paragraphs with blank lines between them, as people write.
    const paragraphs = Array.from(
      { length: 600 },
      (_, i) => `Paragraph ${i}, about one thing or another.\n\n`,
    );
    const blocks = (text: string, time = 't1') =>
      blocksOf(attributedLines([run('ann', text, time)], look));
    const keys = (text: string, time?: string) =>
      blocks(text, time).map((b) => b.key);
    const before = keys(paragraphs.join(''));
    expect(before.length).toBeGreaterThan(20); // blocks, not one, not a line each
    expect(before.length).toBeLessThan(300);
    for (const block of blocks(paragraphs.join('')))
      expect(new Set(block.lines.map((l) => l.key)).size).toBe(
        block.lines.length,
      );
    expect(new Set(before).size).toBe(before.length);
    // A line typed into the middle, one edited, one taken away: a few blocks each.
    // (Whether a block ends after a line depends on it and the line before: a
    // changed line moves the ends after it and after the next, so the block that
    // held both may become three.)
    const edits = [
      [...paragraphs.slice(0, 300), 'New.\n', ...paragraphs.slice(300)],
      paragraphs.map((p, i) => (i === 300 ? p.replace('one', 'no') : p)),
      paragraphs.filter((_, i) => i !== 300),
    ];
    for (const edited of edits) {
      const after = keys(edited.join(''));
      const kept = after.filter((k) => before.includes(k));
      expect(after.length - kept.length).toBeLessThanOrEqual(3);
      expect(before.length - kept.length).toBeLessThanOrEqual(3);
    }
    // Typing on at the end of a run moves its last time: shown where it starts.
    const restarted = keys(paragraphs.join(''), 't2');
    expect(restarted.filter((k) => !before.includes(k)).length).toBe(1);
    expect(restarted.slice(-100)).toEqual(before.slice(-100));
  });

  it('keeps blocks of the same line repeated to a size, keys unique', () => {
    const same = blocksOf(
      attributedLines([run('ann', 'same\n'.repeat(1000))], look),
    );
    expect(Math.max(...same.map((b) => b.lines.length))).toBeLessThanOrEqual(
      32,
    );
    expect(new Set(same.map((b) => b.key)).size).toBe(same.length);
  });

  it('says a block is unchanged only when every piece of it looks the same, whatever its key', () => {
    // Its lines as one block, whatever the hashes say.
    const blockOf = (runs: AuthorRun[], lookOf = look): LineBlock => ({
      key: 'block',
      lines: attributedLines(runs, lookOf).map((line, i) => ({
        ...line,
        key: String(i),
      })),
    });
    const text = 'one\ntwo\n';
    const block = blockOf([run('ann', text)]);
    expect(block.lines).toHaveLength(2);
    // Another answer's block, made anew: alike.
    expect(sameBlock(blockOf([run('ann', text)]), block)).toBe(true);
    // Under the same key (as two hashes may collide), anything shown that differs.
    const differing: [string, AuthorRun[]][] = [
      ['text', [run('ann', 'one\ntwO\n')]],
      ['writer', [run('bob', text)]],
      ['colour', [run('ann', text)]],
      ['time where it starts', [run('ann', text, 't2')]],
      ['where a run starts', [run('ann', 'one\n'), run('ann', 'two\n')]],
    ];
    for (const [what, runs] of differing) {
      const other = blockOf(runs, (r) => (what === 'colour' ? 2 : look(r)));
      expect(sameBlock(other, block), what).toBe(false);
    }
  });
});

describe('an authorship answer as what changed since the last (src/doc/authorship-blocks.ts)', () => {
  const paragraphs = Array.from(
    { length: 400 },
    (_, i) => `Paragraph ${i}, about one thing or another.\n\n`,
  );
  const blocksFor = (text: string) =>
    blocksOf(attributedLines([run('ann', text)], look));

  it('sends a block held as its key, and is read back into the same blocks', () => {
    const first = sinceHeld(undefined, blocksFor(paragraphs.join('')));
    expect(first.sent.every((b) => typeof b !== 'string')).toBe(true);
    const edited = paragraphs.map((p, i) =>
      i === 200 ? p.replace('one', 'no') : p,
    );
    const blocks = blocksFor(edited.join(''));
    const next = sinceHeld(first.hold, blocks);
    const fresh = next.sent.filter((b) => typeof b !== 'string');
    expect(fresh.length).toBeGreaterThan(0);
    expect(fresh.length).toBeLessThanOrEqual(2);
    const read = blocksOfAnswer(first.hold, next.sent)!;
    expect(read).toEqual(blocks);
    // The page keeps the objects it held: an unchanged block is not drawn again.
    const held = new Set(first.hold.values());
    expect(read.filter((b) => held.has(b)).length).toBe(
      blocks.length - fresh.length,
    );
    // And the worker holds the same objects for the answer after.
    expect([...next.hold.values()]).toEqual(read);
  });

  it('never sends a key for a block that only hashes alike, and says when it names one not held', () => {
    const [block] = blocksFor('one two');
    const [other] = blocksFor('one twO');
    // `other` under `block`'s key: as if the two hashes collided.
    const collided: LineBlock = { ...other!, key: block!.key };
    const { sent } = sinceHeld(new Map([[block!.key, block!]]), [collided]);
    expect(sent).toEqual([collided]);
    expect(blocksOfAnswer(new Map(), [block!.key])).toBeUndefined();
  });
});

describe('the worker’s authorship answers (worker/document-service.ts)', () => {
  it('answers since its own last answer with the blocks that changed, and anything else in full', async () => {
    const store = memoryStore();
    const log = await openLogOn(store);
    const doc = await openDocument(log, 'essay');
    const text = Array.from(
      { length: 300 },
      (_, i) => `Paragraph ${i}, about one thing or another.\n\n`,
    ).join('');
    await doc.editText(0, 0, text);
    const service = () => documentService(log, store);
    const documents = service();
    const first = await documents.authorship('essay');
    expect(first.blocks.some((b) => typeof b === 'string')).toBe(false);
    const held = new Map(
      (first.blocks as LineBlock[]).map((b) => [b.key, b] as const),
    );
    await doc.editText(text.indexOf('Paragraph 150'), 0, 'New words. ');
    const next = await documents.authorship('essay', undefined, first.id);
    expect(next.id).not.toBe(first.id);
    const fresh = next.blocks.filter((b) => typeof b !== 'string');
    expect(fresh.length).toBeGreaterThan(0);
    // The edit's blocks, and the first, where the run's last time is shown.
    expect(fresh.length).toBeLessThanOrEqual(4);
    const whole = await documents.authorship('essay');
    expect(blocksOfAnswer(held, next.blocks)).toEqual(whole.blocks);
    expect(next.authors).toEqual(whole.authors);
    // Another worker's id, or a made-up one, names nothing: the whole answer.
    for (const since of [first.id, 'made up']) {
      const answer = await service().authorship('essay', undefined, since);
      expect(answer.blocks).toEqual(whole.blocks);
    }
  });
});
