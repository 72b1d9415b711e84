import type { ErrorCode } from './error-codes.ts';
import type { EventId } from './types.ts';

/**
 * Every error the log throws on purpose. `code` is stable; `name` carries the
 * class name so it survives Comlink, which clones only name, message and stack.
 */
export abstract class ForklineError extends Error {
  /** One of ERROR_CODES (./error-codes.ts), where every code is listed with its meaning. */
  abstract readonly code: ErrorCode;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A `reject`-policy stream moved on since the writer looked. */
export class WrongExpectedHeadsError extends ForklineError {
  readonly code = 'WRONG_EXPECTED_HEADS';
  constructor(
    readonly stream: string,
    readonly expected: EventId[] | 'no-stream',
    readonly actual: EventId[],
  ) {
    super(
      `Stream "${stream}" has moved on: expected ${describeHeads(expected)}, ` +
        `but its heads are ${describeHeads(actual)}. Read the stream again and retry.`,
    );
  }
}

/** `expected: 'stream-exists'` on a stream with no events. */
export class StreamNotFoundError extends ForklineError {
  readonly code = 'STREAM_NOT_FOUND';
  constructor(readonly stream: string) {
    super(
      `Stream "${stream}" has no events, but the append expected it to exist.`,
    );
  }
}

/** An id given as expected heads or `at` that this replica does not hold in that stream. */
export class UnknownEventError extends ForklineError {
  readonly code = 'UNKNOWN_EVENT';
  constructor(
    readonly id: EventId,
    readonly stream: string,
  ) {
    super(`Event ${id} is not stored in stream "${stream}" on this replica.`);
  }
}

/** Malformed input: says which field, why, and which event (by id or batch index). */
export class InvalidEventError extends ForklineError {
  readonly code = 'INVALID_EVENT';
  constructor(
    readonly field: string,
    readonly reason: string,
    readonly where: { id?: EventId; index?: number } = {},
  ) {
    super(`Invalid ${field}${describeWhere(where)}: ${reason}.`);
  }
}

/** The event's content does not hash to the id it claims (forged or corrupted). */
export class IdMismatchError extends ForklineError {
  readonly code = 'ID_MISMATCH';
  constructor(
    readonly id: EventId,
    readonly computed: EventId,
    /** Where in the batch, when it came in one. */
    readonly index?: number,
  ) {
    super(
      `Event ${id} fails verification: its content hashes to ${computed}. ` +
        'It was altered or forged; nothing was stored.',
    );
  }
}

/** Causal delivery: a parent or the actor's previous event is neither stored nor in the batch. */
export class MissingDependencyError extends ForklineError {
  readonly code = 'MISSING_DEPENDENCY';
  constructor(
    readonly id: EventId,
    readonly missingParents: EventId[],
    readonly missingSeq: { actor: string; seq: number } | undefined,
  ) {
    const parts = [];
    if (missingParents.length)
      parts.push(`parents ${missingParents.join(', ')}`);
    if (missingSeq)
      parts.push(`seq ${missingSeq.seq} of actor ${missingSeq.actor}`);
    super(
      `Event ${id} cannot be stored before ${parts.join(' and ')}. ` +
        'Send the missing events in the same batch or first; nothing was stored.',
    );
  }
}

/**
 * An actor fork (DESIGN §3): event `id` claims (actor, seq), but this replica holds
 * another event there (`existing`), or the actor is this replica's own and it never
 * wrote `id`. Someone else writes under that actor id, by accident or to push the
 * real writer's events out. When the actor was this replica's own, the log has
 * already taken `freshActor` for its next events.
 */
export class ActorForkError extends ForklineError {
  readonly code = 'ACTOR_FORK';
  constructor(
    /** The incoming event. */
    readonly id: EventId,
    readonly actor: string,
    readonly seq: number,
    /** The event this replica holds at (actor, seq), if it holds one. */
    readonly existing?: EventId,
    /** Set when the forked actor was this replica's own. */
    readonly freshActor?: string,
  ) {
    super(
      `Actor fork: event ${id} claims seq ${seq} of actor ${actor}, ` +
        (existing
          ? `but this replica holds ${existing} there.`
          : 'which is this replica and never wrote it.') +
        (freshActor
          ? ` This replica now writes as ${freshActor}.`
          : ' Each replica needs its own actor id.') +
        ' Nothing of the batch was stored.',
    );
  }
}

/** The name this error had before actor forks carried both ids. */
export { ActorForkError as SeqConflictError };

/**
 * An event stamped more than MAX_CLOCK_DRIFT ahead of this replica's wall clock:
 * accepting it would drag every later local timestamp along (DESIGN §3).
 */
export class ClockDriftError extends ForklineError {
  readonly code = 'CLOCK_DRIFT';
  constructor(
    readonly id: EventId,
    readonly hlc: string,
    /** The greatest HLC this replica accepts now. */
    readonly limit: string,
    /** Where in the batch, when it came in one. */
    readonly index?: number,
  ) {
    super(
      `Event ${id} is stamped ${hlc} (${timeOfHlc(hlc)}), ${aheadBy(hlc, limit)} ` +
        `ahead of this replica's clock, which accepts an hour at most (up to ${limit}). ` +
        `Check the writer's clock; nothing was stored.`,
    );
  }
}

/** No HLC is left after `hlc`: the 12 + 4 hex digit format ends there. */
export class ClockExhaustedError extends ForklineError {
  readonly code = 'CLOCK_EXHAUSTED';
  constructor(readonly hlc: string) {
    super(
      `No timestamp follows ${hlc}: the clock format ends there. An event stored with ` +
        'such a clock (before clocks were bounded) cannot be built on; write in another stream.',
    );
  }
}

/** The log was used after `close()`. */
export class LogClosedError extends ForklineError {
  readonly code = 'LOG_CLOSED';
  constructor() {
    super('The log is closed; open it again to use it.');
  }
}

function describeHeads(heads: EventId[] | 'no-stream'): string {
  if (heads === 'no-stream' || heads.length === 0) return 'no events';
  return `[${heads.join(', ')}]`;
}

function describeWhere(where: { id?: EventId; index?: number }): string {
  if (where.id !== undefined) return ` in event ${where.id}`;
  if (where.index !== undefined)
    return ` in event #${where.index} of the batch`;
  return '';
}

/**
 * A message as a clause for another sentence to end: without its own full stop, nor
 * its own "nothing was stored" ("…nothing was stored.. Nothing was imported."
 * otherwise).
 */
export const asClause = (message: string): string =>
  message.replace(/[;,.]? ?nothing was stored\.?$/i, '').replace(/\.$/, '');

/** The wall-clock time of an HLC timestamp (its first 12 hex digits, in ms), as UTC. */
function timeOfHlc(hlc: string): string {
  const ms = parseInt(hlc.slice(0, 12), 16);
  const date = new Date(ms);
  return Number.isNaN(date.getTime())
    ? 'no time'
    : date.toISOString().replace('.000Z', 'Z');
}

/** MAX_CLOCK_DRIFT (hlc.ts, which imports this file): what `limit` adds to now. */
const DRIFT_MS = 60 * 60 * 1000;

/** How far `hlc` lies ahead of the clock whose limit is `limit`, in words: "2 h 5 min". */
function aheadBy(hlc: string, limit: string): string {
  const ms =
    parseInt(hlc.slice(0, 12), 16) -
    parseInt(limit.slice(0, 12), 16) +
    DRIFT_MS;
  const minutes = Math.round(ms / 60_000);
  if (!Number.isFinite(minutes)) return 'far';
  if (minutes >= 2 * 24 * 60) return `${Math.round(minutes / (24 * 60))} days`;
  const h = Math.floor(minutes / 60);
  return h > 0 ? `${h} h ${minutes % 60} min` : `${minutes} min`;
}

/** An import line that cannot be applied; the log is unchanged. */
export class ImportError extends ForklineError {
  readonly code = 'IMPORT_INVALID';
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(
      `Import refused, line ${line}: ${asClause(reason)}. Nothing was imported.`,
    );
  }
}

/** An edit that does not fit the text it is made against. */
export class InvalidEditError extends ForklineError {
  readonly code = 'INVALID_EDIT';
  constructor(
    readonly stream: string,
    readonly reason: string,
  ) {
    super(`Edit refused on "${stream}": ${reason}.`);
  }
}

/** An option of `subscribe`, `query` or `project` that cannot be used as given. */
export class InvalidQueryError extends ForklineError {
  readonly code = 'INVALID_QUERY';
  constructor(
    readonly option: string,
    readonly reason: string,
  ) {
    super(`Invalid option ${option}: ${reason}.`);
  }
}
