import { firstAbove } from '../log/sorted.ts';

/**
 * Clock ranges per Yjs client (a writer's deletions, or what the fork point had
 * deleted), sorted and merged once filled, so that a run of an item is answered at
 * once: whether a clock is in a range, and where that answer next changes.
 */
export class ClockRanges {
  private readonly raw = new Map<number, [from: number, to: number][]>();
  /** Per client, merged range bounds: from, to, from, to, … ascending. */
  private readonly bounds = new Map<number, number[]>();

  add(client: number, from: number, to: number): void {
    let list = this.raw.get(client);
    if (!list) this.raw.set(client, (list = []));
    list.push([from, to]);
    this.bounds.delete(client);
  }

  /** Whether `clock` of `client` is in a range, and the first clock after it where that changes. */
  at(client: number, clock: number): [inside: boolean, until: number] {
    const bounds = this.boundsOf(client);
    // The first bound above `clock`: inside a range when it is a range's end.
    const low = firstAbove(bounds, clock);
    return [low % 2 === 1, bounds[low] ?? Infinity];
  }

  private boundsOf(client: number): number[] {
    let bounds = this.bounds.get(client);
    if (bounds) return bounds;
    bounds = [];
    const list = (this.raw.get(client) ?? []).sort((a, b) => a[0] - b[0]);
    for (const [from, to] of list) {
      if (bounds.length > 0 && from <= bounds[bounds.length - 1]!)
        bounds[bounds.length - 1] = Math.max(bounds[bounds.length - 1]!, to);
      else bounds.push(from, to);
    }
    this.bounds.set(client, bounds);
    return bounds;
  }
}
