import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ZERO_HLC } from '../../src/log/hlc.ts';
import { openLog, type VersionVector } from '../../src/index.ts';
import { eventPages, firstLacking, type Store } from '../../src/log/store.ts';
import { seqIn } from '../../src/log/version-vector.ts';
import { collect, makeRecord } from '../support/records.ts';

/**
 * What every Store must do, whatever it keeps its bytes in. Run against the memory
 * store in Node and in Chromium, and against the IndexedDB store in Chromium.
 */
export function storeContract(
  name: string,
  open: () => Promise<Store>,
  destroy?: () => Promise<void>,
) {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
      await destroy?.();
    });

    it('starts empty with a zero clock', async () => {
      expect(await store.replica()).toEqual({ hlc: ZERO_HLC, lastPos: 0 });
      expect(await store.versionVector()).toEqual({});
      expect(await store.stream('doc/a')).toBeUndefined();
      expect(await store.actorSeq('actor-a')).toBe(0);
      expect(await collect(store.eventsFrom(1))).toEqual([]);
    });

    it('applies every write of a transaction together', async () => {
      const record = makeRecord({ pos: 1 });
      await store.write(async (tx) => {
        tx.putEvent(record);
        tx.putStream({ stream: 'doc/a', heads: [record.event.id], size: 1 });
        tx.putActorSeq('actor-a', 1);
        tx.putReplica({ hlc: record.event.hlc, lastPos: 1, actor: 'actor-a' });
      });
      expect(await store.event(record.event.id)).toEqual(record);
      expect(await store.stream('doc/a')).toEqual({
        stream: 'doc/a',
        heads: [record.event.id],
        size: 1,
      });
      expect(await store.actorSeq('actor-a')).toBe(1);
      expect(await store.replica()).toEqual({
        hlc: record.event.hlc,
        lastPos: 1,
        actor: 'actor-a',
      });
      expect(await store.versionVector()).toEqual({ 'actor-a': 1 });
      expect(await store.actorEvent('actor-a', 1)).toEqual(record);
    });

    it('leaves nothing behind when the transaction body throws', async () => {
      const record = makeRecord({ pos: 1 });
      const failing = store.write(async (tx) => {
        tx.putEvent(record);
        tx.putActorSeq('actor-a', 1);
        tx.putReplica({ hlc: record.event.hlc, lastPos: 1 });
        await tx.event(record.event.id);
        throw new Error('boom');
      });
      await expect(failing).rejects.toThrow('boom');
      expect(await store.event(record.event.id)).toBeUndefined();
      expect(await store.actorSeq('actor-a')).toBe(0);
      expect(await store.replica()).toEqual({ hlc: ZERO_HLC, lastPos: 0 });
      expect(await collect(store.eventsFrom(1))).toEqual([]);
    });

    it('keeps conflict records per stream in canonical order, once each, with their transaction', async () => {
      const conflict = (stream: string, hlc: string, resolvedBy: string) => ({
        stream,
        resolvedBy,
        hlc,
        events: ['side-x', 'side-y'],
        forkPoint: ['base'],
      });
      const later = conflict('doc/a', '000000000002.0000', 'merge-a');
      const earlier = conflict('doc/a', '000000000001.0000', 'merge-z');
      const tie = conflict('doc/a', '000000000002.0000', 'merge-b');
      const elsewhere = conflict('doc/b', '000000000001.0000', 'merge-c');
      await store.write(async (tx) => {
        tx.putConflict(later);
        tx.putConflict(elsewhere);
      });
      await expect(
        store.write(async (tx) => {
          tx.putConflict(conflict('doc/a', '000000000000.0001', 'lost'));
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      await store.write(async (tx) => {
        tx.putConflict(tie);
        tx.putConflict(earlier);
        tx.putConflict(later);
      });
      expect(await store.conflicts('doc/a')).toEqual([earlier, later, tie]);
      expect(await store.conflicts('doc/b')).toEqual([elsewhere]);
      expect(await store.conflicts('doc')).toEqual([]);
    });

    it('shows a transaction its own writes before they commit', async () => {
      const record = makeRecord({ pos: 1 });
      const seen = await store.write(async (tx) => {
        tx.putEvent(record);
        tx.putStream({ stream: 'doc/a', heads: [record.event.id], size: 1 });
        tx.putActorSeq('actor-a', 1);
        return [
          await tx.event(record.event.id),
          await tx.stream('doc/a'),
          await tx.actorSeq('actor-a'),
        ];
      });
      expect(seen).toEqual([
        record,
        { stream: 'doc/a', heads: [record.event.id], size: 1 },
        1,
      ]);
    });

    it('answers from memory only with what it stores, the record a read gives', async () => {
      const kept = makeRecord({ pos: 1 });
      const dropped = makeRecord({ pos: 2, seq: 2 });
      const inTransaction = await store.write(async (tx) => {
        tx.putEvent(kept);
        tx.putReplica({ hlc: kept.event.hlc, lastPos: 1 });
        return tx.eventInMemory?.(kept.event.id);
      });
      await expect(
        store.write(async (tx) => {
          tx.putEvent(dropped);
          await tx.event(dropped.event.id);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      // Once read, a store that caches records may hold it in memory.
      expect(await store.event(kept.event.id)).toEqual(kept);
      const answers = [
        inTransaction,
        store.eventInMemory?.(kept.event.id),
        await store.write(async (tx) => tx.eventInMemory?.(kept.event.id)),
      ];
      for (const answer of answers)
        if (answer !== undefined) expect(answer).toEqual(kept);
      expect(store.eventInMemory?.(dropped.event.id)).toBeUndefined();
      expect(
        await store.write(async (tx) => tx.eventInMemory?.(dropped.event.id)),
      ).toBeUndefined();
    });

    it('runs racing transactions one after the other', async () => {
      const bump = () =>
        store.write(async (tx) => {
          const replica = await tx.replica();
          const seq = await tx.actorSeq('actor-a');
          tx.putActorSeq('actor-a', seq + 1);
          tx.putReplica({ ...replica, lastPos: replica.lastPos + 1 });
        });
      await Promise.all(Array.from({ length: 20 }, bump));
      expect(await store.actorSeq('actor-a')).toBe(20);
      expect((await store.replica()).lastPos).toBe(20);
    });

    it('lists a stream in (hlc, id) order even when an older event arrives later', async () => {
      const late = makeRecord({
        pos: 3,
        hlc: '000000000001.0000',
        actor: 'actor-b',
        seq: 1,
      });
      const first = makeRecord({ pos: 1, hlc: '000000000002.0000' });
      const second = makeRecord({ pos: 2, hlc: '000000000003.0000', seq: 2 });
      const other = makeRecord({
        pos: 4,
        stream: 'doc/b',
        hlc: '000000000000.0001',
        seq: 3,
      });
      for (const record of [first, second, late, other])
        await store.write(async (tx) => tx.putEvent(record));
      const ids = (records: { event: { id: string } }[]) =>
        records.map((r) => r.event.id);
      expect(ids(await collect(store.streamEvents('doc/a')))).toEqual(
        [late, first, second].map((r) => r.event.id),
      );
      expect(ids(await collect(store.eventsFrom(2)))).toEqual(
        [second, late, other].map((r) => r.event.id),
      );
      expect(ids(await collect(store.streamEvents('doc/none')))).toEqual([]);
    });

    it('says whether an event is stored up to a position', async () => {
      const records = Array.from({ length: 12 }, (_, i) =>
        makeRecord({
          pos: i + 1,
          stream: i % 3 === 2 ? 'doc/b' : 'doc/a',
          hlc: `00000000000${i.toString(16)}.0000`,
          seq: i + 1,
        }),
      );
      // In a few writes, so that a store that packs events holds several packs.
      for (let i = 0; i < records.length; i += 4)
        await store.write(async (tx) => {
          for (const record of records.slice(i, i + 4)) tx.putEvent(record);
        });
      for (const record of records)
        for (let pos = 0; pos <= 13; pos++)
          expect(await store.storedBy(record.event.id, pos)).toBe(
            record.pos <= pos,
          );
      expect(await store.storedBy(makeRecord({ pos: 99 }).event.id, 99)).toBe(
        false,
      );
    });

    it('reads in pages (eventPages) exactly what it reads a record at a time, from any position', async () => {
      const records = Array.from({ length: 40 }, (_, i) =>
        makeRecord({
          pos: i + 1,
          stream: i % 3 === 2 ? 'doc/b' : 'doc/a',
          hlc: `0000000000${i.toString(16).padStart(2, '0')}.0000`,
          seq: i + 1,
        }),
      );
      // In several writes, so that a store that packs events holds several packs.
      for (let i = 0; i < records.length; i += 7)
        await store.write(async (tx) => {
          for (const record of records.slice(i, i + 7)) tx.putEvent(record);
        });
      const ids = (list: readonly { event: { id: string } }[]) =>
        list.map((r) => r.event.id);
      for (const from of [0, 1, 2, 17, 40, 41]) {
        const pages = await collect(eventPages(store, from));
        expect(ids(pages.flat())).toEqual(
          ids(await collect(store.eventsFrom(from))),
        );
      }
      // With a filter: the records the store yields include every match.
      const only = { streams: 'doc/b' };
      const matching = (await collect(eventPages(store, 1, only)))
        .flat()
        .filter((r) => r.event.stream === 'doc/b');
      expect(ids(matching)).toEqual(
        ids(records.filter((r) => r.event.stream === 'doc/b')),
      );
    });

    it('reads forward without duplicates while events are inserted mid-iteration', async () => {
      const records = [1, 3, 5].map((n, i) =>
        makeRecord({ pos: i + 1, seq: i + 1, hlc: `00000000000${n}.0000` }),
      );
      for (const record of records)
        await store.write(async (tx) => tx.putEvent(record));
      const seen: string[] = [];
      for await (const { event } of store.streamEvents('doc/a')) {
        seen.push(event.hlc);
        if (seen.length === 1) {
          for (const [i, hlc] of [
            '000000000000.0001',
            '000000000002.0000',
          ].entries()) {
            const inserted = makeRecord({
              pos: 4 + i,
              actor: hlc,
              seq: 1,
              hlc,
            });
            await store.write(async (tx) => tx.putEvent(inserted));
          }
        }
      }
      // What was there at the start is all read, in order; an insert may or may not be seen.
      expect([...seen].sort()).toEqual(seen);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual(
        expect.arrayContaining(records.map((r) => r.event.hlc)),
      );
      expect(seen).not.toContain('000000000000.0001');
    });

    it('lists stream names by prefix', async () => {
      for (const [i, stream] of ['doc/b', 'doc/a', 'ledger/1'].entries()) {
        const record = makeRecord({ pos: i + 1, seq: i + 1, stream });
        await store.write(async (tx) => {
          tx.putEvent(record);
          tx.putStream({ stream, heads: [record.event.id], size: 1 });
        });
      }
      expect(await store.streamNames('doc/')).toEqual(['doc/a', 'doc/b']);
      expect(await store.streamNames('')).toEqual([
        'doc/a',
        'doc/b',
        'ledger/1',
      ]);
    });

    it('finds the first event a peer lacks, whatever the peer holds', async () => {
      const log = await openLog({ store, actor: 'holder' });
      const writers = await Promise.all(
        ['w0', 'w1', 'w2'].map((actor) => openLog({ actor })),
      );
      // Interleaved: each writer's events spread over the log's positions.
      for (let round = 0; round < 4; round++)
        for (const [i, w] of writers.entries()) {
          await w.append(`doc/${i}`, { type: 't', data: round });
          await log.ingest(await collect(w.since(await log.versionVector())));
        }
      const records = await collect(store.eventsFrom(1));
      const brute = (vector: VersionVector) =>
        records.find((r) => r.event.seq > seqIn(vector, r.event.actor))?.pos;
      const vectors: VersionVector[] = [
        {},
        { w0: 4, w1: 4, w2: 4 },
        { w0: 4, w1: 2, w2: 4 },
        { w0: 1, w2: 3 },
        { w1: 9, unknown: 3 },
        { w0: 4, w1: 4, w2: 4, unknown: 1 },
        // A peer's vector is its own: odd names and the largest seqs are data.
        Object.fromEntries([
          ["w0'; DROP TABLE forkline_events; --", 2],
          ['__proto__', 1],
          ['w1', Number.MAX_SAFE_INTEGER],
          ['w2', 2],
        ]),
      ];
      for (const vector of vectors) {
        expect(await firstLacking(store, vector), JSON.stringify(vector)).toBe(
          brute(vector),
        );
      }
      await Promise.all(writers.map((w) => w.close()));
    });

    it('answers log queries by stream, type, actor, author and time, page by page', async () => {
      const log = await openLog({ store, actor: 'holder' });
      const writers = await Promise.all(
        ['w0', 'w1'].map((actor) => openLog({ actor })),
      );
      const authors = ['Ada', 'Grace', undefined];
      const types = ['edit', 'title', 'note'];
      let k = 0;
      for (let round = 0; round < 6; round++) {
        for (const [i, writer] of [log, ...writers].entries()) {
          const batch = Array.from({ length: 1 + ((round + i) % 3) }, () => {
            k++;
            const author = authors[k % 3];
            return {
              type: types[(k * 7) % 3]!,
              data: k,
              time: new Date(
                Date.UTC(2026, 0, 1 + (k % 9), k % 24),
              ).toISOString(),
              ...(author ? { author } : {}),
            };
          });
          await writer.append(
            `${i === 2 ? 'notes' : 'doc'}/${round % 2}`,
            batch,
          );
          if (writer !== log)
            await log.ingest(
              await collect(writer.since(await log.versionVector())),
            );
        }
      }
      const all = (await collect(store.eventsFrom(1))).map((r) => r.event);
      const filters: Parameters<typeof log.query>[0][] = [
        {},
        { streams: 'doc/' },
        { streams: 'doc/1' },
        { streams: 'none/' },
        { types: ['title'] },
        { types: ['edit', 'note'], streams: 'notes/' },
        { types: [] },
        { actor: 'w1' },
        { author: 'Grace' },
        { author: 'w0' },
        { from: '2026-01-03T00:00:00Z', to: '2026-01-05T12:00:00.000Z' },
        { from: '2026-01-08T00:00:00+02:00', author: 'Ada' },
        { to: '2025-12-31T23:59:59Z' },
      ];
      for (const filter of filters) {
        const at = (e: (typeof all)[number]) => Date.parse(e.time);
        const expected = all.filter(
          (e) =>
            (filter.streams === undefined ||
              e.stream.startsWith(filter.streams)) &&
            (filter.types === undefined || filter.types.includes(e.type)) &&
            (filter.actor === undefined || e.actor === filter.actor) &&
            (filter.author === undefined ||
              (e.author ?? e.actor) === filter.author) &&
            (filter.from === undefined || at(e) >= Date.parse(filter.from)) &&
            (filter.to === undefined || at(e) <= Date.parse(filter.to)),
        );
        for (const limit of [1, 4, 1000]) {
          const got = [];
          let after: string | undefined;
          for (let pages = 0; pages < 200; pages++) {
            const page = await log.query(filter, {
              limit,
              ...(after !== undefined ? { after } : {}),
            });
            expect(page.events.length).toBeLessThanOrEqual(limit);
            got.push(...page.events);
            if (page.next === undefined) break;
            after = page.next;
          }
          expect(
            got.map((e) => e.id),
            `${JSON.stringify(filter)} by ${limit}`,
          ).toEqual(expected.map((e) => e.id));
        }
      }
      await Promise.all(writers.map((w) => w.close()));
    });

    it('round-trips byte data exactly', async () => {
      const record = makeRecord({
        pos: 1,
        data: new Uint8Array([0, 1, 2, 253, 254, 255]),
      });
      await store.write(async (tx) => tx.putEvent(record));
      const back = await store.event(record.event.id);
      expect(back?.event.data).toBeInstanceOf(Uint8Array);
      expect(Array.from(back!.event.data as Uint8Array)).toEqual([
        0, 1, 2, 253, 254, 255,
      ]);
    });
  });
}
