import type * as Y from 'yjs';
import { ITEM_STRIDE, scanUpdate, type ScannedUpdate } from './update-scan.ts';

/** Where an event's insertions and deletions sit in the merged text, tombstones counted. */
export interface TouchedRange {
  from: number;
  to: number;
}

type ItemLike = {
  id: { client: number; clock: number };
  length: number;
  right: ItemLike | null;
};

/**
 * Maps Yjs item ids to positions in the merged text's item sequence, deleted items
 * included, so edits can be compared even after their text was deleted again.
 */
export class ItemPositions {
  private readonly byClient = new Map<
    number,
    { clock: number; length: number; start: number }[]
  >();

  constructor(text: Y.Text) {
    let position = 0;
    for (
      let item = (text as unknown as { _start: ItemLike | null })._start;
      item;
      item = item.right
    ) {
      let runs = this.byClient.get(item.id.client);
      if (!runs) this.byClient.set(item.id.client, (runs = []));
      runs.push({ clock: item.id.clock, length: item.length, start: position });
      position += item.length;
    }
    for (const runs of this.byClient.values())
      runs.sort((a, b) => a.clock - b.clock);
  }

  positionOf(client: number, clock: number): number | undefined {
    const runs = this.byClient.get(client);
    if (!runs) return undefined;
    let lo = 0;
    let hi = runs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const run = runs[mid]!;
      if (clock < run.clock) hi = mid - 1;
      else if (clock >= run.clock + run.length) lo = mid + 1;
      else return run.start + (clock - run.clock);
    }
    return undefined;
  }

  /** Scanned into again by each `rangeOf`: read without allocating. */
  private readonly scanned: ScannedUpdate = {
    items: [],
    deletes: [],
    astral: false,
  };

  /**
   * The span an update inserted into or deleted from, or undefined when it touched
   * no text. Its items and deleted ranges, scanned (`scanUpdate`), not decoded: a
   * document's conflicts read every event of their episodes this way, and
   * `Y.decodeUpdate` made an Item and a string per run of text for each (with the
   * garbage they leave, most of the conflicts' cost in the worker's profile). A
   * skip (ids an update made beside pending ones does not hold) is passed over, where
   * the decoded update's was touched. An update that does not scan (from another
   * replica) touched no text: folding ignores it too.
   */
  rangeOf(update: Uint8Array): TouchedRange | undefined {
    try {
      scanUpdate(update, this.scanned);
    } catch {
      return undefined;
    }
    const { items, deletes } = this.scanned;
    let from = Infinity;
    let to = -Infinity;
    const touch = (client: number, clock: number, length: number) => {
      for (const at of [clock, clock + length - 1]) {
        const position = this.positionOf(client, at);
        if (position === undefined) continue;
        from = Math.min(from, position);
        to = Math.max(to, position);
      }
    };
    for (let i = 0; i < items.length; i += ITEM_STRIDE)
      touch(items[i]!, items[i + 1]!, items[i + 2]!);
    for (let i = 0; i < deletes.length; i += 3)
      touch(deletes[i]!, deletes[i + 1]!, deletes[i + 2]!);
    return from <= to ? { from, to } : undefined;
  }
}

/**
 * Whether ranges of two different writers (`byWriter[i]` are writer i's) meet, that
 * is, touch the same or adjacent characters: one
 * pass in order of `from`, keeping the furthest end of the writer that reaches
 * furthest and of the next writer. Comparing every range with every other cost the
 * product of the writers' edits in an episode.
 */
export function writersMeet(byWriter: readonly TouchedRange[][]): boolean {
  const all = byWriter.flatMap((ranges, writer) =>
    ranges.map((range) => ({ from: range.from, to: range.to, writer })),
  );
  all.sort((a, b) => a.from - b.from);
  // Ranges before this one start at or before it: one meets it when it reaches it.
  let first = { writer: -1, to: -Infinity };
  let second = { writer: -1, to: -Infinity };
  for (const { from, to, writer } of all) {
    const other = first.writer !== writer ? first : second;
    if (other.writer >= 0 && other.to + 1 >= from) return true;
    if (writer === first.writer) first = { writer, to: Math.max(first.to, to) };
    else if (to > first.to) [first, second] = [{ writer, to }, first];
    else if (writer === second.writer)
      second = { writer, to: Math.max(second.to, to) };
    else if (to > second.to) second = { writer, to };
  }
  return false;
}
