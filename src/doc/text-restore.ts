import * as Y from 'yjs';
import { firstAbove } from '../log/sorted.ts';
import { ClockRanges } from './clock-ranges.ts';
import type { SideEdits } from './conflict-changes.ts';
import type { TextSplice } from './text-splice.ts';

/** A run of a text's visible characters: Yjs ids `clock`, `clock + 1`, … of `client`. */
export interface TextRun {
  client: number;
  clock: number;
  text: string;
}

/**
 * The visible text of `text` as runs of characters with their Yjs ids, in order:
 * what `restoreSplices` needs of a version, taken before its state moves on.
 */
export function visibleRuns(text: Y.Text): TextRun[] {
  const runs: TextRun[] = [];
  for (let item = text._start; item !== null; item = item.right as Y.Item) {
    if (item.deleted || !(item.content instanceof Y.ContentString)) continue;
    runs.push({
      client: item.id.client,
      clock: item.id.clock,
      text: item.content.str,
    });
  }
  return runs;
}

/** The ids of `runs`, as clock ranges per client. */
function rangesOf(
  runs: Iterable<{ client: number; clock: number; length: number }>,
): ClockRanges {
  const ranges = new ClockRanges();
  for (const { client, clock, length } of runs)
    ranges.add(client, clock, clock + length);
  return ranges;
}

const idsOf = (runs: readonly TextRun[]) =>
  runs.map(({ client, clock, text }) => ({
    client,
    clock,
    length: text.length,
  }));

/** Whether the ranges hold id (`client`, `clock`). */
const holds = (ranges: ClockRanges, client: number, clock: number) =>
  ranges.at(client, clock)[0];

/**
 * The splices (each at a position in the text the ones before it left) that turn
 * the text of `current` into the version `target`, character for character: a
 * character of the version still in the text stays (the same Yjs item, its
 * writer's), one deleted since is written again, and every other is deleted. A
 * diff of the two strings instead kept look-alikes: restoring "Meet at noon." over
 * "Meet at one. Bring cake." kept the full stop of "cake.", so the undo of the one
 * who wrote "Bring cake." then took the restored full stop away.
 *
 * Undefined when the two disagree on the order of the characters they share, which
 * Yjs never allows.
 */
export function restoreSplices(
  current: readonly TextRun[],
  target: readonly TextRun[],
): TextSplice[] | undefined {
  const inTarget = rangesOf(idsOf(target));
  const inCurrent = rangesOf(idsOf(current));
  const splices: TextSplice[] = [];
  let at = 0; // in the text as the splices so far left it
  let open: TextSplice | undefined;
  const splice = () => (open ??= { index: at, deleteCount: 0, insert: '' });
  const close = () => {
    if (open) splices.push(open);
    open = undefined;
  };
  let c = 0;
  let ci = 0; // run and offset in `current`
  let t = 0;
  let ti = 0; // in `target`
  while (c < current.length || t < target.length) {
    const cur = current[c];
    const tgt = target[t];
    if (cur && !holds(inTarget, cur.client, cur.clock + ci)) {
      // Not in the version: deleted, as far as the run goes so.
      let end = ci + 1;
      while (
        end < cur.text.length &&
        !holds(inTarget, cur.client, cur.clock + end)
      )
        end++;
      splice().deleteCount += end - ci;
      [c, ci] = end < cur.text.length ? [c, end] : [c + 1, 0];
    } else if (tgt && !holds(inCurrent, tgt.client, tgt.clock + ti)) {
      // The version's, deleted since: written again.
      let end = ti + 1;
      while (
        end < tgt.text.length &&
        !holds(inCurrent, tgt.client, tgt.clock + end)
      )
        end++;
      splice().insert += tgt.text.slice(ti, end);
      at += end - ti;
      [t, ti] = end < tgt.text.length ? [t, end] : [t + 1, 0];
    } else {
      // Both hold it: the same character, or the order is not Yjs's.
      if (
        !cur ||
        !tgt ||
        cur.client !== tgt.client ||
        cur.clock + ci !== tgt.clock + ti
      )
        return undefined;
      close();
      // As far as both runs go on together.
      let n = 1;
      while (
        ci + n < cur.text.length &&
        ti + n < tgt.text.length &&
        holds(inTarget, cur.client, cur.clock + ci + n)
      )
        n++;
      at += n;
      [c, ci] = ci + n < cur.text.length ? [c, ci + n] : [c + 1, 0];
      [t, ti] = ti + n < tgt.text.length ? [t, ti + n] : [t + 1, 0];
    }
  }
  close();
  return splices;
}

/**
 * The splices that take one writer's change in a conflict back out of `text` (a
 * side's `edits`, from conflictChanges), by Yjs id, whatever was typed around it
 * since: the characters it inserted go, and those of the fork point that it alone
 * deleted are written again where they stood. Everything else stays: the other
 * sides' changes, and what anyone wrote after the merge.
 *
 * Deleted text is not written again where it is back already. Within a gap between
 * two characters the merge held and that stay, text written since the merge (by
 * anyone: a retype, another tab's undo of the side's deletion, a take-back made
 * elsewhere; Yjs's undo brings text back as new items, and says so only to the tab
 * that undid) that holds a deleted run's text keeps it from being written twice.
 * Undefined as for `restoreSplices`.
 */
export function takeBackSplices(
  text: Y.Text,
  edits: SideEdits,
): TextSplice[] | undefined {
  const { store } = text.doc!;
  // Per client, the clock below which its characters were in the document the merge
  // made: the others were written since.
  const merged = new Map(edits.merged);
  // The side's characters as they are now: each of them, and what this tab's undo
  // made of it (`redone`), in turn.
  const inserted = rangesOf(
    edits.inserted.flatMap(([client, clock, length]) =>
      incarnations(store, client, clock, length),
    ),
  );
  // Per client, the deleted runs by clock: an item's part of them is looked up.
  const deleted = new Map<number, { starts: number[]; runs: string[] }>();
  for (const [client, clock, run] of [...edits.deleted].sort(
    (a, b) => a[1] - b[1],
  )) {
    let list = deleted.get(client);
    if (!list) deleted.set(client, (list = { starts: [], runs: [] }));
    list.starts.push(clock);
    list.runs.push(run);
  }

  const target: TextRun[] = [];
  const add = (client: number, clock: number, run: string) => {
    const last = target[target.length - 1];
    if (last?.client === client && last.clock + last.text.length === clock)
      last.text += run;
    else target.push({ client, clock, text: run });
  };
  // The gap since the last character the merge held that stays, in order: deleted
  // runs to write again, and the text written into it since the merge.
  let gap: { run: TextRun; rewrite: boolean }[] = [];
  const endGap = () => {
    const since = gap
      .filter((g) => !g.rewrite)
      .map((g) => g.run.text)
      .join('');
    for (const { run, rewrite } of gap)
      if (!rewrite || !since.includes(run.text))
        add(run.client, run.clock, run.text);
    gap = [];
  };
  for (let item = text._start; item !== null; item = item.right as Y.Item) {
    const { client, clock } = item.id;
    if (!item.deleted) {
      if (!(item.content instanceof Y.ContentString)) continue;
      const { str } = item.content;
      const mergedUpTo = merged.get(client) ?? 0;
      const end = clock + str.length;
      // Kept unless the side inserted it; in runs alike in both.
      for (let at = clock; at < end;) {
        const [mine, changes] = inserted.at(client, at);
        const old = at < mergedUpTo;
        const until = Math.min(end, changes, old ? mergedUpTo : Infinity);
        const run = {
          client,
          clock: at,
          text: str.slice(at - clock, until - clock),
        };
        if (!mine) {
          if (old) {
            endGap();
            add(run.client, run.clock, run.text);
          } else gap.push({ run, rewrite: false });
        }
        at = until;
      }
      continue;
    }
    const list = deleted.get(client);
    if (!list) continue;
    const end = clock + item.length;
    // From the last run starting at or before the item (runs do not overlap).
    const { starts, runs } = list;
    for (
      let i = Math.max(0, firstAbove(starts, clock) - 1);
      i < starts.length;
      i++
    ) {
      const from = starts[i]!;
      const run = runs[i]!;
      if (from >= end) break;
      const start = Math.max(from, clock);
      const stop = Math.min(from + run.length, end);
      if (start < stop)
        gap.push({
          run: {
            client,
            clock: start,
            text: run.slice(start - from, stop - from),
          },
          rewrite: true,
        });
    }
  }
  endGap();
  return restoreSplices(visibleRuns(text), target);
}

/** Redo chains followed in all, at most: each undo of a take-back makes one link. */
const MAX_REDONE = 100_000;

/**
 * The id runs that `length` characters from (`client`, `clock`) have had in `store`:
 * their own, then each item this document's undo made of them (`redone`), in turn,
 * item by item. What the store does not hold (the text is behind the side's events)
 * is left out.
 */
function incarnations(
  store: Y.Doc['store'],
  client: number,
  clock: number,
  length: number,
): { client: number; clock: number; length: number }[] {
  const out: { client: number; clock: number; length: number }[] = [];
  const work = [{ client, clock, length }];
  while (work.length > 0 && out.length < MAX_REDONE) {
    const run = work.pop()!;
    const held = Math.min(
      run.length,
      Y.getState(store, run.client) - run.clock,
    );
    if (held <= 0) continue;
    out.push({ ...run, length: held });
    for (let at = run.clock; at < run.clock + held;) {
      const struct = Y.getItem(store, Y.createID(run.client, at));
      const until = Math.min(run.clock + held, struct.id.clock + struct.length);
      if (struct instanceof Y.Item && struct.redone)
        work.push({
          client: struct.redone.client,
          clock: struct.redone.clock + (at - struct.id.clock),
          length: until - at,
        });
      at = until;
    }
  }
  return out;
}
