import { describe, expect, it } from 'vitest';
import { openLog, UnknownEventError } from '../../src/index.ts';
import type { LogEvent, Projection } from '../../src/index.ts';
import { collect } from '../support/records.ts';

const values: Projection<unknown[]> = {
  initial: () => [],
  evolve: (s, e) => [...s, e.data],
};

describe('read and fold', () => {
  it('folds a stream in canonical order', async () => {
    const log = await openLog();
    await log.append(
      'doc/a',
      [1, 2, 3].map((n) => ({ type: 't', data: n })),
    );
    await log.append('doc/b', { type: 't', data: 'elsewhere' });
    expect(await log.fold('doc/a', values)).toEqual([1, 2, 3]);
    expect(await log.fold('doc/none', values)).toEqual([]);
  });

  it('folds at older heads: the stream as that writer saw it', async () => {
    const log = await openLog();
    const [a] = await log.append('doc/a', { type: 't', data: 'a' });
    const [b] = await log.append('doc/a', { type: 't', data: 'b' });
    const [c] = await log.append(
      'doc/a',
      { type: 't', data: 'c' },
      { expected: [a!.event.id] },
    );
    expect(await log.fold('doc/a', values, { at: [a!.event.id] })).toEqual([
      'a',
    ]);
    expect(await log.fold('doc/a', values, { at: [c!.event.id] })).toEqual([
      'a',
      'c',
    ]);
    expect(
      await log.fold('doc/a', values, { at: [b!.event.id, c!.event.id] }),
    ).toEqual(['a', 'b', 'c']);
    expect(await log.fold('doc/a', values, { at: [] })).toEqual([]);
  });

  it('refuses `at` ids it does not hold in the stream', async () => {
    const log = await openLog();
    const [other] = await log.append('doc/b', { type: 't', data: 1 });
    await expect(
      log.fold('doc/a', values, { at: [other!.event.id] }),
    ).rejects.toBeInstanceOf(UnknownEventError);
  });

  it('gets events by id', async () => {
    const log = await openLog();
    const [a] = await log.append('doc/a', { type: 't', data: 1 });
    expect(await log.get(a!.event.id)).toEqual(a!.event);
    expect(await log.get('AAAAAAAAAAAAAAAAAAAAAA')).toBeUndefined();
  });
});

describe('since and version vectors', () => {
  it('sends exactly what a peer lacks, parents first', async () => {
    const a = await openLog({ actor: 'a' });
    const b = await openLog({ actor: 'b' });
    await a.append('doc/x', [
      { type: 't', data: 1 },
      { type: 't', data: 2 },
    ]);
    await b.ingest(await collect(a.since(await b.versionVector())));
    await b.append('doc/x', { type: 't', data: 3 });
    await a.append('doc/y', { type: 't', data: 4 });
    const toA = await collect(b.since(await a.versionVector()));
    expect(toA.map((e) => e.data)).toEqual([3]);
    const toB = await collect(a.since(await b.versionVector()));
    expect(toB.map((e) => e.data)).toEqual([4]);
    expect(await collect(a.since({ a: 3, b: 1 }))).toEqual([]);
    const everything: LogEvent[] = await collect(a.since({}));
    const seen = new Set<string>();
    for (const e of everything) {
      expect(e.parents.every((p) => seen.has(p))).toBe(true);
      seen.add(e.id);
    }
  });
});
