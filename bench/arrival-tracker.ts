import type { VersionVector } from '../src/index.ts';
import { raise } from '../src/log/version-vector.ts';
import { now } from './measure.ts';

/**
 * Follows the events `first..last` (by seq) of every writer of a relay benchmark:
 * when each was appended, when the relay held all of them, and when the last client
 * other than its writer stored each. Every writer owns an actor on a fresh log, so a
 * version vector tells exactly which of its events a replica holds: ingest stores an
 * actor's events in seq order, without gaps.
 */
export class ArrivalTracker {
  private readonly startedAt = new Map<string, number[]>();
  private readonly receivedBy = new Map<string, number[]>();
  /** What each client, by its actor, was last seen to hold. */
  private readonly held = new Map<string, VersionVector>();
  private readonly receivers: number;
  private remaining: number;
  private finish!: () => void;
  /** Resolves once every client holds every event followed. */
  readonly converged = new Promise<void>((resolve) => (this.finish = resolve));
  /** When an ack first showed the relay holding every event followed (now() clock). */
  acceptedAt: number | undefined;
  /** ms from each append call to its arrival at the last other client. */
  readonly latencies: number[] = [];

  constructor(
    actors: string[],
    private readonly first: number,
    private readonly last: number,
  ) {
    const count = last - first + 1;
    for (const actor of actors) {
      this.startedAt.set(actor, new Array<number>(count).fill(NaN));
      this.receivedBy.set(actor, new Array<number>(count).fill(0));
      this.held.set(actor, {});
    }
    this.receivers = actors.length - 1;
    this.remaining = actors.length * count;
  }

  /** `actor` is about to append its event `seq`. */
  appending(actor: string, seq: number): void {
    this.startedAt.get(actor)![seq - this.first] = now();
  }

  /** What the relay's acks showed it to hold. */
  private readonly relay: VersionVector = {};

  /**
   * The relay acknowledged a batch, reporting what it holds of the batch's actors
   * (an ack may name only those).
   */
  relayHolds(vector: VersionVector): void {
    if (this.acceptedAt !== undefined) return;
    for (const [actor, seq] of Object.entries(vector))
      raise(this.relay, actor, seq);
    for (const actor of this.startedAt.keys())
      if ((this.relay[actor] ?? 0) < this.last) return;
    this.acceptedAt = now();
  }

  /**
   * The client writing as `client` holds `vector`, read after an ingest: the events
   * of others newer than its previous vector arrived by now.
   */
  clientHolds(client: string, vector: VersionVector): void {
    const at = now();
    const held = this.held.get(client)!;
    for (const actor in vector) {
      const counts = this.receivedBy.get(actor);
      const seq = Math.min(vector[actor]!, this.last);
      const from = Math.max(held[actor] ?? 0, this.first - 1);
      if (!counts || actor === client || seq <= from) continue;
      held[actor] = seq;
      const starts = this.startedAt.get(actor)!;
      for (let s = from + 1; s <= seq; s++) {
        const i = s - this.first;
        if (++counts[i]! < this.receivers) continue;
        this.latencies.push(at - starts[i]!);
        if (--this.remaining === 0) this.finish();
      }
    }
  }
}
