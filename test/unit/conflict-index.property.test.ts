import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  memoryStore,
  openLog,
  type Conflict,
  type EventId,
  type Log,
  type LogEvent,
  type Store,
} from '../../src/index.ts';
import { compareCanonical } from '../../src/log/store.ts';
import { collect } from '../support/records.ts';
import { assertProperty, propertyTimeout } from '../support/property.ts';
import {
  ancestorsBruteForce,
  command,
  permute,
  runCommands,
  STREAMS,
  syncAll,
} from '../support/convergence.ts';

/** A test's time: its sample's in `npm test`; a fuzz run's, with FC_RUNS. */
const TIMEOUT = propertyTimeout(120_000);

const canonical = (events: Map<EventId, LogEvent>, ids: Iterable<EventId>) =>
  [...ids]
    .map((id) => events.get(id)!)
    .sort(compareCanonical)
    .map((e) => e.id);

/**
 * DESIGN §7's stream conflicts by definition, from every event of the stream and
 * plain set arithmetic: each merge of concurrent events resolves them; several
 * heads are an unresolved conflict.
 */
function conflictsBruteForce(stream: string, list: LogEvent[]): Conflict[] {
  const events = new Map(list.map((e) => [e.id, e]));
  const fork = (tips: EventId[]) => {
    const reach = tips.map((t) => ancestorsBruteForce(events, [t]));
    const common = [...reach[0]!].filter((id) => reach.every((r) => r.has(id)));
    const union = new Set(reach.flatMap((r) => [...r]));
    // A tip every other tip saw is not concurrent with them.
    if (tips.filter((t) => !common.includes(t)).length < 2) return undefined;
    const forkPoint = common.filter(
      (c) =>
        !common.some((d) => d !== c && ancestorsBruteForce(events, [d]).has(c)),
    );
    return {
      events: canonical(
        events,
        [...union].filter((id) => !common.includes(id)),
      ),
      forkPoint: canonical(events, forkPoint),
    };
  };
  const out: Conflict[] = [];
  const listed = new Set<string>();
  for (const merge of [...list].sort(compareCanonical)) {
    const found = merge.parents.length >= 2 && fork(merge.parents);
    if (!found) continue;
    // Merges of the same sides resolved one conflict: the first lists it.
    const key = JSON.stringify(found);
    if (listed.has(key)) continue;
    listed.add(key);
    out.push({
      stream,
      kind: 'concurrent-appends',
      ...found,
      state: 'resolved',
      resolvedBy: merge.id,
    });
  }
  const parents = new Set(list.flatMap((e) => e.parents));
  const heads = list.filter((e) => !parents.has(e.id)).map((e) => e.id);
  const open = heads.length >= 2 && fork(heads);
  if (open)
    out.push({
      stream,
      kind: 'concurrent-appends',
      ...open,
      state: 'unresolved',
    });
  return out;
}

/** A store as a writer from before the conflict index left it: no records, no mark. */
function writtenBeforeTheIndex(inner: Store): Store {
  return {
    ...inner,
    write: (body) =>
      inner.write((tx) =>
        body({
          event: (id) => tx.event(id),
          stream: (name) => tx.stream(name),
          actorSeq: (actor) => tx.actorSeq(actor),
          replica: () => tx.replica(),
          putEvent: (record) => tx.putEvent(record),
          putStream: (record) => tx.putStream(record),
          putActorSeq: (actor, seq) => tx.putActorSeq(actor, seq),
          putReplica: ({ conflictIndex: _, ...record }) =>
            tx.putReplica(record),
          putConflict: () => undefined,
        }),
      ),
  };
}

async function expectIndexed(log: Log): Promise<void> {
  for (const stream of STREAMS) {
    const events = await collect(log.read(stream));
    expect(await log.conflicts(stream)).toEqual(
      conflictsBruteForce(stream, events),
    );
  }
}

describe('the conflict index', () => {
  it(
    'equals the brute-force conflicts of every stream, whatever the delivery order',
    async () => {
      await assertProperty(
        fc.asyncProperty(
          fc.integer({ min: 2, max: 4 }),
          fc.array(command, { minLength: 1, maxLength: 50 }),
          fc.array(fc.nat(), { maxLength: 12 }),
          async (n, commands, legacyShuffle) => {
            const logs = await Promise.all(
              Array.from({ length: n }, (_, i) =>
                openLog({ actor: `replica-${i}` }),
              ),
            );
            // Part way through, as each replica holds a different part of the DAG.
            await runCommands(logs, commands, { synced: expectIndexed });
            // Everything everywhere: each replica received the others' merges by ingest.
            await syncAll(logs);
            for (const log of logs) await expectIndexed(log);

            // A store written before the index had it builds it on the first ask.
            const raw = memoryStore();
            const old = await openLog({
              store: writtenBeforeTheIndex(raw),
              actor: 'old',
            });
            for (const log of logs)
              await old.ingest(
                permute(await collect(log.since({})), legacyShuffle),
              );
            expect(await raw.conflicts(STREAMS[0]!)).toEqual([]);
            const upgraded = await openLog({ store: raw, actor: 'old' });
            await expectIndexed(upgraded);
            expect((await raw.replica()).conflictIndex).toBe(1);
            await Promise.all([...logs, upgraded].map((l) => l.close()));
          },
        ),
        150,
      );
    },
    TIMEOUT,
  );
});
