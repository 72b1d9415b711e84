/**
 * A Map that keeps its most recent entries within a budget (a count, or a size
 * such as bytes, from `cost`): the first put in leave first. Entries leave only so.
 *
 * The order is a queue beside the Map, not the Map's own. A Map keeps a deleted
 * entry's slot until it is rehashed, so taking the oldest by iterating it from its
 * start (`keys().next()`) walks past every entry deleted since: with 50,000 entries
 * kept, each new one cost 8–34 µs, against 0.3 µs so (Node 20).
 */
export class RecentMap<K, V> {
  private readonly map = new Map<K, V>();
  /** Keys in the order they were put in, from `oldest`; those before it are gone. */
  private order: (K | undefined)[] = [];
  private oldest = 0;
  private used = 0;

  constructor(
    private readonly budget: number,
    private readonly cost: (value: V) => number = () => 1,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  /**
   * Keeps `value` under `key`, then lets the oldest entries go until the budget
   * holds (the new one too, if its cost alone is over it). A key already kept
   * keeps its place, with the new value.
   */
  set(key: K, value: V): void {
    const old = this.map.get(key);
    if (old !== undefined) this.used -= this.cost(old);
    else this.order.push(key);
    this.map.set(key, value);
    this.used += this.cost(value);
    while (this.used > this.budget && this.oldest < this.order.length) {
      const gone = this.order[this.oldest]!;
      this.order[this.oldest++] = undefined;
      this.used -= this.cost(this.map.get(gone)!);
      this.map.delete(gone);
    }
    // The passed part of the queue, cut once it is most of it: O(1) a set, amortised.
    if (this.oldest > 1024 && 2 * this.oldest > this.order.length) {
      this.order = this.order.slice(this.oldest);
      this.oldest = 0;
    }
  }
}
