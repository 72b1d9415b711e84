/** How many logs may be created, by one client address and by everyone. */
export interface CreationLimits {
  /** Logs one address may create at once (its bucket's size). Default 20. */
  burst?: number;
  /** One more log for an address every this many ms. Default 3 minutes (20 an hour). */
  refillMs?: number;
  /** Logs everyone together may create in one window. Default 200. */
  maxPerWindow?: number;
  /** The window for `maxPerWindow`. Default one hour. */
  windowMs?: number;
}

/** Whether a creation may go ahead; if not, after how many seconds to ask again. */
export type CreationVerdict =
  | { allowed: true }
  | { allowed: false; retryAfterSeconds: number; reason: string };

/** Past this many addresses, buckets that have refilled (idle clients) are forgotten. */
const TRACKED_ADDRESSES = 10_000;

/**
 * Log creation limits: a token bucket per client address, so one client cannot make
 * thousands of logs, and a fixed window over everyone, so many addresses together
 * cannot fill the disk either. The address is the caller's (server/client-address.ts):
 * behind a proxy not named with `--trusted-proxy` every request comes from the
 * proxy's, so the per-address bucket is shared and the window is the bound that matters.
 * @param now the clock (milliseconds); tests pass their own
 */
export function creationLimiter(
  limits: CreationLimits = {},
  now: () => number = Date.now,
): (address: string) => CreationVerdict {
  const burst = limits.burst ?? 20;
  const refillMs = limits.refillMs ?? 3 * 60_000;
  const maxPerWindow = limits.maxPerWindow ?? 200;
  const windowMs = limits.windowMs ?? 60 * 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  let windowStart = now();
  let createdInWindow = 0;

  const refill = (bucket: { tokens: number; at: number }, t: number) => {
    const earned = Math.floor((t - bucket.at) / refillMs);
    if (earned <= 0) return;
    bucket.tokens = Math.min(burst, bucket.tokens + earned);
    bucket.at = bucket.tokens === burst ? t : bucket.at + earned * refillMs;
  };

  const forgetIdle = (t: number) => {
    for (const [address, bucket] of buckets) {
      refill(bucket, t);
      if (bucket.tokens === burst) buckets.delete(address);
    }
    // Every one of them busy: forget them all rather than grow; the window still holds.
    if (buckets.size >= TRACKED_ADDRESSES) buckets.clear();
  };

  return (address) => {
    const t = now();
    if (t - windowStart >= windowMs) {
      windowStart = t;
      createdInWindow = 0;
    }
    if (createdInWindow >= maxPerWindow)
      return {
        allowed: false,
        retryAfterSeconds: Math.ceil((windowStart + windowMs - t) / 1000),
        reason: `this relay has created its ${maxPerWindow} logs for now`,
      };
    if (!buckets.has(address) && buckets.size >= TRACKED_ADDRESSES)
      forgetIdle(t);
    let bucket = buckets.get(address);
    if (!bucket) buckets.set(address, (bucket = { tokens: burst, at: t }));
    refill(bucket, t);
    if (bucket.tokens === 0)
      return {
        allowed: false,
        retryAfterSeconds: Math.ceil((bucket.at + refillMs - t) / 1000),
        reason: 'too many logs created from this address',
      };
    bucket.tokens -= 1;
    createdInWindow += 1;
    return { allowed: true };
  };
}
