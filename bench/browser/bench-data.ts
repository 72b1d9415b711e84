import type { BenchData } from './protocol.ts';

export const EVENT_TYPE = 'bench.appended';
const TEXT_LENGTH = 80;
const ALPHABET =
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * ~100 bytes of JSON (`{"n":…,"text":"…80 chars…"}`). Random text, because
 * Chromium compresses IndexedDB values and repeated characters would shrink to
 * nothing.
 */
export function benchData(n: number): BenchData {
  const bytes = crypto.getRandomValues(new Uint8Array(TEXT_LENGTH));
  let text = '';
  for (const byte of bytes) text += ALPHABET[byte & 63];
  return { n, text };
}

/** `total` events in batches of `batch`, made before any timing starts. */
export function benchBatches(
  batch: number,
  total: number,
): { type: string; data: BenchData }[][] {
  const batches = [];
  for (let n = 0; n < total; n += batch) {
    const size = Math.min(batch, total - n);
    batches.push(
      Array.from({ length: size }, (_, i) => ({
        type: EVENT_TYPE,
        data: benchData(n + i),
      })),
    );
  }
  return batches;
}

/**
 * Milliseconds on a clock every page of the browser shares: each page's
 * performance.now() counts from its own timeOrigin, the sum from the epoch, with
 * performance.now()'s resolution (Chromium: 0.1 ms, 5 µs when cross-origin isolated).
 */
export const sharedClock = (): number =>
  performance.timeOrigin + performance.now();

/** Rejects after `ms` so a lost message fails the run instead of hanging it. */
export function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no answer after ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
