import { describe, expect, it } from 'vitest';
import {
  computeEventId,
  IdMismatchError,
  InvalidEventError,
  MissingDependencyError,
  openLog,
  SeqConflictError,
} from '../../src/index.ts';
import type { Log, LogEvent } from '../../src/index.ts';
import { tickHlc } from '../../src/log/hlc.ts';
import { LIMITS } from '../../src/log/validate.ts';
import { collect } from '../support/records.ts';

async function history(): Promise<{ source: Log; events: LogEvent[] }> {
  const source = await openLog({ actor: 'device-a' });
  const [root] = await source.append('doc/a', { type: 't', data: 0 });
  await source.append('doc/a', [
    { type: 't', data: 1 },
    { type: 't', data: 2 },
  ]);
  await source.append(
    'doc/a',
    { type: 't', data: 3 },
    { expected: [root!.event.id] },
  );
  await source.append('doc/b', { type: 't', data: new Uint8Array([1, 2, 3]) });
  return { source, events: await collect(source.since({})) };
}

/** Re-signs an altered event, as a replica with a bug or a forger would. */
const reid = (e: Omit<LogEvent, 'id'>): LogEvent => ({
  ...e,
  id: computeEventId(e),
});

describe('ingest from another replica', () => {
  it('stores a causally complete batch and reproduces heads and order', async () => {
    const { source, events } = await history();
    const replica = await openLog({ actor: 'device-b' });
    expect(await replica.ingest(events)).toEqual({ stored: 5, duplicates: 0 });
    expect(await replica.heads('doc/a')).toEqual(await source.heads('doc/a'));
    expect(await collect(replica.read('doc/a'))).toEqual(
      await collect(source.read('doc/a')),
    );
    expect(await replica.versionVector()).toEqual({ 'device-a': 5 });
  });

  it('accepts a batch whose events arrive in reverse order', async () => {
    const { source, events } = await history();
    const replica = await openLog();
    expect(await replica.ingest([...events].reverse())).toEqual({
      stored: 5,
      duplicates: 0,
    });
    expect(await replica.heads('doc/a')).toEqual(await source.heads('doc/a'));
  });

  it('is idempotent: the same events twice, in any order, change nothing', async () => {
    const { events } = await history();
    const replica = await openLog();
    await replica.ingest(events);
    const before = await collect(replica.since({}));
    expect(await replica.ingest([...events].reverse())).toEqual({
      stored: 0,
      duplicates: 5,
    });
    expect(await replica.ingest([...events, ...events])).toEqual({
      stored: 0,
      duplicates: 10,
    });
    expect(await collect(replica.since({}))).toEqual(before);
  });

  it('advances the local clock past what it received', async () => {
    const future = await openLog({
      actor: 'fast-clock',
      now: () => Date.now() + 3_600_000,
    });
    await future.append('doc/a', { type: 't', data: 1 });
    const replica = await openLog({ actor: 'slow-clock' });
    await replica.ingest(await collect(future.since({})));
    const [mine] = await replica.append('doc/a', { type: 't', data: 2 });
    expect(mine!.event.hlc > (await collect(future.since({})))[0]!.hlc).toBe(
      true,
    );
  });

  it('refuses a forged id, naming it, and stores nothing of the batch', async () => {
    const { events } = await history();
    const replica = await openLog();
    const forged = { ...events[2]!, data: 'tampered' };
    const error = await replica
      .ingest([events[0]!, events[1]!, forged])
      .catch((e) => e);
    expect(error).toBeInstanceOf(IdMismatchError);
    expect(error).toMatchObject({ code: 'ID_MISMATCH', id: forged.id });
    expect(error.message).toContain(forged.id);
    expect(await replica.versionVector()).toEqual({});
  });

  it('refuses an event whose parent is missing, naming both', async () => {
    const { events } = await history();
    const replica = await openLog();
    const error = await replica.ingest(events.slice(1, 2)).catch((e) => e);
    expect(error).toBeInstanceOf(MissingDependencyError);
    expect(error).toMatchObject({
      id: events[1]!.id,
      missingParents: [events[0]!.id],
    });
    expect(await replica.versionVector()).toEqual({});
  });

  it("refuses an event whose actor's previous seq is missing", async () => {
    const { events } = await history();
    const replica = await openLog();
    const onB = events.find((e) => e.stream === 'doc/b')!;
    const error = await replica.ingest([onB]).catch((e) => e);
    expect(error).toBeInstanceOf(MissingDependencyError);
    expect(error).toMatchObject({
      id: onB.id,
      missingParents: [],
      missingSeq: { actor: 'device-a', seq: 4 },
    });
  });

  it('refuses a second event under an (actor, seq) already taken', async () => {
    const { events } = await history();
    const replica = await openLog();
    await replica.ingest(events);
    const { id: _id, ...body } = events[0]!;
    const twin = reid({ ...body, data: 'another history' });
    const error = await replica.ingest([twin]).catch((e) => e);
    expect(error).toBeInstanceOf(SeqConflictError);
    expect(error).toMatchObject({ id: twin.id, actor: 'device-a', seq: 1 });
  });

  it('refuses a parent from another stream', async () => {
    const { events } = await history();
    const root = events[0]!;
    const stray = reid({
      ...root,
      stream: 'doc/z',
      parents: [root.id],
      seq: 6,
      hlc: tickHlc(events[events.length - 1]!.hlc, 0),
    });
    const replica = await openLog();
    const error = await replica.ingest([...events, stray]).catch((e) => e);
    expect(error).toBeInstanceOf(InvalidEventError);
    expect(error).toMatchObject({ field: 'parents', where: { id: stray.id } });
    expect(await replica.versionVector()).toEqual({});
  });

  it('refuses an event whose HLC is not after its parents', async () => {
    const { events } = await history();
    const root = events[0]!;
    const early = reid({
      ...root,
      actor: 'device-c',
      seq: 1,
      parents: [root.id],
      hlc: root.hlc,
    });
    const replica = await openLog();
    const error = await replica.ingest([root, early]).catch((e) => e);
    expect(error).toMatchObject({
      code: 'INVALID_EVENT',
      field: 'hlc',
      where: { id: early.id },
    });
  });

  it.each([
    ['a non-object', 7, 'event'],
    ['a bad id', { id: 'short' }, 'id'],
    [
      'unsorted parents',
      { parents: ['BBBBBBBBBBBBBBBBBBBBBB', 'AAAAAAAAAAAAAAAAAAAAAA'] },
      'parents',
    ],
    ['seq 0', { seq: 0 }, 'seq'],
    ['a malformed hlc', { hlc: '12:00' }, 'hlc'],
    ['a malformed time', { time: 'now' }, 'time'],
    ['an empty actor', { actor: '' }, 'actor'],
    ['data that is not JSON', { data: { when: new Date() } }, 'data/when'],
    // Already-canonical data is written by JSON.stringify after a walk: these must
    // still be refused by that walk, as by the full serialiser.
    [
      'a __proto__ key in data',
      { data: JSON.parse('{"a":{"__proto__":{"polluted":true}}}') },
      'data/a',
    ],
    ['data with a non-finite number', { data: { n: Infinity } }, 'data/n'],
    ['missing data', { data: undefined }, 'data'],
    [
      'data over the size limit',
      { data: 'x'.repeat(LIMITS.maxDataBytes + 1) },
      'data',
    ],
  ])('refuses %s with the field named', async (_what, change, field) => {
    const { events } = await history();
    const bad =
      typeof change === 'object' ? { ...events[0]!, ...change } : change;
    const replica = await openLog();
    const error = await replica.ingest([bad as LogEvent]).catch((e) => e);
    expect(error).toBeInstanceOf(InvalidEventError);
    expect(error.field).toBe(field);
  });
});

describe('many concurrent heads', () => {
  it('takes twenty thousand writers who saw only the first event, in batches, as as many heads', async () => {
    // Another replica may send a stream that wide. Its heads were an array filtered
    // and sorted at each event: 20,000 such events took 11-29 s, under 1 s now.
    const { events } = await history();
    const root = events[0]!;
    const wide = Array.from({ length: 20_000 }, (_, i) =>
      reid({
        ...root,
        data: i,
        actor: `writer-${i}`,
        seq: 1,
        parents: [root.id],
        hlc: tickHlc(root.hlc, 0),
      }),
    );
    const replica = await openLog();
    await replica.ingest([root]);
    for (let i = 0; i < wide.length; i += 500)
      await replica.ingest(wide.slice(i, i + 500));
    expect(await replica.heads('doc/a')).toEqual(wide.map((e) => e.id).sort());
    // One that saw them all merges them.
    const merge = reid({
      ...root,
      data: 'merge',
      actor: 'writer-0',
      seq: 2,
      parents: wide
        .map((e) => e.id)
        .sort()
        .slice(0, LIMITS.maxParents),
      hlc: tickHlc(tickHlc(root.hlc, 0), 0),
    });
    await replica.ingest([merge]);
    expect(await replica.heads('doc/a')).toHaveLength(
      wide.length - LIMITS.maxParents + 1,
    );
  });

  it('an append that merges 70 concurrent heads can be ingested by another replica', async () => {
    const source = await openLog({ actor: 'busy' });
    for (let i = 0; i < 70; i++) {
      await source.append(
        'doc/crowd',
        { type: 't', data: i },
        { expected: 'no-stream' },
      );
    }
    const [merge] = await source.append('doc/crowd', {
      type: 't',
      data: 'merge',
    });
    expect(merge!.event.parents).toHaveLength(70);
    const replica = await openLog();
    expect(await replica.ingest(await collect(source.since({})))).toEqual({
      stored: 71,
      duplicates: 0,
    });
    expect(await replica.heads('doc/crowd')).toEqual([merge!.event.id]);
  });
});
