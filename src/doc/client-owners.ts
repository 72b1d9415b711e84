/**
 * Who typed each Yjs client's text. A tab's typing shown early in another tab may
 * be carried by that other tab's events too (src/ui/typing-share.ts), but only with
 * typing of the carrier's own, never alone; a tab that stores the typing of one
 * that went before storing it writes it under the typist's label, as the typist's.
 * So a writer one of whose events held a client's text alone typed it. (Not so for
 * a paste too large to carry beside the carrier's own typing, which goes in events
 * of its own under the carrier's label: a limit.) Failing that (every event that
 * held it also built on another tab's text), the writer whose events held the most
 * of it; of equals, the first seen. Counting first went wrong under load: a tab's
 * first event held two characters of its sentence, the other tab's carried all of
 * it, and its next event lay past the comparison, so the carrier "held more" and
 * was named. Attribution goes by Yjs client, never by which event carried an update.
 */
export class ClientOwners {
  /** Per client, per writer: how much of the client's text their events held. */
  private readonly held = new Map<number, Map<string, number>>();
  /** `${client}\n${writer}`: an event of the writer held that client's text alone. */
  private readonly alone = new Set<string>();
  /** Owners worked out since their client's last `hold`. */
  private readonly known = new Map<number, string>();

  /** An event of `writer` held `span` clocks of `client`'s text (`alone`: no other client's). */
  hold(client: number, writer: string, span: number, alone: boolean): void {
    let byWriter = this.held.get(client);
    if (!byWriter) this.held.set(client, (byWriter = new Map()));
    byWriter.set(writer, (byWriter.get(writer) ?? 0) + span);
    if (alone) this.alone.add(`${client}\n${writer}`);
    this.known.delete(client);
  }

  /** The writer who typed `client`'s text, if any event held it. */
  owner(client: number): string | undefined {
    const known = this.known.get(client);
    if (known !== undefined) return known;
    const byWriter = this.held.get(client);
    if (!byWriter) return undefined;
    let best: [string, number] | undefined;
    for (const [writer, span] of byWriter) {
      const alone = this.alone.has(`${client}\n${writer}`);
      // Alone outranks any amount held: spans are counts of characters.
      const rank = (alone ? Number.MAX_SAFE_INTEGER / 2 : 0) + span;
      if (!best || rank > best[1]) best = [writer, rank];
    }
    this.known.set(client, best![0]);
    return best![0];
  }

  /**
   * The writer who typed `client`'s text, when one of their events held it alone:
   * known for sure, not the best guess `owner` falls back on while a tab's own
   * events have not arrived yet and only another tab's carried its typing.
   */
  typist(client: number): string | undefined {
    const owner = this.owner(client);
    return owner !== undefined && this.alone.has(`${client}\n${owner}`)
      ? owner
      : undefined;
  }

  /** The parts, to keep as a snapshot's state (structured-cloneable). */
  toJSON(): { held: [number, [string, number][]][]; alone: string[] } {
    return {
      held: [...this.held].map(([c, w]) => [c, [...w]]),
      alone: [...this.alone],
    };
  }

  static from(parts: ReturnType<ClientOwners['toJSON']>): ClientOwners {
    const owners = new ClientOwners();
    for (const [client, writers] of parts.held)
      owners.held.set(client, new Map(writers));
    for (const key of parts.alone) owners.alone.add(key);
    return owners;
  }
}
