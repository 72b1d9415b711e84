/**
 * A token bucket: `rate` tokens a second, at most `burst` saved up. Taking more than
 * there are leaves a debt that time pays back.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes `n` tokens; returns how many ms until the bucket is out of debt (0: it is not). */
  take(n: number): number {
    this.owed();
    this.tokens -= n;
    return this.owed();
  }

  /** How many ms until the bucket is out of debt (0: it is not). */
  owed(): number {
    const now = this.now();
    this.tokens = Math.min(
      this.burst,
      this.tokens + (Math.max(0, now - this.last) / 1000) * this.rate,
    );
    this.last = now;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.rate) * 1000);
  }
}

/**
 * Bytes received and not yet handled, over every connection. Past `max`, connections
 * stop reading; each is told when the total drops back so it can read again.
 */
export class ByteBudget {
  private used = 0;
  private highest = 0;
  private readonly waiting = new Set<() => void>();

  constructor(private readonly max: number) {}

  get bytes(): number {
    return this.used;
  }

  /** The most ever held at once. */
  get peak(): number {
    return this.highest;
  }

  get exhausted(): boolean {
    return this.used > this.max;
  }

  add(n: number): void {
    this.used += n;
    this.highest = Math.max(this.highest, this.used);
  }

  release(n: number): void {
    const was = this.exhausted;
    this.used -= n;
    if (was && !this.exhausted) for (const wake of this.waiting) wake();
  }

  /** Calls `wake` whenever the budget has room again, until the returned function is called. */
  onRoom(wake: () => void): () => void {
    this.waiting.add(wake);
    return () => this.waiting.delete(wake);
  }
}

/** Open connections, overall and per remote address, against their caps. */
export class ConnectionCount {
  private total = 0;
  private readonly byAddress = new Map<string, number>();

  constructor(
    private readonly max: number,
    private readonly maxPerAddress: number,
  ) {}

  get size(): number {
    return this.total;
  }

  /** Counts a new connection from `address`, or says why it cannot be admitted. */
  admit(address: string): string | undefined {
    if (this.total >= this.max)
      return `the relay holds its maximum of ${this.max} connections`;
    const mine = this.byAddress.get(address) ?? 0;
    if (mine >= this.maxPerAddress)
      return `${address} holds the maximum of ${this.maxPerAddress} connections per address`;
    this.total++;
    this.byAddress.set(address, mine + 1);
    return undefined;
  }

  release(address: string): void {
    this.total--;
    const left = (this.byAddress.get(address) ?? 1) - 1;
    if (left > 0) this.byAddress.set(address, left);
    else this.byAddress.delete(address);
  }
}
