import { ITEM_STRIDE, type ScannedUpdate } from './update-scan.ts';

/**
 * Where the text starts and ends, as ids no character has: an insertion there names
 * no neighbour on that side, and two writers who both type into an empty text, or
 * both at its end, are at one place. A clock no client reaches (4 billion
 * characters), of client 0, so that a touch's numbers stay 32-bit (the insights
 * checkpoint them so).
 */
export const EDGE_CLIENT = 0;
export const START_CLOCK = 0xffff_fffd;
export const END_CLOCK = 0xffff_fffe;

/**
 * Touches of one edit taken at most: updates come from other replicas, and one of a
 * thousand scattered pieces must not make every later edit of its episode compare
 * against each of them. Typing makes a few.
 */
export const MAX_TOUCHES = 256;

/**
 * What a text edit touched, by Yjs id, as [client, from, to) ranges given to
 * `touch`: the characters it inserted, the neighbours it inserted them between
 * (Yjs's origin and right origin, or the text's start and end), and the characters
 * it deleted. Two writers touch the same or neighbouring characters exactly when
 * they share an id here: typing at one place shares the neighbours, typing next to
 * the other's new text names one of its characters, deleting it names it too.
 *
 * The one definition of an overlapping text conflict, read by the timeline
 * (doc-conflicts.ts, over an episode's events) and by the insights (insights.ts, as
 * they fold): each decides by ids, never by where the characters sit in one merged
 * text, which the insights do not build.
 */
export function touchesOf(
  { items, deletes }: ScannedUpdate,
  touch: (client: number, from: number, to: number) => void,
): void {
  let left = MAX_TOUCHES;
  for (let i = 0; i < items.length && left > 0; i += ITEM_STRIDE) {
    const clock = items[i + 1]!;
    touch(items[i]!, clock, clock + items[i + 2]!);
    const origin = items[i + 4]!;
    if (origin >= 0) touch(origin, items[i + 5]!, items[i + 5]! + 1);
    else touch(EDGE_CLIENT, START_CLOCK, START_CLOCK + 1);
    const right = items[i + 6]!;
    if (right >= 0) touch(right, items[i + 7]!, items[i + 7]! + 1);
    else touch(EDGE_CLIENT, END_CLOCK, END_CLOCK + 1);
    left -= 3;
  }
  for (let i = 0; i < deletes.length && left > 0; i += 3, left--)
    touch(deletes[i]!, deletes[i + 1]!, deletes[i + 1]! + deletes[i + 2]!);
}

/**
 * Whether two different writers share an id: `byWriter[w]` holds writer w's
 * touches as [client, from, to) triples, flat. One pass in order of (client, from),
 * keeping per client the furthest end of the writer that reaches furthest and of the
 * next writer: comparing every touch with every other cost the product of the
 * writers' edits in an episode.
 */
export function writersShare(
  byWriter: readonly (readonly number[])[],
): boolean {
  const all: { client: number; from: number; to: number; writer: number }[] =
    [];
  byWriter.forEach((touches, writer) => {
    for (let i = 0; i + 2 < touches.length; i += 3)
      all.push({
        client: touches[i]!,
        from: touches[i + 1]!,
        to: touches[i + 2]!,
        writer,
      });
  });
  all.sort((a, b) => a.client - b.client || a.from - b.from);
  const none = { writer: -1, to: -Infinity };
  let client = NaN;
  let first = none;
  let second = none;
  for (const { client: c, from, to, writer } of all) {
    if (c !== client) [client, first, second] = [c, none, none];
    // Touches of this client before this one start at or before it: one shares
    // an id with it when it reaches past its start.
    const other = first.writer !== writer ? first : second;
    if (other.writer >= 0 && other.to > from) return true;
    if (writer === first.writer) first = { writer, to: Math.max(first.to, to) };
    else if (to > first.to) [first, second] = [{ writer, to }, first];
    else if (writer === second.writer)
      second = { writer, to: Math.max(second.to, to) };
    else if (to > second.to) second = { writer, to };
  }
  return false;
}
