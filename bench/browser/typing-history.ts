import { seededRandom } from '../seeded-random.ts';

/** One edit, as a text editor reports it: at `index`, remove `remove` chars, insert `insert`. */
export interface TextEdit {
  index: number;
  remove: number;
  insert: string;
}

const LETTERS = [...'etaoinshrdlucmfwypvbgkjqxz'];

/**
 * A person typing: characters at a cursor, a space or a newline between words, a
 * backspace now and then, and now and then a jump to another place in the text.
 * Deterministic for a seed, so every peer replays the same `count` edits.
 */
export function typingHistory(count: number, seed: number): TextEdit[] {
  if (!Number.isSafeInteger(count) || count < 1)
    throw new RangeError(`an edit history needs 1 or more edits, not ${count}`);
  const random = seededRandom(seed);
  const edits: TextEdit[] = [];
  let length = 0;
  let cursor = 0;
  let word = random.int(2, 9);
  for (let i = 0; i < count; i++) {
    if (length > 0 && random.chance(0.01)) cursor = random.int(0, length);
    if (cursor > 0 && random.chance(0.12)) {
      edits.push({ index: cursor - 1, remove: 1, insert: '' });
      cursor--;
      length--;
      continue;
    }
    let insert: string;
    if (--word > 0) insert = random.pick(LETTERS);
    else {
      insert = random.chance(0.08) ? '\n' : ' ';
      word = random.int(2, 9);
    }
    edits.push({ index: cursor, remove: 0, insert });
    cursor++;
    length++;
  }
  return edits;
}
