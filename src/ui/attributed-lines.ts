import type { AuthorRun } from '../contract/index.ts';

/** Part of one line of the text: of one run, so written by one writer. */
export interface LinePiece {
  run: AuthorRun;
  /** Its characters, the line's "\n" included when the piece ends the line. */
  text: string;
  /** Whether its run starts here (the page names the writer, and when, there). */
  starts: boolean;
}

export interface AttributedLine {
  /**
   * Unique among the lines, and equal for two answers' lines only when they read
   * and are attributed alike: a line kept from one answer to the next keeps its
   * place in the page, and is neither drawn nor laid out again.
   */
  key: string;
  pieces: LinePiece[];
}

/**
 * The text's runs as lines: a long text shown attributed is a column of lines, each
 * laid out on its own, so that a change to one line lays out that line alone, and
 * lines off screen are not laid out at all (`content-visibility` in app.css). Laid
 * out as one paragraph, each delivery to a text of 100k characters cost the page
 * a task of 50–80 ms while another tab typed, and 600–750 ms at a million.
 */
export function attributedLines(
  runs: readonly AuthorRun[],
  /** Whatever else a line's look depends on per run: its writer's colour. */
  lookOf: (run: AuthorRun) => string,
): AttributedLine[] {
  const lines: AttributedLine[] = [];
  let pieces: LinePiece[] = [];
  let signature = '';
  const seen = new Map<string, number>();
  const end = () => {
    const n = seen.get(signature) ?? 0;
    seen.set(signature, n + 1);
    lines.push({ key: `${signature}\u0003${n}`, pieces });
    pieces = [];
    signature = '';
  };
  for (const run of runs) {
    const look = `${run.author}\u0001${lookOf(run)}`;
    let from = 0;
    while (from < run.text.length) {
      const newline = run.text.indexOf('\n', from);
      const to = newline < 0 ? run.text.length : newline + 1;
      const text = run.text.slice(from, to);
      const starts = from === 0;
      pieces.push({ run, text, starts });
      // When a run was written is shown where it starts: the rest of its lines stay
      // as they were while its writer types on (and its last time moves).
      const times = starts ? `${run.from}\u0001${run.to}` : '';
      signature += `${look}\u0001${times}\u0001${text}\u0002`;
      if (newline >= 0) end();
      from = to;
    }
  }
  if (pieces.length > 0 || lines.length === 0) end();
  return lines;
}
