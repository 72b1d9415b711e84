import { describe, expect, it } from 'vitest';
import type { AuthorRun } from '../../src/contract/index.ts';
import {
  attributedLines,
  blocksOf,
  sameBlock,
  type LineBlock,
} from '../../src/ui/attributed-lines.ts';

const run = (author: string, text: string, time = 't1'): AuthorRun => ({
  author,
  text,
  from: time,
  to: time,
});
const look = (r: AuthorRun) => (r.author === 'ann' ? 'blue' : 'orange');
const texts = (runs: AuthorRun[]) =>
  attributedLines(runs, look).map((line) =>
    line.pieces.map((p) => `${p.run.author}:${p.starts ? '^' : ''}${p.text}`),
  );

describe('the attributed text as lines (src/ui/attributed-lines.ts)', () => {
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
    // A line typed into the middle, one edited, one taken away: a block or two each.
    const edits = [
      [...paragraphs.slice(0, 300), 'New.\n', ...paragraphs.slice(300)],
      paragraphs.map((p, i) => (i === 300 ? p.replace('one', 'no') : p)),
      paragraphs.filter((_, i) => i !== 300),
    ];
    for (const edited of edits) {
      const after = keys(edited.join(''));
      const kept = after.filter((k) => before.includes(k));
      expect(after.length - kept.length).toBeLessThanOrEqual(2);
      expect(before.length - kept.length).toBeLessThanOrEqual(2);
    }
    // Typing on at the end of a run moves its last time: shown where it starts.
    const restarted = blocks(paragraphs.join(''), 't2');
    expect(restarted.slice(1).map((b) => b.key)).toEqual(before.slice(1));
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
    const blocksFor = (runs: AuthorRun[]) =>
      blocksOf(attributedLines(runs, look));
    const text = 'one\ntwo\n';
    const [block] = blocksFor([run('ann', text)]);
    // Another answer's block, made anew: alike.
    expect(sameBlock(blocksFor([run('ann', text)])[0]!, block!)).toBe(true);
    // Under the same key (as two hashes may collide), anything shown that differs.
    const differing: [string, AuthorRun[]][] = [
      ['text', [run('ann', 'one\ntwO\n')]],
      ['writer', [run('bob', text)]],
      ['colour', [run('ann', text)]],
      ['time where it starts', [run('ann', text, 't2')]],
      ['where a run starts', [run('ann', 'one\n'), run('ann', 'two\n')]],
    ];
    for (const [what, runs] of differing) {
      const lines = attributedLines(runs, (r) =>
        what === 'colour' ? 'green' : look(r),
      );
      const other: LineBlock = {
        key: block!.key,
        lines: lines.map((line, i) => ({ ...line, key: block!.lines[i]!.key })),
      };
      expect(sameBlock(other, block!), what).toBe(false);
    }
  });
});
