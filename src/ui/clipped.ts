/**
 * `text` cut to `max` UTF-16 units, never inside a surrogate pair, saying how long
 * it was: a value from another replica may be any length (a 200,000-character title
 * made the concurrent titles' box 111,000 px tall and Compare 356,000; QA pass 9).
 * Shown only: what is written back is always the whole value.
 */
export function clipped(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
  return `${text.slice(0, end)}… (${text.length.toLocaleString('en-US')} characters)`;
}

/** Characters of a field's value shown in a list of choices or a comparison. */
export const CHOICE_SHOWN = 300;
/** Characters of a value shown on the button that picks it. */
export const BUTTON_SHOWN = 60;

/**
 * A listed document's name: its titles, each clipped as a value from another replica
 * is wherever it is shown (a 20,000-character title was read whole as the name of
 * its button and of its Delete button; QA pass 11).
 */
export const listedName = (titles: readonly string[]): string =>
  titles.length === 0
    ? 'Untitled'
    : titles.map((t) => clipped(t, CHOICE_SHOWN)).join(' / ');

/** `label` cut at its end to `max` characters (never within one), with "…". */
function cutEnd(label: string, max: number): string {
  const chars = [...label];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : label;
}

/**
 * Of `labels` shown `max` characters long, which cut at their end would read like
 * another ("Quarterly plan for Q1 2026" and "… Q2 2026" both "Quarterly pla…").
 */
export function alikeWhenCut(
  labels: readonly string[],
  max: number,
): boolean[] {
  const ends = labels.map((label) => cutEnd(label, max));
  const seen = new Map<string, number>();
  for (const end of ends) seen.set(end, (seen.get(end) ?? 0) + 1);
  return labels.map((label, i) => ends[i] !== label && seen.get(ends[i]!)! > 1);
}

/**
 * For each label `alike` marks, how many of its last characters to show so that its
 * end differs from every other such label's: at least `least`, back to where they
 * differ and on to the start of that word ("10k events", not "0k events" beside
 * "100k events"), `most` at most, and never the whole label. Undefined for the rest.
 * By characters, so no emoji is split.
 */
export function endsApart(
  labels: readonly string[],
  alike: readonly boolean[],
  least: number,
  most: number,
): (number | undefined)[] {
  const chars = labels.map((label) => [...label]);
  const ending = (i: number, k: number) => chars[i]!.slice(-k).join('');
  const others = labels.map((_, i) => i).filter((i) => alike[i]);
  return labels.map((_, i) => {
    if (!alike[i]) return undefined;
    const length = chars[i]!.length;
    const bound = Math.min(most, length - 1);
    let k = Math.min(least, bound);
    const clash = () =>
      others.some(
        (j) =>
          j !== i && chars[j]!.length >= k && ending(j, k) === ending(i, k),
      );
    while (k < bound && clash()) k++;
    // On to the start of the word the end begins in.
    while (k < bound && k > least && chars[i]![length - k - 1] !== ' ') k++;
    return k;
  });
}

/**
 * Of `labels` shown `max` characters long, those alike when cut at their end
 * (`alikeWhenCut`) cut in the middle instead, keeping `head` characters and their
 * ends, which tell them apart ("Quart… Q1 2026"); undefined for the rest, which a
 * cut at the end (or none) tells apart. By characters, so no emoji is split.
 */
export function cutsApart(
  labels: readonly string[],
  max: number,
  head: number,
): (string | undefined)[] {
  const alike = alikeWhenCut(labels, max);
  const tail = max - 1 - head;
  return labels.map((label, i) => {
    if (!alike[i]) return undefined;
    const chars = [...label];
    return `${chars.slice(0, head).join('')}…${chars.slice(-tail).join('')}`;
  });
}
