/**
 * Where a line stops being JSON (RFC 8259), and why, in words a person can act on.
 * Engines word `JSON.parse`'s errors each their own way, and not for a file's
 * reader: V8 says "Unterminated string in JSON at position 137 (line 1 column
 * 138)" of a file's line 8, and of "this is not" it names the 'h', where the
 * problem is the word at column 1. Called only once `JSON.parse` has refused a line.
 */

/** Nesting past this is reported, not followed (the check recurses). */
const MAX_DEPTH = 512;

export interface JsonSyntaxError {
  /** 1-based, in UTF-16 code units, as an editor counts columns. */
  column: number;
  problem: string;
}

class Refused {
  constructor(
    readonly at: number,
    readonly problem: string,
  ) {}
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) =>
  isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

/** The first place `text` is not JSON, or undefined where it is. */
export function jsonSyntaxError(text: string): JsonSyntaxError | undefined {
  let i = 0;
  const end = text.length;

  const shown = (at: number) => {
    const code = text.codePointAt(at)!;
    return code < 0x20 || code === 0x7f
      ? `U+${code.toString(16).toUpperCase().padStart(4, '0')}`
      : `“${String.fromCodePoint(code)}”`;
  };
  const refuse = (problem: string, at = i): never => {
    throw new Refused(at, problem);
  };
  const unexpected = (wanted: string): never =>
    i >= end
      ? refuse(`the line ends where ${wanted} should be`)
      : refuse(`${shown(i)} where ${wanted} should be`);
  const space = () => {
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
      i++;
    }
  };

  const string = () => {
    const start = i++;
    for (;;) {
      if (i >= end) refuse('a string that opens there is not closed', start);
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20)
        refuse(`${shown(i)} inside a string: write it as an escape`);
      if (c !== 0x5c) {
        i++;
        continue;
      }
      const escape = text.charCodeAt(i + 1);
      if (escape === 0x75) {
        for (let k = 2; k < 6; k++)
          if (!isHex(text.charCodeAt(i + k)))
            refuse('\\u is not followed by four hex digits');
        i += 6;
      } else if ('"\\/bfnrt'.includes(text[i + 1] ?? '\u0000')) i += 2;
      else refuse(`\\${text[i + 1] ?? ''} is no escape JSON knows`);
    }
  };

  const digits = () => {
    if (!isDigit(text.charCodeAt(i))) unexpected('a digit');
    while (isDigit(text.charCodeAt(i))) i++;
  };
  const number = () => {
    if (text.charCodeAt(i) === 0x2d) i++;
    if (text.charCodeAt(i) === 0x30) i++;
    else digits();
    if (text.charCodeAt(i) === 0x2e) {
      i++;
      digits();
    }
    const e = text.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      i++;
      const sign = text.charCodeAt(i);
      if (sign === 0x2b || sign === 0x2d) i++;
      digits();
    }
  };

  const value = (depth: number): void => {
    space();
    if (depth > MAX_DEPTH) refuse(`nested more than ${MAX_DEPTH} deep`);
    const c = text.charCodeAt(i);
    if (c === 0x7b) return object(depth);
    if (c === 0x5b) return array(depth);
    if (c === 0x22) return string();
    if (c === 0x2d || isDigit(c)) return number();
    for (const word of ['true', 'false', 'null'])
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    // A word: say it whole ("this"), not its first letter JSON did not expect.
    const word = /^[A-Za-z_$][\w$]*/.exec(text.slice(i, i + 40))?.[0];
    if (word)
      refuse(`“${word}” is not a JSON value; strings are in double quotes`);
    unexpected('a value');
  };
  /**
   * An object's or an array's members, from its opening bracket to `close`, each
   * read by `member`, separated by commas.
   */
  const members = (close: '}' | ']', member: () => void) => {
    i++;
    space();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      member();
      space();
      if (text[i] === close) {
        i++;
        return;
      }
      if (text[i] !== ',') unexpected(`“,” or “${close}”`);
      i++;
    }
  };
  const object = (depth: number) =>
    members('}', () => {
      space();
      if (text.charCodeAt(i) !== 0x22) unexpected('a name in double quotes');
      string();
      space();
      if (text.charCodeAt(i) !== 0x3a) unexpected('“:”');
      i++;
      value(depth + 1);
    });
  const array = (depth: number) => members(']', () => value(depth + 1));

  try {
    value(0);
    space();
    if (i < end) refuse(`${shown(i)} after the end of the JSON value`);
    return undefined;
  } catch (error) {
    if (!(error instanceof Refused)) throw error;
    return { column: error.at + 1, problem: error.problem };
  }
}
