import type { LogEvent } from '../log/types.ts';

/**
 * One writer of a document: its replica (actor) and the label it wrote under. Two
 * devices can write under the same label (each counts its tabs from "Tab 1"), and
 * one replica's tabs write under different labels: each pair is one writer.
 */
export const writerKey = (e: Pick<LogEvent, 'actor' | 'author'>): string =>
  `${e.actor}\n${e.author ?? e.actor}`;

/** A writerKey's parts (an actor has no control characters, so no newline). */
function partsOf(key: string): { actor: string; label: string } {
  const cut = key.indexOf('\n');
  return cut < 0
    ? { actor: key, label: key }
    : { actor: key.slice(0, cut), label: key.slice(cut + 1) };
}

/** Characters that set the direction of the text after them (Unicode's bidi controls). */
const BIDI_CONTROL = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/**
 * A label that holds a bidi control, between first-strong-isolate and pop-directional-
 * isolate: whatever it sets ends with the name. Labels come from other replicas, and
 * "Mallory \u202Eevil" turned the words after it backwards wherever it was shown in
 * a line ("…renamed the document" read "tnemucod eht demaner"; QA pass 9).
 */
export const isolated = (label: string): string =>
  BIDI_CONTROL.test(label) ? `\u2068${label}\u2069` : label;

/** Keys grouped by what `name` gives them, in the order first given. */
function groupBy(
  keys: string[],
  name: (key: string) => string,
): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const key of keys) {
    const n = name(key);
    const same = groups.get(n);
    if (same) same.push(key);
    else groups.set(n, [key]);
  }
  return groups;
}

/**
 * The names `keys` (writerKey) are shown by, no two alike: each one's label, and
 * where one label stands for several replicas, as much of each one's actor id as
 * tells them apart, "Tab 1 (actor 3kQ9x)". Labels and actors come from other
 * replicas, so a label may be written to look like such a name: then the whole
 * actor is shown, and as a last resort a number. So two writers never read as one,
 * and no replica can take another's name.
 */
export function writerNames(keys: Iterable<string>): Map<string, string> {
  const all = [...new Set(keys)];
  const names = new Map<string, string>();
  for (const [label, same] of groupBy(all, (k) => partsOf(k).label)) {
    if (same.length === 1) {
      names.set(same[0]!, label);
      continue;
    }
    const actors = same.map((k) => partsOf(k).actor);
    let length = 6;
    while (new Set(actors.map((a) => a.slice(0, length))).size < actors.length)
      length++;
    same.forEach((k, i) =>
      names.set(k, `${label} (actor ${actors[i]!.slice(0, length)})`),
    );
  }
  // A name that came out twice (a label made to look like another's name): each
  // of those with its whole actor, then numbered if even that is alike.
  for (const same of groupBy(all, (k) => names.get(k)!).values())
    if (same.length > 1)
      for (const k of same) {
        const { actor, label } = partsOf(k);
        names.set(k, `${label} (actor ${actor})`);
      }
  for (const same of groupBy(all, (k) => names.get(k)!).values())
    if (same.length > 1)
      [...same]
        .sort()
        .forEach((k, i) => names.set(k, `${names.get(k)} #${i + 1}`));
  for (const [k, name] of names) names.set(k, isolated(name));
  return names;
}
