import type { LogEvent } from '../log/types.ts';

/**
 * One writer of a document: its replica (actor) and the label it wrote under. Two
 * devices can write under the same label (each counts its tabs from "Tab 1"), and
 * one replica's tabs write under different labels: each pair is one writer.
 */
export const writerKey = (e: Pick<LogEvent, 'actor' | 'author'>): string =>
  `${e.actor}\n${e.author ?? e.actor}`;

/**
 * The names `keys` (writerKey) are shown by: each one's label, and where one label
 * stands for several replicas, the first characters of each one's actor beside it,
 * "Tab 1 (actor 3kQ9x)". So two writers never read as one.
 */
export function writerNames(keys: Iterable<string>): Map<string, string> {
  const byLabel = new Map<string, string[]>();
  for (const key of new Set(keys)) {
    const label = key.slice(key.indexOf('\n') + 1);
    const same = byLabel.get(label);
    if (same) same.push(key);
    else byLabel.set(label, [key]);
  }
  const names = new Map<string, string>();
  for (const [label, keys] of byLabel) {
    if (keys.length === 1) {
      names.set(keys[0]!, label);
      continue;
    }
    const actors = keys.map((key) => key.slice(0, key.indexOf('\n')));
    // As many characters as tell them apart (an actor may be chosen to look like another).
    let length = 6;
    while (new Set(actors.map((a) => a.slice(0, length))).size < actors.length)
      length++;
    keys.forEach((key, i) =>
      names.set(key, `${label} (actor ${actors[i]!.slice(0, length)})`),
    );
  }
  return names;
}
