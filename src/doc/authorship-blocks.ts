import type { Authorship, AuthorRun, AuthorTotals } from './authorship.ts';

/**
 * Part of one line of the text: of one run, so written by one writer. It holds what
 * the page shows of its run, not the run: a run may be the whole text, and a piece
 * goes to the page alone when its block changed.
 */
export interface LinePiece {
  author: string;
  /**
   * Where its run starts, when the run's first and last characters were written;
   * elsewhere "" (the page shows them where the run starts: the rest of its lines
   * stay as they were while its writer types on and its last time moves).
   */
  from: string;
  to: string;
  /** Its characters, the line's "\n" included when the piece ends the line. */
  text: string;
  /** Whether its run starts here (the page names the writer, and when, there). */
  starts: boolean;
  /**
   * Whatever else its look depends on (`lookOf` its run: its writer's place among
   * the writers, a colour on the page).
   */
  look: number;
}

export interface AttributedLine {
  /** A hash of everything the line shows: lines that look alike hash alike. */
  hash: number;
  pieces: LinePiece[];
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * FNV-1a of `hash` and `text`'s UTF-16 code units, then a separator: a line's hash
 * is that of its pieces' author, look, times (where its run starts) and text, each
 * followed by its separator.
 */
function mix(hash: number, text: string, separator: number): number {
  for (let i = 0; i < text.length; i++)
    hash = Math.imul(hash ^ text.charCodeAt(i), FNV_PRIME);
  return Math.imul(hash ^ separator, FNV_PRIME);
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
  /** Whatever else a line's look depends on per run: its writer's place. */
  lookOf: (run: AuthorRun) => number,
): AttributedLine[] {
  const lines: AttributedLine[] = [];
  let pieces: LinePiece[] = [];
  let hash = FNV_OFFSET;
  const end = () => {
    lines.push({ hash: hash >>> 0, pieces });
    pieces = [];
    hash = FNV_OFFSET;
  };
  for (const run of runs) {
    const look = lookOf(run);
    let from = 0;
    while (from < run.text.length) {
      const newline = run.text.indexOf('\n', from);
      const to = newline < 0 ? run.text.length : newline + 1;
      const text = run.text.slice(from, to);
      const starts = from === 0;
      const { author } = run;
      const first = starts ? run.from : '';
      const last = starts ? run.to : '';
      pieces.push({ author, from: first, to: last, text, starts, look });
      const times = `${first}\u0001${last}`;
      hash = mix(
        mix(mix(mix(hash, run.author, 1), String(look), 1), times, 1),
        text,
        2,
      );
      if (newline >= 0) end();
      from = to;
    }
  }
  if (pieces.length > 0 || lines.length === 0) end();
  return lines;
}

/** Lines drawn together: the unit the page compares, and skips when unchanged. */
export interface LineBlock {
  /**
   * Unique among the blocks, and equal for two answers' blocks that look alike (a
   * hash of their lines: equal keys tell a block that may be unchanged, which
   * `sameBlock` then says for sure).
   */
  key: string;
  /** Its lines, each with a key unique in the block. */
  lines: (AttributedLine & { key: string })[];
}

/** Lines a block holds at most, when none of them ends one. */
const MOST_LINES = 32;
/**
 * Lines a block holds at least. Without a floor, text of one line repeated (whose
 * lines all end a block, or none) came in blocks of one line: 2,500 blocks for the
 * page to go through at each answer, in `authorship.live`'s document.
 */
const FEWEST_LINES = 4;

/**
 * `lines` in blocks of 4 to 32, 7 or so. A block of at least FEWEST_LINES ends after
 * a line when that line and the one before it hash to 0 modulo 4: where blocks end
 * depends on their own lines, so an edit to a line, or a line added or taken away,
 * changes the blocks around it and leaves every other block as it was
 * (content-defined chunking with a least size, as backup tools cut files). An answer
 * is then a few hundred blocks to compare, not thousands of lines, and a block the
 * same as before is not sent or drawn again. (Blocks of 8 lines came out faster than
 * lines alone, or blocks of 16, in `authorship.live`.) Keys are made of the lines'
 * hashes: made of their text, as they were, each answer built and hashed strings
 * three times the length of the text (at a million characters, most of a 75 ms
 * task in the tab showing it while another typed).
 */
export function blocksOf(lines: readonly AttributedLine[]): LineBlock[] {
  const blocks: LineBlock[] = [];
  const seen = new Map<number, number>();
  let block: AttributedLine[] = [];
  const end = () => {
    const counts = new Map<number, number>();
    let hash = FNV_OFFSET;
    const keyed = block.map((line) => {
      const n = counts.get(line.hash) ?? 0;
      counts.set(line.hash, n + 1);
      hash = Math.imul(hash ^ line.hash, FNV_PRIME);
      return { ...line, key: `${line.hash.toString(36)}.${n}` };
    });
    hash >>>= 0;
    const n = seen.get(hash) ?? 0;
    seen.set(hash, n + 1);
    blocks.push({ key: `${hash.toString(36)}.${n}`, lines: keyed });
    block = [];
  };
  let before = 0;
  for (const line of lines) {
    block.push(line);
    if (
      (block.length >= FEWEST_LINES && (line.hash ^ before) % 4 === 0) ||
      block.length === MOST_LINES
    )
      end();
    before = Math.imul(line.hash, 31) >>> 0;
  }
  if (block.length > 0) end();
  return blocks;
}

/** Whether two blocks show the same: every piece of every line alike. */
export function sameBlock(a: LineBlock, b: LineBlock): boolean {
  if (a.key !== b.key || a.lines.length !== b.lines.length) return false;
  return a.lines.every((line, i) => {
    const other = b.lines[i]!.pieces;
    return (
      line.pieces.length === other.length &&
      line.pieces.every((piece, j) => samePiece(piece, other[j]!))
    );
  });
}

function samePiece(a: LinePiece, b: LinePiece): boolean {
  return (
    a.text === b.text &&
    a.starts === b.starts &&
    a.look === b.look &&
    a.author === b.author &&
    a.from === b.from &&
    a.to === b.to
  );
}

/** A writer's totals, and the look of their characters (their place in the list). */
export interface AuthorBlocksTotals extends AuthorTotals {
  look: number;
}

/**
 * The Authorship region's content, as the worker sends it: the text in blocks of
 * lines, where a block the page already holds, the same in every piece, is sent as
 * its key alone. An answer holding the whole text cost the page that shows it, at
 * a million characters, 7–14 ms to read and up to 10 ms to cut into lines each time
 * another tab typed (profiles of `authorship.live`, bench/README.md); this costs it
 * in proportion to the blocks that changed.
 */
export interface AuthorshipAnswer {
  /** Names this answer: asked for again `since` it, only what changed is sent. */
  id: string;
  authors: AuthorBlocksTotals[];
  /** In order: a block, or the key of the `since` answer's block it equals. */
  blocks: (LineBlock | string)[];
}

/** An answer's blocks by key, as both ends keep them to read the next one against. */
export type HeldBlocks = ReadonlyMap<string, LineBlock>;

/** `authorship` in blocks, each writer's look their place in `authors` (sorted). */
export function authorshipBlocks(authorship: Authorship): {
  authors: AuthorBlocksTotals[];
  blocks: LineBlock[];
} {
  const look = new Map(authorship.authors.map((a, i) => [a.author, i]));
  return {
    authors: authorship.authors.map((a, i) => ({ ...a, look: i })),
    blocks: blocksOf(
      attributedLines(authorship.runs, (run) => look.get(run.author) ?? 0),
    ),
  };
}

/**
 * `blocks` as sent after an answer whose blocks were `held`: each the same as the
 * held block of its key (`sameBlock`, every piece compared, so a hash that collides
 * never shows an old block) goes as that key. Also returns the blocks to hold for
 * the next answer, the held ones kept where they stood in.
 */
export function sinceHeld(
  held: HeldBlocks | undefined,
  blocks: readonly LineBlock[],
): { sent: (LineBlock | string)[]; hold: Map<string, LineBlock> } {
  const hold = new Map<string, LineBlock>();
  const sent = blocks.map((block) => {
    const before = held?.get(block.key);
    if (before && sameBlock(before, block)) {
      hold.set(block.key, before);
      return block.key;
    }
    hold.set(block.key, block);
    return block;
  });
  return { sent, hold };
}

/**
 * The blocks an answer stands for, read against the blocks held from the answer
 * it was asked `since`: undefined when it names one not held (the page then asks
 * for the whole answer again).
 */
export function blocksOfAnswer(
  held: HeldBlocks,
  blocks: readonly (LineBlock | string)[],
): LineBlock[] | undefined {
  const out: LineBlock[] = [];
  for (const block of blocks) {
    const b = typeof block === 'string' ? held.get(block) : block;
    if (!b) return undefined;
    out.push(b);
  }
  return out;
}
