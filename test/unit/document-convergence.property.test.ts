import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openDocument, openLog } from '../../src/index.ts';
import type { DocumentHandle, EventId, Log } from '../../src/index.ts';
import { assertProperty, propertyTimeout } from '../support/property.ts';
import { collect } from '../support/records.ts';
import { expectOneHistoryPerClientId } from '../support/yjs-history.ts';

/** A test's time: its sample's in `npm test`; a fuzz run's, with FC_RUNS. */
const TIMEOUT = propertyTimeout(120_000);

type Op =
  | {
      kind: 'type';
      replica: number;
      stale: number;
      at: number;
      del: number;
      text: string;
    }
  | { kind: 'field'; replica: number; stale: number; value: string }
  | { kind: 'sync'; from: number; to: number; share: number; reverse: boolean }
  | { kind: 'reopen'; replica: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('type' as const),
      replica: fc.nat(),
      stale: fc.nat(3),
      at: fc.nat(),
      del: fc.nat(3),
      text: fc.string({ maxLength: 4 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('field' as const),
      replica: fc.nat(),
      stale: fc.nat(3),
      value: fc.constantFrom('red', 'green', 'blue'),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('sync' as const),
      from: fc.nat(),
      to: fc.nat(),
      share: fc.double({ min: 0, max: 1, noNaN: true }),
      reverse: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('reopen' as const),
      replica: fc.nat(),
    }),
  },
);

/**
 * A document handle that opens from the snapshot in the log's store and saves one
 * whenever it folded an event past it: snapshots at random points of the history.
 */
const reopen = (log: Log, i: number) =>
  openDocument(log, 'p', {
    author: `writer ${i}`,
    snapshotEvery: 1,
    checkpointEvery: 3,
    checkpointStep: 1,
  });

interface Replica {
  log: Log;
  doc: DocumentHandle;
  views: EventId[][];
}

describe('documents on replicas exchanging events in random order', () => {
  it(
    'converge to the same text, fields and conflicts, and never reuse a Yjs client id',
    async () => {
      await assertProperty(
        fc.asyncProperty(
          fc.integer({ min: 2, max: 4 }),
          fc.array(op, { minLength: 1, maxLength: 40 }),
          async (n, ops) => {
            const replicas: Replica[] = [];
            for (let i = 0; i < n; i++) {
              const log = await openLog({ actor: `device-${i}` });
              replicas.push({
                log,
                doc: await openDocument(log, 'p', { author: `writer ${i}` }),
                views: [[]],
              });
            }
            for (const o of ops) {
              if (o.kind === 'sync') {
                const from = replicas[o.from % n]!;
                const to = replicas[o.to % n]!;
                const missing = await collect(
                  from.log.since(await to.log.versionVector()),
                );
                const batch = missing.slice(
                  0,
                  Math.ceil(missing.length * o.share),
                );
                await to.log.ingest(o.reverse ? batch.reverse() : batch);
                to.views.push(await to.log.heads(to.doc.stream));
                continue;
              }
              const r = replicas[o.replica % n]!;
              if (o.kind === 'reopen') {
                r.doc = await reopen(r.log, o.replica % n);
                continue;
              }
              const at = r.views[Math.max(0, r.views.length - 1 - o.stale)]!;
              if (o.kind === 'field') {
                await r.doc.setField('colour', o.value, { at });
              } else {
                const length = (await r.doc.view({ at })).text.length;
                const index = o.at % (length + 1);
                const del = Math.min(o.del, length - index);
                if (del === 0 && o.text === '') continue;
                await r.doc.editText(index, del, o.text, { at });
              }
              r.views.push(await r.log.heads(r.doc.stream));
            }
            for (let pass = 0; pass < 2; pass++) {
              for (let i = 0; i < n; i++) {
                const to = replicas[(i + 1) % n]!;
                await to.log.ingest(
                  await collect(
                    replicas[i]!.log.since(await to.log.versionVector()),
                  ),
                );
              }
            }
            const views = await Promise.all(replicas.map((r) => r.doc.view()));
            const shape = (v: (typeof views)[number]) => ({
              text: v.text,
              fields: Object.fromEntries(
                Object.entries(v.fields).map(([k, vs]) => [k, [...vs].sort()]),
              ),
              heads: v.heads,
              conflicts: v.conflicts.map((c) => [
                c.kind,
                c.state,
                c.events,
                c.resolvedBy,
                c.overlapping,
              ]),
            });
            for (const view of views)
              expect(shape(view)).toEqual(shape(views[0]!));
            // Opened afresh, from the snapshots taken along the way: the same view.
            for (const [i, r] of replicas.entries())
              expect(shape(await (await reopen(r.log, i)).view())).toEqual(
                shape(views[0]!),
              );
            // Every version a writer saw, read again from the checkpoints kept on the
            // way, is that version as a replica that never kept any folds it.
            const fresh = await openLog({ actor: 'fresh' });
            await fresh.ingest(await collect(replicas[0]!.log.since({})));
            const reference = await openDocument(fresh, 'p');
            // And one that took the events in another order, then folded them all
            // with a checkpoint every two.
            const late = await openLog({ actor: 'late' });
            await late.ingest(await collect(replicas[n - 1]!.log.since({})));
            await (await reopen(late, 0)).view();
            for (const [i, r] of [
              ...replicas.entries(),
              [
                n,
                { log: late, views: replicas.flatMap((r) => r.views) },
              ] as const,
            ]) {
              for (const at of r.views) {
                // A new handle each time: nothing cached to start from.
                const reopened = await reopen(r.log, i);
                const { conflicts: _, ...expected } = shape({
                  ...(await reference.summary({ at })),
                  conflicts: [],
                });
                const { conflicts: __, ...actual } = shape({
                  ...(await reopened.summary({ at })),
                  conflicts: [],
                });
                expect(actual).toEqual(expected);
              }
            }
            expectOneHistoryPerClientId(
              await collect(replicas[0]!.log.read('doc/p')),
            );
          },
        ),
        60,
      );
    },
    TIMEOUT,
  );
});
