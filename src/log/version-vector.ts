import type { LogEvent, VersionVector } from './types.ts';

// Actor ids are chosen by other replicas, so they are data, never property names of
// Object.prototype: a vector is a null-prototype object, and a vector from elsewhere
// (JSON, structured clone) is read through its own properties only. Otherwise an
// actor named "constructor" reads as a function, and one named "__proto__" cannot
// be written at all.

/** A vector with no entries and no prototype. */
function emptyVector(): VersionVector {
  return Object.create(null) as VersionVector;
}

/** A null-prototype vector from (actor, seq) pairs. */
export function vectorFrom(
  entries: Iterable<readonly [string, number]>,
): VersionVector {
  const vector = emptyVector();
  for (const [actor, seq] of entries) vector[actor] = seq;
  return vector;
}

/** A null-prototype copy of any vector's own entries. */
export function copyVector(vector: VersionVector): VersionVector {
  return vectorFrom(Object.entries(vector));
}

/**
 * The highest seq of `actor` the vector covers; 0 when it names none (or names it
 * with anything but a number). One look-up for a vector of this module, which has
 * no prototype to inherit from; a vector from elsewhere is read through its own
 * properties only. A relay asks this for every event and every session it sends to,
 * of vectors of hundreds of actors: two look-ups each were a tenth of its time.
 */
export function seqIn(vector: VersionVector, actor: string): number {
  const seq = vector[actor];
  return typeof seq === 'number' &&
    (Object.getPrototypeOf(vector) === null || Object.hasOwn(vector, actor))
    ? seq
    : 0;
}

/** Raises `vector` (null-prototype, from this module) to cover `seq` of `actor`. */
export function raise(vector: VersionVector, actor: string, seq: number): void {
  if (seq > seqIn(vector, actor)) vector[actor] = seq;
}

/**
 * Raises `vector` (null-prototype, from this module) in place to cover `events`:
 * for a vector its owner alone holds, where a copy per batch would cost the whole
 * vector each time (a relay's session, per push, with a hundred writers).
 */
export function raiseTo(
  vector: VersionVector,
  events: Iterable<LogEvent>,
): void {
  for (const e of events) raise(vector, e.actor, e.seq);
}

/** A copy of `vector` raised to cover `events`. */
export function withEvents(
  vector: VersionVector,
  events: Iterable<LogEvent>,
): VersionVector {
  const out = copyVector(vector);
  for (const e of events) raise(out, e.actor, e.seq);
  return out;
}

/** Whether `a` holds everything `b` does. */
export function covers(a: VersionVector, b: VersionVector): boolean {
  return Object.entries(b).every(([actor, seq]) => seqIn(a, actor) >= seq);
}
