import { InvalidQueryError } from './errors.ts';
import { timeOf } from './event-time.ts';
import { isRfc3339 } from './validate.ts';
import type { LogEvent, VersionVector } from './types.ts';
import { copyVector } from './version-vector.ts';

/** Which events a subscription, a query or a projection wants (DESIGN §11). */
export interface EventFilter {
  /** Streams whose name starts with this. */
  streams?: string;
  /** Events of these types. */
  types?: string[];
  /** Events written by this replica id. */
  actor?: string;
  /** Events by this author (an event without one is its actor's). */
  author?: string;
  /** Written at or after this RFC 3339 time. */
  from?: string;
  /** Written at or before this RFC 3339 time. */
  to?: string;
}

/** Who wrote an event, as people see it: its author, else its replica. */
export const authorOf = (event: LogEvent): string =>
  event.author ?? event.actor;

/**
 * The filter, checked: only the `allowed` fields, each of the right shape.
 * @throws InvalidQueryError naming the option and what is wrong with it.
 */
export function checkEventFilter(
  filter: unknown,
  allowed: readonly (keyof EventFilter)[],
): EventFilter {
  if (filter === undefined) return {};
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter))
    throw new InvalidQueryError('filter', 'must be an object');
  const f = filter as Record<string, unknown>;
  const out: EventFilter = {};
  for (const key of allowed) {
    const value = f[key];
    if (value === undefined) continue;
    if (key === 'types') {
      if (!Array.isArray(value) || !value.every((t) => typeof t === 'string'))
        throw new InvalidQueryError('types', 'must be an array of strings');
      out.types = [...(value as string[])];
    } else if (typeof value !== 'string') {
      throw new InvalidQueryError(key, 'must be a string');
    } else if ((key === 'from' || key === 'to') && !isRfc3339(value)) {
      throw new InvalidQueryError(
        key,
        `${JSON.stringify(value).slice(0, 60)} is not an RFC 3339 date-time`,
      );
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** A test of one event against a checked filter. */
export function matcherOf(filter: EventFilter): (event: LogEvent) => boolean {
  const types = filter.types ? new Set(filter.types) : undefined;
  const from = filter.from === undefined ? -Infinity : Date.parse(filter.from);
  const to = filter.to === undefined ? Infinity : Date.parse(filter.to);
  const timed = filter.from !== undefined || filter.to !== undefined;
  return (event) => {
    if (
      filter.streams !== undefined &&
      !event.stream.startsWith(filter.streams)
    )
      return false;
    if (types && !types.has(event.type)) return false;
    if (filter.actor !== undefined && event.actor !== filter.actor)
      return false;
    if (filter.author !== undefined && authorOf(event) !== filter.author)
      return false;
    if (timed) {
      const at = timeOf(event.time);
      if (!(at >= from && at <= to)) return false;
    }
    return true;
  };
}

/**
 * A subscriber's `from`: 'now', or a version vector of safe non-negative integer
 * seqs, copied (a vector from elsewhere is read through its own entries only).
 * @throws InvalidQueryError
 */
export function checkFrom(from: unknown): VersionVector | 'now' {
  if (from === 'now') return from;
  if (typeof from !== 'object' || from === null || Array.isArray(from))
    throw new InvalidQueryError('from', "must be a version vector or 'now'");
  for (const [actor, seq] of Object.entries(from))
    if (!Number.isSafeInteger(seq) || (seq as number) < 0)
      throw new InvalidQueryError(
        `from[${JSON.stringify(actor)}]`,
        'must be a whole number of 0 or more',
      );
  return copyVector(from as VersionVector);
}
