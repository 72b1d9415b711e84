/**
 * SHA-256 (FIPS 180-4) for short inputs, allocation-free: event ids hash one
 * ~200-byte preimage per event, where a general-purpose hasher's per-call setup
 * (buffers, DataViews) costs as much as the compression itself. Verified against
 * node:crypto on random inputs of every length around the block boundaries
 * (test/unit/sha256.test.ts).
 *
 * Words live in Int32Arrays: V8 keeps their values as small integers, where a
 * Uint32Array's values above 2^31 become doubles (~15 % slower overall).
 */
// The constants of FIPS 180-4 §4.2.2 and §5.3.3, derived as the standard defines
// them rather than spelled out (a sixth of this module's shipped size): the first
// 32 bits of the fractional parts of the cube roots of the first 64 primes, and of
// the square roots of the first 8. Math.cbrt need not be correctly rounded, but
// no root here has its 32nd fractional bit within 2^-39 of flipping, while a
// double's error is ~2^-50: a thousand-fold margin in any engine. The tests
// compare every digest with node:crypto.
const PRIMES: number[] = [];
for (let n = 2; PRIMES.length < 64; n++)
  if (PRIMES.every((p) => n % p)) PRIMES.push(n);
const fraction32 = (x: number) => ((x % 1) * 2 ** 32) | 0;
const K = Int32Array.from(PRIMES, (p) => fraction32(Math.cbrt(p)));
const INITIAL = PRIMES.slice(0, 8).map((p) => fraction32(Math.sqrt(p)));

const W = new Int32Array(64);
const H = new Int32Array(8);
const tail = new Uint8Array(128);

function compress(block: Uint8Array, offset: number): void {
  for (let i = 0; i < 16; i++) {
    const j = offset + i * 4;
    W[i] =
      (block[j]! << 24) |
      (block[j + 1]! << 16) |
      (block[j + 2]! << 8) |
      block[j + 3]!;
  }
  for (let i = 16; i < 64; i++) {
    const w15 = W[i - 15]!;
    const w2 = W[i - 2]!;
    const s0 =
      ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 =
      ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
  }
  let a = H[0]!,
    b = H[1]!,
    c = H[2]!,
    d = H[3]!,
    e = H[4]!,
    f = H[5]!,
    g = H[6]!,
    h = H[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 =
      ((e >>> 6) | (e << 26)) ^
      ((e >>> 11) | (e << 21)) ^
      ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
    const S0 =
      ((a >>> 2) | (a << 30)) ^
      ((a >>> 13) | (a << 19)) ^
      ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  H[0] = (H[0]! + a) | 0;
  H[1] = (H[1]! + b) | 0;
  H[2] = (H[2]! + c) | 0;
  H[3] = (H[3]! + d) | 0;
  H[4] = (H[4]! + e) | 0;
  H[5] = (H[5]! + f) | 0;
  H[6] = (H[6]! + g) | 0;
  H[7] = (H[7]! + h) | 0;
}

/** SHA-256 of `data[0..length)`, written into `out` (32 bytes). */
export function sha256Into(
  data: Uint8Array,
  length: number,
  out: Uint8Array,
): Uint8Array {
  H.set(INITIAL);
  const full = length - (length % 64);
  for (let offset = 0; offset < full; offset += 64) compress(data, offset);
  const rest = length - full;
  tail.fill(0);
  tail.set(data.subarray(full, length));
  tail[rest] = 0x80;
  const blocks = rest < 56 ? 1 : 2;
  const bits = length * 8;
  const end = blocks * 64;
  // Bit length as a 64-bit big-endian integer; inputs here are far below 2^53 bits.
  const high = Math.floor(bits / 0x100000000);
  tail[end - 8] = high >>> 24;
  tail[end - 7] = high >>> 16;
  tail[end - 6] = high >>> 8;
  tail[end - 5] = high;
  tail[end - 4] = bits >>> 24;
  tail[end - 3] = bits >>> 16;
  tail[end - 2] = bits >>> 8;
  tail[end - 1] = bits;
  compress(tail, 0);
  if (blocks === 2) compress(tail, 64);
  for (let i = 0; i < 8; i++) {
    const v = H[i]!;
    out[i * 4] = v >>> 24;
    out[i * 4 + 1] = v >>> 16;
    out[i * 4 + 2] = v >>> 8;
    out[i * 4 + 3] = v;
  }
  return out;
}

/** SHA-256 of `data`, as a new 32-byte array. */
export function sha256(data: Uint8Array): Uint8Array {
  return sha256Into(data, data.length, new Uint8Array(32));
}
