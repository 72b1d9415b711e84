import type { EventId, Json, LogEvent } from '../log/types.ts';

export interface RegisterValue {
  id: EventId;
  value: Json;
  author: string;
  time: string;
}

/** A register write, with just the event fields Registers reads: what a snapshot keeps. */
export interface FieldWrite {
  event: Pick<LogEvent, 'id' | 'actor' | 'author' | 'time'>;
  field: string;
  value: Json;
  supersedes: EventId[];
}

/** A field write that replaced two or more concurrent values: a resolved conflict. */
export interface Resolution {
  field: string;
  events: EventId[];
  resolvedBy: EventId;
  /**
   * Other writes that replaced the same values, concurrently with `resolvedBy`
   * (the earliest): the writers resolved it at once, and their values are in
   * conflict in turn. Sorted.
   */
  also: EventId[];
}

/**
 * Multi-value registers. Each write names the values it replaces (those its writer
 * saw), so the state does not depend on the order writes are applied in: the live
 * values of a field are its writes that no known write replaces. Concurrent writes
 * all stay live until one write that saw them all replaces them.
 */
export class Registers {
  private readonly live = new Map<string, Map<EventId, RegisterValue>>();
  private readonly replaced = new Set<EventId>();
  /**
   * A field's conflicts resolved: one per set of values replaced. Two writers who
   * each saw the same values and replaced them at once resolved one conflict (and
   * made another, between their writes): it is listed once, resolved by the
   * earlier of the two (by time, then id, so whatever the order they arrive in),
   * the other named with it (`also`).
   */
  readonly resolutions: Resolution[] = [];
  /** Per field and values replaced: the resolution's index, and its resolvers' (time, id). */
  private readonly resolved = new Map<
    string,
    { at: number; by: { time: string; id: EventId }[] }
  >();
  /** Every write applied, in the order applied: field sets are rare (titles, deletion). */
  readonly writes: FieldWrite[] = [];

  apply(
    event: FieldWrite['event'],
    field: string,
    value: Json,
    supersedes: EventId[],
  ): void {
    const { id, actor, author, time } = event;
    this.writes.push({
      event: { id, actor, time, ...(author !== undefined ? { author } : {}) },
      field,
      value,
      supersedes,
    });
    let values = this.live.get(field);
    if (!values) this.live.set(field, (values = new Map()));
    for (const id of supersedes) {
      this.replaced.add(id);
      values.delete(id);
    }
    if (supersedes.length >= 2) this.resolve(field, supersedes, event);
    if (!this.replaced.has(event.id)) {
      values.set(event.id, {
        id: event.id,
        value,
        author: event.author ?? event.actor,
        time: event.time,
      });
    }
  }

  private resolve(
    field: string,
    supersedes: EventId[],
    { id, time }: FieldWrite['event'],
  ): void {
    const events = [...supersedes].sort();
    const key = `${field}\n${events.join(' ')}`;
    const known = this.resolved.get(key);
    if (known?.by.some((r) => r.id === id)) return;
    const at = known?.at ?? this.resolutions.length;
    const by = [...(known?.by ?? []), { time, id }].sort((p, q) =>
      p.time === q.time ? (p.id < q.id ? -1 : 1) : p.time < q.time ? -1 : 1,
    );
    this.resolved.set(key, { at, by });
    this.resolutions[at] = {
      field,
      events,
      resolvedBy: by[0]!.id,
      also: by
        .slice(1)
        .map((r) => r.id)
        .sort(),
    };
  }

  /** Live values of a field, oldest write first by id for a stable order. */
  values(field: string): RegisterValue[] {
    return [...(this.live.get(field)?.values() ?? [])].sort((a, b) =>
      a.id < b.id ? -1 : 1,
    );
  }

  /** Live value ids of a field: what a new write to it replaces. */
  liveIds(field: string): EventId[] {
    return this.values(field).map((v) => v.id);
  }

  fieldNames(): string[] {
    return [...this.live.keys()]
      .filter((f) => this.live.get(f)!.size > 0)
      .sort();
  }

  clone(): Registers {
    const copy = new Registers();
    for (const [field, values] of this.live)
      copy.live.set(field, new Map(values));
    this.replaced.forEach((id) => copy.replaced.add(id));
    copy.resolutions.push(...this.resolutions);
    this.resolved.forEach((value, key) => copy.resolved.set(key, value));
    copy.writes.push(...this.writes);
    return copy;
  }
}
