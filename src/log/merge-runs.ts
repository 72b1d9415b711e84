/**
 * Reads in position order over sources that each hold some positions in order: the
 * hot records and the segments of a log, whose positions interleave when streams are
 * written in turns.
 */

/** Items in position order, with their positions. */
export interface Positioned<T> {
  /** Ascending. */
  positions: number[];
  /**
   * The items at indexes from..to-1, as few values as their kind allows: records one
   * each, export lines one buffer for the whole run.
   */
  run(from: number, to: number): T[];
}

/** The first index of ascending `positions` whose position is above `pos`. */
function firstAbove(positions: number[], pos: number): number {
  let lo = 0;
  let hi = positions.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (positions[mid]! <= pos) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The items of `sources` at positions in (after, bound], merged in position order as
 * runs: while one source holds the next positions, they are taken as one run. Streams
 * written in turns interleave in long runs, so a page is a few runs, not one item per
 * event. Lazy: a run is made only when the reader comes to it, so a reader that
 * stops early (a query's first page over segments that each span most of the log)
 * has not had the rest built.
 */
export function* mergeRuns<T>(
  sources: Positioned<T>[],
  after: number,
  bound: number,
): Generator<T[], void, undefined> {
  const cursors = sources
    .map((source) => ({
      source,
      at: firstAbove(source.positions, after),
      end: firstAbove(source.positions, bound),
    }))
    .filter((c) => c.at < c.end);
  while (cursors.length > 0) {
    // The cursor with the least next position, and the least next position of the others.
    let best = 0;
    let others = Infinity;
    for (let k = 1; k < cursors.length; k++) {
      const next = cursors[k]!.source.positions[cursors[k]!.at]!;
      const least = cursors[best]!.source.positions[cursors[best]!.at]!;
      if (next < least) {
        others = least;
        best = k;
      } else others = Math.min(others, next);
    }
    const cursor = cursors[best]!;
    const { positions } = cursor.source;
    let to = cursor.at + 1;
    while (to < cursor.end && positions[to]! < others) to++;
    const run = cursor.source.run(cursor.at, to);
    cursor.at = to;
    if (to === cursor.end) cursors.splice(best, 1);
    if (run.length > 0) yield run;
  }
}
