/** A run of a diff: text both sides have, or only the new one, or only the old one. */
export interface DiffPart {
  kind: 'same' | 'added' | 'removed';
  text: string;
}

/** Edits (code points added or removed) a diff looks for before it gives up on detail. */
export const MAX_DIFF_EDITS = 2000;

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/**
 * What changed from `before` to `after`, as runs of kept, added and removed text
 * (Myers' O(ND) shortest edit script over code points, after the common prefix and
 * suffix). A side of a conflict is a few edits against its fork point, so this costs
 * about the length of the text. Past `maxEdits` it reports the differing middle as
 * one removal and one addition rather than take quadratic time.
 */
export function diffText(
  before: string,
  after: string,
  maxEdits = MAX_DIFF_EDITS,
): DiffPart[] {
  const shorter = Math.min(before.length, after.length);
  let start = 0;
  while (
    start < shorter &&
    before.charCodeAt(start) === after.charCodeAt(start)
  )
    start++;
  // Never split a surrogate pair between a kept run and a changed one.
  if (start > 0 && isHigh(before.charCodeAt(start - 1))) start--;
  let end = 0;
  while (
    end < shorter - start &&
    before.charCodeAt(before.length - 1 - end) ===
      after.charCodeAt(after.length - 1 - end)
  )
    end++;
  if (end > 0 && isLow(before.charCodeAt(before.length - end))) end--;
  const a = Array.from(before.slice(start, before.length - end));
  const b = Array.from(after.slice(start, after.length - end));
  const middle = shortestEdit(a, b, maxEdits) ?? [
    { kind: 'removed' as const, text: a.join('') },
    { kind: 'added' as const, text: b.join('') },
  ];
  return joined([
    { kind: 'same', text: before.slice(0, start) },
    ...middle,
    { kind: 'same', text: before.slice(before.length - end) },
  ]);
}

/** Adjacent runs of a kind as one, empty ones dropped. */
function joined(parts: DiffPart[]): DiffPart[] {
  const out: DiffPart[] = [];
  for (const part of parts) {
    if (part.text === '') continue;
    const last = out[out.length - 1];
    if (last?.kind === part.kind) last.text += part.text;
    else out.push({ ...part });
  }
  return out;
}

function shortestEdit(
  a: string[],
  b: string[],
  max: number,
): DiffPart[] | undefined {
  const n = a.length;
  const m = b.length;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  // trace[d]: v over diagonals -d-1 … d+1 as round d found it.
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!)
          ? v[offset + k + 1]!
          : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(a, b, trace, d);
    }
  }
  return undefined;
}

function backtrack(
  a: string[],
  b: string[],
  trace: Int32Array[],
  edits: number,
): DiffPart[] {
  const reversed: DiffPart[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = edits; d > 0; d--) {
    const before = trace[d]!;
    const at = (k: number) => before[k + d + 1]!;
    const k = x - y;
    const prevK =
      k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    // The snake this round ended with, then the one edit that led to it.
    for (; x > prevX && y > prevY; y--)
      reversed.push({ kind: 'same', text: a[--x]! });
    if (x === prevX) reversed.push({ kind: 'added', text: b[--y]! });
    else reversed.push({ kind: 'removed', text: a[--x]! });
  }
  while (x > 0) reversed.push({ kind: 'same', text: a[--x]! });
  return joined(reversed.reverse());
}
