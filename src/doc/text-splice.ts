/**
 * The one edit that turns a text into another, and what a text position may be.
 * Positions count UTF-16 code units (DESIGN §11). Yjs splits its items at any code
 * unit and, to keep its updates encodable, turns both halves of a surrogate pair cut
 * there into U+FFFD: the replica that made the cut and every replica that receives
 * it then hold different text. So no splice made here ever falls inside a pair.
 */

/** `index`, `deleteCount` and `insert` as `editText` and `Y.Text` take them. */
export interface TextSplice {
  /** Where the edit starts, in UTF-16 code units. */
  index: number;
  /** Code units of the old text removed from `index`. */
  deleteCount: number;
  /** Text put at `index`. */
  insert: string;
}

export interface SpliceOptions {
  /**
   * Where an editor's caret stands in the new text (a textarea's `selectionEnd`). The
   * edit ends no earlier: what was typed is recorded where it was typed, not matched
   * against equal text it replaced ("xyz" selected and overtyped with "z" deletes
   * all three and inserts "z", rather than deleting "xy"). And it starts no later
   * than the caret less what the text grew by: a space typed after a space is the
   * second one.
   */
  caret?: number;
}

const isHigh = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const isLow = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;

const SURROGATE = /[\ud800-\udfff]/;

/** Whether `text` holds a surrogate code unit: half of a pair (an emoji, say) or a lone one. */
export const holdsSurrogate = (text: string): boolean => SURROGATE.test(text);

/** Whether `index` falls between the two halves of a surrogate pair of `text`. */
export function splitsSurrogatePair(text: string, index: number): boolean {
  return (
    index > 0 &&
    index < text.length &&
    isHigh(text.charCodeAt(index - 1)) &&
    isLow(text.charCodeAt(index))
  );
}

/** Where `text` holds a surrogate that is not half of a pair, or -1 when it is well-formed. */
export function loneSurrogateIn(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (isHigh(unit) && isLow(text.charCodeAt(i + 1))) i++;
    else if (isHigh(unit) || isLow(unit)) return i;
  }
  return -1;
}

/** Code units of the code point that starts at `index` (2 for a whole pair, else 1). */
const unitsAt = (text: string, index: number) =>
  isHigh(text.charCodeAt(index)) && isLow(text.charCodeAt(index + 1)) ? 2 : 1;

/** Code units of the code point that ends at `index` (2 for a whole pair, else 1). */
const unitsBefore = (text: string, index: number) =>
  index > 1 &&
  isLow(text.charCodeAt(index - 1)) &&
  isHigh(text.charCodeAt(index - 2))
    ? 2
    : 1;

/** The code point that ends at `index`, a surrogate pair read whole. */
const codePointBefore = (text: string, index: number) =>
  unitsBefore(text, index) === 2
    ? text.codePointAt(index - 2)!
    : text.charCodeAt(index - 1);

/**
 * Code points that belong to the character before them: combining marks (é as e +
 * U+0301), variation selectors, skin-tone modifiers, spacing marks and the zero-width
 * joiner of emoji sequences (👩‍👩‍👧).
 */
const JOINS_PREVIOUS = /^[\p{Grapheme_Extend}\p{Emoji_Modifier}\p{Mc}\u200d]/u;
const REGIONAL_INDICATOR = /^\p{Regional_Indicator}/u;
const ZWJ = 0x200d;

/**
 * Whether a splice may end or start at `index` of `text`: never inside a surrogate
 * pair, and, where the two code points around it tell, never inside a user-perceived
 * character: not before a code point that joins the previous one, not after a
 * zero-width joiner, not between the regional indicators of a flag (🇫🇷; a run of
 * flags is kept whole, since which two pair up depends on the whole run), not
 * between CR and LF. Cuts elsewhere are valid Unicode, but a concurrent edit merged
 * around half a cluster would leave a stray accent or half a family on the screen.
 */
function isCut(text: string, index: number): boolean {
  if (index <= 0 || index >= text.length) return true;
  if (splitsSurrogatePair(text, index)) return false;
  const next = String.fromCodePoint(text.codePointAt(index)!);
  const previous = codePointBefore(text, index);
  if (JOINS_PREVIOUS.test(next) || previous === ZWJ) return false;
  if (previous === 0x0d && next === '\n') return false;
  return !(
    REGIONAL_INDICATOR.test(next) &&
    REGIONAL_INDICATOR.test(String.fromCodePoint(previous))
  );
}

/**
 * The smallest edit that turns `before` into `after` and cuts both only between whole
 * characters: the common start and the common end are kept, and each end of the
 * changed part moves outwards to the nearest place that `isCut` allows in both texts.
 * So the edit never splits a surrogate pair (its deleted and inserted parts are
 * well-formed whenever the texts are), and keeps combining sequences, emoji ZWJ
 * sequences and flags whole where its ends touch them. Equal texts give an empty
 * edit (`deleteCount` 0, `insert` '').
 */
export function spliceBetween(
  before: string,
  after: string,
  options: SpliceOptions = {},
): TextSplice {
  const shorter = Math.min(before.length, after.length);
  const caret = Math.min(Math.max(options.caret ?? 0, 0), after.length);
  // What was typed ends at the caret, so it began no later than the caret less what
  // the text grew by: typing a space after a space is the second space, not the first
  // (which matters once someone else's text sits between them).
  const startLimit =
    options.caret === undefined
      ? shorter
      : Math.min(shorter, Math.max(0, caret - (after.length - before.length)));
  let start = 0;
  while (
    start < startLimit &&
    before.charCodeAt(start) === after.charCodeAt(start)
  )
    start++;
  // Within the common start both texts read the same, so one code point back is the
  // same in both.
  while (!(isCut(before, start) && isCut(after, start)))
    start -= unitsBefore(before, start);

  const limit = Math.min(shorter - start, after.length - caret);
  let end = 0;
  while (
    end < limit &&
    before.charCodeAt(before.length - 1 - end) ===
      after.charCodeAt(after.length - 1 - end)
  )
    end++;
  while (!(
    isCut(before, before.length - end) && isCut(after, after.length - end)
  ))
    end -= unitsAt(before, before.length - end);

  return {
    index: start,
    deleteCount: before.length - start - end,
    insert: after.slice(start, after.length - end),
  };
}
