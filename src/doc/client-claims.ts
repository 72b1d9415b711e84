import type { LogEvent } from '../log/types.ts';
import { emptyScan, scanUpdate, type ScannedUpdate } from './update-scan.ts';

/** What is known of one Yjs client id: who began its history, and how far it goes. */
interface Claim {
  /** The actors whose events wrote its clock 0: its first structs. */
  owners: string[];
  /** The clock after the last of its structs folded in so far. */
  end: number;
}

/**
 * Which writers a document's Yjs client ids belong to. Yjs keeps one history per
 * client id and takes the first structs it is given at a clock: another writer's
 * update that goes on with a client's history, at clocks its owner then writes too,
 * is "one id with two histories" (DESIGN §6). Folded in canonical order, where a
 * writer may date an event just after its parents, such an update came before the
 * owner's own and took its place: a token holder's one event made another writer's
 * synced text vanish and the rest scramble on every reload (QA pass 11).
 *
 * So a client's history belongs to the actors whose events began it (wrote its
 * clock 0), and an event that goes on with it from a later clock, writing clocks
 * no event folded yet, is taken only from one of them. A writer who goes on with a
 * history had it in the state it wrote against: its clocks start past the owner's.
 * One who began an id's history without having seen it (concurrently with the
 * owner's first event) began it too, and both go on, colliding where they write the
 * same clocks as before this check; telling which is the owner's needs signed
 * events (QA pass 12 found that an owner-only rule let such an event take the whole
 * id). A tab's early typing carried by another tab's events is the same replica's:
 * the same actor. Clocks an event writes that are folded already (a carried
 * update's, written again by its typist) are no claim of anything.
 */
export class ClientClaims {
  private readonly claims: Map<number, Claim>;
  private readonly scanned: ScannedUpdate = emptyScan();

  constructor(
    entries: Iterable<readonly [number, readonly string[], number]> = [],
  ) {
    this.claims = new Map(
      [...entries].map(([client, owners, end]) => [
        client,
        { owners: [...owners], end },
      ]),
    );
  }

  /** Whether `actor`'s events may write `client`'s clocks past those folded: an owner's, or nobody's yet. */
  mayWrite(client: number, actor: string): boolean {
    const claim = this.claims.get(client);
    return !claim || claim.owners.length === 0 || claim.owners.includes(actor);
  }

  /**
   * Takes `update`, written by `event`'s actor, when every client history it goes on
   * with is that actor's (or begun by it here), and returns its scan (valid until
   * the next call).
   * @throws TypeError naming the event, the client id and its owners; or RangeError
   *   (and what scanUpdate throws) for an update that does not read. Nothing is
   *   claimed then.
   */
  take(
    event: Pick<LogEvent, 'id' | 'actor'>,
    update: Uint8Array,
  ): ScannedUpdate {
    const scan = scanUpdate(update, this.scanned);
    const { claims } = scan;
    for (let i = 0; i < claims.length; i += 3) {
      const [client, from, to] = [claims[i]!, claims[i + 1]!, claims[i + 2]!];
      const claim = this.claims.get(client);
      // Nobody's yet: no event folded so far began it (wrote its clock 0).
      if (!claim || claim.owners.length === 0) continue;
      // Only clocks past those folded are written; from 0, it begins the history.
      const start = Math.max(from, claim.end);
      if (start >= to || start === 0 || claim.owners.includes(event.actor))
        continue;
      throw new TypeError(
        `event ${event.id}: its text goes on with Yjs client ${client}'s history, which ${claim.owners.join(' and ')}'s events began: not folded`,
      );
    }
    for (let i = 0; i < claims.length; i += 3) {
      const [client, from, to] = [claims[i]!, claims[i + 1]!, claims[i + 2]!];
      let claim = this.claims.get(client);
      if (!claim) this.claims.set(client, (claim = { owners: [], end: 0 }));
      if (from === 0 && !claim.owners.includes(event.actor))
        claim.owners.push(event.actor);
      claim.end = Math.max(claim.end, to);
    }
    return scan;
  }

  /** The claims, to keep with a snapshot (structured-cloneable). */
  entries(): [number, string[], number][] {
    return [...this.claims].map(([client, { owners, end }]) => [
      client,
      [...owners],
      end,
    ]);
  }

  /** Claims as a snapshot kept them; undefined for anything else. */
  static read(value: unknown): ClientClaims | undefined {
    if (!Array.isArray(value)) return undefined;
    for (const entry of value)
      if (
        !Array.isArray(entry) ||
        entry.length !== 3 ||
        !Number.isSafeInteger(entry[0]) ||
        !Array.isArray(entry[1]) ||
        !entry[1].every((owner: unknown) => typeof owner === 'string') ||
        !Number.isSafeInteger(entry[2])
      )
        return undefined;
    return new ClientClaims(value as [number, string[], number][]);
  }
}
