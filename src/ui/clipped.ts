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
