import { describe, expect, it } from 'vitest';
import type { AuthorRun } from '../../src/contract/index.ts';
import { attributedLines } from '../../src/ui/attributed-lines.ts';

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

  it('keeps the keys of lines an edit elsewhere left alone, and no two lines share one', () => {
    const before = attributedLines(
      [run('ann', 'same\nsame\nend\n'), run('bob', 'tail')],
      look,
    );
    // bob types a new first line: every other line reads, and is attributed, as before.
    const after = attributedLines(
      [
        run('bob', 'new\n'),
        run('ann', 'same\nsame\nend\n'),
        run('bob', 'tail'),
      ],
      look,
    );
    const keys = (lines: typeof before) => lines.map((l) => l.key);
    expect(new Set(keys(after)).size).toBe(after.length);
    expect(keys(after).slice(1)).toEqual(keys(before));
    // A run written on later: the line it starts on shows its times, the rest stay.
    const later = attributedLines(
      [run('ann', 'same\nsame\nend\n', 't2'), run('bob', 'tail')],
      look,
    );
    expect(later[0]!.key).not.toBe(before[0]!.key);
    expect(keys(later).slice(1)).toEqual(keys(before).slice(1));
  });
});
