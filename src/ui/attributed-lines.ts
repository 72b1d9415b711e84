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
  /** Everything the line shows: equal for two lines only when they look alike. */
  look: string;
  pieces: LinePiece[];
}

/**
 * The text's runs as lines: a long text shown attributed is a column of lines, each
 * laid out on its own, so that a change to one line lays out that line alone, and
 * lines off screen are not laid out at all (`content-visibility` in app.css). Laid
 * out as one paragraph, each delivery to a text of 100k characters cost the page
 * a task of 50–80 ms while another tab typed, and 300–750 ms at a million.
 */
export function attributedLines(
  runs: readonly AuthorRun[],
  /** Whatever else a line's look depends on per run: its writer's colour. */
  lookOf: (run: AuthorRun) => string,
): AttributedLine[] {
  const lines: AttributedLine[] = [];
  let pieces: LinePiece[] = [];
  let look = '';
  const end = () => {
    lines.push({ look, pieces });
    pieces = [];
    look = '';
  };
  for (const run of runs) {
    const runLook = `${run.author}\u0001${lookOf(run)}`;
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
      look += `${runLook}\u0001${times}\u0001${text}\u0002`;
      if (newline >= 0) end();
      from = to;
    }
  }
  if (pieces.length > 0 || lines.length === 0) end();
  return lines;
}

/** Lines drawn together: the unit the page compares, and skips when unchanged. */
export interface LineBlock {
  /** Unique among the blocks; equal for two answers' blocks only when they look alike. */
  key: string;
  /** Its lines, each with a key unique in the block. */
  lines: (AttributedLine & { key: string })[];
}

/** Lines a block holds at most, when none of them ends one. */
const MOST_LINES = 32;

/**
 * `lines` in blocks of 8 or so. A block ends after a line when that line and the
 * one before it hash to 0 modulo 8: where blocks end depends on their own lines, so
 * an edit to a line, or a line added or taken away, changes the block or two around
 * it and leaves every other block as it was (content-defined chunking, as rsync
 * cuts files). An answer is then a few hundred blocks to compare, not thousands of
 * lines, and a block the same as before is not drawn again. (Blocks of 8 lines came
 * out faster than lines alone, or blocks of 16, in `authorship.live`.)
 */
export function blocksOf(lines: readonly AttributedLine[]): LineBlock[] {
  const blocks: LineBlock[] = [];
  const seen = new Map<string, number>();
  let block: AttributedLine[] = [];
  const end = () => {
    const counts = new Map<string, number>();
    const keyed = block.map((line) => {
      const n = counts.get(line.look) ?? 0;
      counts.set(line.look, n + 1);
      return { ...line, key: `${line.look}\u0003${n}` };
    });
    const look = keyed.map((line) => line.key).join('\u0004');
    const n = seen.get(look) ?? 0;
    seen.set(look, n + 1);
    blocks.push({ key: `${look}\u0005${n}`, lines: keyed });
    block = [];
  };
  let before = 0;
  for (const line of lines) {
    block.push(line);
    const hash = hashOf(line.look);
    if ((hash ^ before) % 8 === 0 || block.length === MOST_LINES) end();
    before = Math.imul(hash, 31) >>> 0;
  }
  if (block.length > 0) end();
  return blocks;
}

/** FNV-1a over UTF-16 code units. */
function hashOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++)
    hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}
