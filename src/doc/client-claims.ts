import type { LogEvent } from '../log/types.ts';
import { emptyScan, scanUpdate, type ScannedUpdate } from './update-scan.ts';

/**
 * Which writer's events a document's Yjs client ids belong to. Yjs keeps one history
 * per client id and takes the first structs it is given at a clock: another writer's
 * update under a client id already in use, at clocks its owner then writes too, is
 * "one id with two histories" (DESIGN §6). Folded in canonical order, where a writer
 * may date an event just after its parents, such an update came before the owner's
 * own and took its place: a token holder's one event made another writer's synced
 * text vanish and the rest scramble on every reload (QA pass 11).
 *
 * So a client id belongs to the actor whose event first wrote under it, in the
 * order the fold takes events (canonical order: an event's ancestors always before
 * it), and another actor's event that writes under it is not folded. A tab's early
 * typing carried by another tab's events is the same replica's, the same actor.
 * Whoever writes under a new id owns it, so an event concurrent with the owner's
 * first (not built on it) can still claim an id first; what it can no longer do is
 * write into a history it has seen.
 */
export class ClientClaims {
  private readonly owners: Map<number, string>;
  private readonly scanned: ScannedUpdate = emptyScan();

  constructor(entries: Iterable<readonly [number, string]> = []) {
    this.owners = new Map(entries);
  }

  /** The actor whose events write under `client`, if any has. */
  ownerOf(client: number): string | undefined {
    return this.owners.get(client);
  }

  /**
   * Takes `update`, written by `event`'s actor, when every client id it writes under
   * is that actor's or nobody's yet (those become the actor's), and returns its scan
   * (valid until the next call).
   * @throws TypeError naming the event, the client id and its owner; or RangeError
   *   (and what scanUpdate throws) for an update that does not read. Nothing is
   *   claimed then.
   */
  take(
    event: Pick<LogEvent, 'id' | 'actor'>,
    update: Uint8Array,
  ): ScannedUpdate {
    const scan = scanUpdate(update, this.scanned);
    for (const client of scan.claims) {
      const owner = this.owners.get(client);
      if (owner !== undefined && owner !== event.actor)
        throw new TypeError(
          `event ${event.id}: its text is written under Yjs client ${client}, which is ${owner}'s: not folded`,
        );
    }
    for (const client of scan.claims)
      if (!this.owners.has(client)) this.owners.set(client, event.actor);
    return scan;
  }

  /** The claims, to keep with a snapshot (structured-cloneable). */
  entries(): [number, string][] {
    return [...this.owners];
  }

  /** Claims as a snapshot kept them; undefined for anything else. */
  static read(value: unknown): ClientClaims | undefined {
    if (!Array.isArray(value)) return undefined;
    for (const entry of value)
      if (
        !Array.isArray(entry) ||
        entry.length !== 2 ||
        !Number.isSafeInteger(entry[0]) ||
        typeof entry[1] !== 'string'
      )
        return undefined;
    return new ClientClaims(value as [number, string][]);
  }
}
