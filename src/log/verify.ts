import { computeEventId } from './event-id.ts';
import type { Store } from './store.ts';
import type { EventId } from './types.ts';
import { seqIn } from './version-vector.ts';

export interface VerifyProblem {
  /** The event at fault, or the stream / actor when the fault is in bookkeeping. */
  subject: string;
  problem: string;
}

export interface VerifyReport {
  ok: boolean;
  events: number;
  streams: number;
  actors: number;
  problems: VerifyProblem[];
}

/**
 * Checks a whole log end to end: every id recomputes from its content, every parent
 * is stored earlier in the same stream with a smaller HLC, every actor's seqs run
 * 1..n without gaps, positions are dense, and the stored heads are the real heads.
 * Reads in one pass plus one lookup per parent; reports every problem it finds.
 */
export async function verifyStore(
  store: Store,
  limit = 100,
): Promise<VerifyReport> {
  const problems: VerifyProblem[] = [];
  const report = (subject: string, problem: string) => {
    if (problems.length < limit) problems.push({ subject, problem });
  };
  const seqs = new Map<string, number>();
  const named = new Map<string, Set<EventId>>();
  const members = new Map<string, EventId[]>();
  let events = 0;
  for await (const record of store.eventsFrom(1)) {
    const { event, pos } = record;
    events++;
    if (pos !== events)
      report(event.id, `is at position ${pos}, expected ${events}`);
    const { id } = event;
    // The id field is not hashed: no copy without it needed.
    const computed = computeEventId(event);
    if (computed !== id) report(id, `content hashes to ${computed}`);
    for (const parentId of event.parents) {
      const parent = await store.event(parentId);
      if (!parent) report(id, `parent ${parentId} is missing`);
      else if (parent.pos >= pos)
        report(id, `parent ${parentId} was stored after it`);
      else if (parent.event.stream !== event.stream)
        report(id, `parent ${parentId} is in another stream`);
      else if (!(parent.event.hlc < event.hlc))
        report(id, `HLC is not after parent ${parentId}`);
    }
    const previous = seqs.get(event.actor) ?? 0;
    if (event.seq !== previous + 1)
      report(id, `seq ${event.seq} of ${event.actor} follows ${previous}`);
    seqs.set(event.actor, Math.max(previous, event.seq));
    let parents = named.get(event.stream);
    if (!parents) {
      named.set(event.stream, (parents = new Set()));
      members.set(event.stream, []);
    }
    event.parents.forEach((p) => parents!.add(p));
    members.get(event.stream)!.push(id);
  }
  for (const [stream, ids] of members) {
    const heads = ids.filter((id) => !named.get(stream)!.has(id)).sort();
    const stored = (await store.stream(stream))?.heads ?? [];
    if (heads.join() !== stored.join())
      report(
        stream,
        `stored heads [${stored}] are not the real heads [${heads}]`,
      );
  }
  const vector = await store.versionVector();
  for (const [actor, seq] of seqs) {
    if (seqIn(vector, actor) !== seq)
      report(
        actor,
        `version vector says ${seqIn(vector, actor)}, events say ${seq}`,
      );
  }
  const { lastPos } = await store.replica();
  if (lastPos !== events)
    report('replica', `last position ${lastPos} but ${events} events stored`);
  return {
    ok: problems.length === 0,
    events,
    streams: members.size,
    actors: seqs.size,
    problems,
  };
}
