const alphabet =
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const lookup = new Int16Array(128).fill(-1);
for (let i = 0; i < alphabet.length; i++) lookup[alphabet.charCodeAt(i)] = i;

const codeOf = new Uint8Array(64);
/** An id's 22 character codes, kept from call to call. */
const idCodes = new Array<number>(22).fill(0);
for (let i = 0; i < alphabet.length; i++) codeOf[i] = alphabet.charCodeAt(i);

/**
 * Characters made into one string at once (a multiple of 4): String.fromCharCode
 * takes them as arguments, and an engine allows only so many.
 */
const PIECE = 8192;
/** The character codes of the piece being made, kept from call to call. */
const codes: number[] = [];

/**
 * RFC 4648 §5 base64url without padding. Identical in Node, workers and pages.
 *
 * Made from character codes in one go, so the string is flat: one made by `+=`
 * is a tree of pieces, which every Map look-up and comparison of it flattens
 * first (an event id is one, made for every event read from a segment; reading
 * and folding 260k events spent ~0.4 s making and flattening them).
 */
export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += (PIECE / 4) * 3)
    out += piece(bytes, i, Math.min(bytes.length, i + (PIECE / 4) * 3));
  return out;
}

/** bytes[from, to) in base64url; `from` starts a group of three. */
function piece(bytes: Uint8Array, from: number, to: number): string {
  const whole = to - ((to - from) % 3);
  codes.length = ((whole - from) / 3) * 4 + [0, 2, 3][to - whole]!;
  let o = 0;
  let i = from;
  for (; i < whole; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    codes[o++] = codeOf[n >> 18]!;
    codes[o++] = codeOf[(n >> 12) & 63]!;
    codes[o++] = codeOf[(n >> 6) & 63]!;
    codes[o++] = codeOf[n & 63]!;
  }
  if (i < to) {
    const n = (bytes[i]! << 16) | (i + 1 < to ? bytes[i + 1]! << 8 : 0);
    codes[o] = codeOf[n >> 18]!;
    codes[o + 1] = codeOf[(n >> 12) & 63]!;
    if (i + 1 < to) codes[o + 2] = codeOf[(n >> 6) & 63]!;
  }
  return String.fromCharCode.apply(null, codes);
}

/**
 * The 16 bytes at `at` in base64url (22 characters): an event id, one made for
 * every event read from a segment. The same text as `toBase64Url` of those bytes,
 * made with no view of them and named arguments, as `isoOf` and `formatHlc` are
 * (`subarray` and `apply` were two thirds of the time a segment's ids took).
 */
export function sixteenToBase64Url(bytes: Uint8Array, at: number): string {
  const c = idCodes;
  for (let g = 0; g < 5; g++) {
    const i = at + 3 * g;
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    c[4 * g] = codeOf[n >> 18]!;
    c[4 * g + 1] = codeOf[(n >> 12) & 63]!;
    c[4 * g + 2] = codeOf[(n >> 6) & 63]!;
    c[4 * g + 3] = codeOf[n & 63]!;
  }
  const last = bytes[at + 15]!;
  c[20] = codeOf[last >> 2]!;
  c[21] = codeOf[(last & 3) << 4]!;
  // prettier-ignore
  return String.fromCharCode(
    c[0]!, c[1]!, c[2]!, c[3]!, c[4]!, c[5]!, c[6]!, c[7]!, c[8]!, c[9]!, c[10]!,
    c[11]!, c[12]!, c[13]!, c[14]!, c[15]!, c[16]!, c[17]!, c[18]!, c[19]!,
    c[20]!, c[21]!,
  );
}

/**
 * Decodes unpadded base64url; also accepts standard base64 with padding, as
 * CloudEvents `data_base64` uses. Only the canonical spelling of some bytes is
 * accepted (RFC 4648 §3.5: unused bits zero, padding complete when present), so
 * one content never has two encodings.
 * @throws TypeError naming the first bad character, or why the text is not canonical.
 */
export function fromBase64Url(text: string): Uint8Array {
  const unpadded = text.replace(/={1,2}$/, '');
  if (unpadded.length !== text.length && text.length % 4 !== 0)
    throw new TypeError('base64 text has incomplete padding');
  const clean = unpadded.replace(/\+/g, '-').replace(/\//g, '_');
  if (clean.length % 4 === 1)
    throw new TypeError('base64 text has an impossible length');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  const decoded = decodeInto(clean, out);
  if (decoded === UNUSED_BITS_SET)
    throw new TypeError('base64 text has unused bits that are not zero');
  if (decoded !== DECODED)
    throw new TypeError(`base64 text has a bad character at offset ${decoded}`);
  return out;
}

const DECODED = -1;
const UNUSED_BITS_SET = -2;

/**
 * Decodes base64url `text` into `out` (which it fills when `text` is as long as
 * `out` needs): DECODED, UNUSED_BITS_SET when the last character's unused bits are
 * not zero, or the offset of the first character not of the alphabet.
 */
function decodeInto(text: string, out: Uint8Array): number {
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const v = code < 128 ? lookup[code]! : -1;
    if (v < 0) return i;
    acc = ((acc << 6) | v) & 0xfff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return (acc & ((1 << bits) - 1)) === 0 ? DECODED : UNUSED_BITS_SET;
}

/**
 * Decodes unpadded base64url into `out`, which it fills exactly, with no allocation
 * (a walk through the history looks up thousands of ids). False unless `text` is the
 * canonical spelling of `out.length` bytes, as `fromBase64Url` would accept it.
 */
export function decodeBase64UrlInto(text: string, out: Uint8Array): boolean {
  return (
    text.length === Math.ceil((out.length * 4) / 3) &&
    decodeInto(text, out) === DECODED
  );
}

/** Standard base64 with padding, as CloudEvents `data_base64` carries bytes. */
export function toBase64(bytes: Uint8Array): string {
  const url = toBase64Url(bytes).replace(/-/g, '+').replace(/_/g, '/');
  return url + '='.repeat((4 - (url.length % 4)) % 4);
}
