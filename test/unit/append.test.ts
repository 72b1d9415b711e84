import { describe, expect, it } from 'vitest';
import {
  InvalidEventError,
  LogClosedError,
  openLog,
  StreamNotFoundError,
  UnknownEventError,
  WrongExpectedHeadsError,
} from '../../src/index.ts';
import { collect } from '../support/records.ts';

const edit = (n: number) => ({ type: 'doc.edited', data: { n } });

describe('append with expected heads', () => {
  it('links the first event of a stream to nothing and each next one to the heads', async () => {
    const log = await openLog({ actor: 'tab-1' });
    const [first] = await log.append('doc/a', edit(1));
    const [second] = await log.append('doc/a', edit(2), {
      expected: [first!.event.id],
    });
    expect(first!.event.parents).toEqual([]);
    expect(second!.event.parents).toEqual([first!.event.id]);
    expect([first!.position, second!.position]).toEqual([1, 2]);
    expect(await log.heads('doc/a')).toEqual([second!.event.id]);
  });

  it('keeps both events when another tab appended first', async () => {
    const log = await openLog({ actor: 'tab-1' });
    const [base] = await log.append('doc/a', edit(0));
    const seen = [base!.event.id];
    const [mine] = await log.append('doc/a', edit(1), { expected: seen });
    const [theirs] = await log.append('doc/a', edit(2), { expected: seen });
    expect(mine!.concurrent).toEqual([]);
    expect(theirs!.status).toBe('stored');
    expect(theirs!.event.parents).toEqual(seen);
    expect(theirs!.concurrent).toEqual([mine!.event.id]);
    expect(await log.heads('doc/a')).toEqual(
      [mine!.event.id, theirs!.event.id].sort(),
    );
  });

  it('reports every event the writer did not see, however far back it forked', async () => {
    const log = await openLog();
    const [base] = await log.append('doc/a', edit(0));
    const later = await log.append('doc/a', [edit(1), edit(2), edit(3)]);
    const [offline] = await log.append('doc/a', edit(9), {
      expected: [base!.event.id],
    });
    expect(offline!.concurrent).toEqual(later.map((r) => r.event.id));
  });

  it("'any' appends after the current heads, merging them", async () => {
    const log = await openLog();
    const [a] = await log.append('doc/a', edit(1));
    const [b] = await log.append('doc/a', edit(2), { expected: [] });
    const [merge] = await log.append('doc/a', edit(3), { expected: 'any' });
    expect(merge!.event.parents).toEqual([a!.event.id, b!.event.id].sort());
    expect(merge!.concurrent).toEqual([]);
  });

  it("'no-stream' on an existing keep-both stream starts a concurrent root", async () => {
    const log = await openLog();
    const [a] = await log.append('doc/a', edit(1));
    const [b] = await log.append('doc/a', edit(2), { expected: 'no-stream' });
    expect(b!.event.parents).toEqual([]);
    expect(b!.concurrent).toEqual([a!.event.id]);
  });

  it("'stream-exists' fails on an empty stream, whatever the policy", async () => {
    const log = await openLog();
    const error = await log
      .append('doc/a', edit(1), { expected: 'stream-exists' })
      .catch((e) => e);
    expect(error).toBeInstanceOf(StreamNotFoundError);
    expect(error).toMatchObject({ code: 'STREAM_NOT_FOUND', stream: 'doc/a' });
    const [first] = await log.append('doc/a', edit(1));
    const [next] = await log.append('doc/a', edit(2), {
      expected: 'stream-exists',
    });
    expect(next!.event.parents).toEqual([first!.event.id]);
  });

  it('refuses expected heads it does not hold in that stream', async () => {
    const log = await openLog();
    const [other] = await log.append('doc/b', edit(1));
    for (const id of [other!.event.id, 'AAAAAAAAAAAAAAAAAAAAAA']) {
      const error = await log
        .append('doc/a', edit(2), { expected: [id] })
        .catch((e) => e);
      expect(error).toBeInstanceOf(UnknownEventError);
      expect(error).toMatchObject({ id, stream: 'doc/a' });
    }
  });

  it('appends a batch atomically as a chain', async () => {
    const log = await openLog({ actor: 'tab-1' });
    const results = await log.append('doc/a', [edit(1), edit(2), edit(3)]);
    expect(results.map((r) => r.event.seq)).toEqual([1, 2, 3]);
    expect(results[1]!.event.parents).toEqual([results[0]!.event.id]);
    expect(results[2]!.event.parents).toEqual([results[1]!.event.id]);
    expect(results.map((r) => r.position)).toEqual([1, 2, 3]);
    const hlcs = results.map((r) => r.event.hlc);
    expect([...hlcs].sort()).toEqual(hlcs);
  });

  it('stores nothing when one event of a batch is invalid', async () => {
    const log = await openLog();
    const error = await log
      .append('doc/a', [
        edit(1),
        { type: 'doc.edited', data: { bad: Number.NaN } },
      ])
      .catch((e) => e);
    expect(error).toBeInstanceOf(InvalidEventError);
    expect(error).toMatchObject({ field: 'data/bad', where: { index: 1 } });
    expect(await log.heads('doc/a')).toEqual([]);
    expect(await log.versionVector()).toEqual({});
  });

  it('keeps seq dense per actor across streams', async () => {
    const log = await openLog({ actor: 'tab-1' });
    await log.append('doc/a', edit(1));
    await log.append('doc/b', [edit(2), edit(3)]);
    await log.append('doc/a', edit(4));
    const seqs = [
      ...(await collect(log.read('doc/a'))),
      ...(await collect(log.read('doc/b'))),
    ].map((e) => e.seq);
    expect(seqs.sort()).toEqual([1, 2, 3, 4]);
    expect(await log.versionVector()).toEqual({ 'tab-1': 4 });
  });

  it('gives every event a larger HLC than its parents even when the wall clock goes back', async () => {
    let now = 10_000;
    const log = await openLog({ now: () => now });
    const [a] = await log.append('doc/a', edit(1));
    now = 5_000;
    const [b] = await log.append('doc/a', edit(2));
    expect(b!.event.hlc > a!.event.hlc).toBe(true);
  });

  it('uses the time the writer gives, and validates it', async () => {
    const log = await openLog();
    const [r] = await log.append('doc/a', {
      ...edit(1),
      time: '2020-02-29T12:00:00+02:00',
      author: 'Tab 2',
    });
    expect(r!.event).toMatchObject({
      time: '2020-02-29T12:00:00+02:00',
      author: 'Tab 2',
    });
    await expect(
      log.append('doc/a', { ...edit(1), time: 'yesterday' }),
    ).rejects.toThrow(/RFC 3339/);
  });

  it.each([
    ['an empty stream name', '', 'stream'],
    ['a stream name over 256 characters', 'x'.repeat(257), 'stream'],
    ['a control character in the stream name', 'doc/\u0007', 'stream'],
  ])('refuses %s', async (_what, stream, field) => {
    const log = await openLog();
    const error = await log.append(stream, edit(1)).catch((e) => e);
    expect(error).toBeInstanceOf(InvalidEventError);
    expect(error.field).toBe(field);
  });

  it.each([
    ['an empty batch', []],
    ['a missing type', [{ data: 1 }]],
    ['missing data', [{ type: 't' }]],
    ['an author that is not a string', [{ type: 't', data: 1, author: 7 }]],
    ['a non-object event', [42]],
  ])('refuses %s', async (_what, events) => {
    const log = await openLog();
    await expect(log.append('doc/a', events as never)).rejects.toBeInstanceOf(
      InvalidEventError,
    );
  });

  it('refuses a malformed expectation', async () => {
    const log = await openLog();
    await expect(
      log.append('doc/a', edit(1), { expected: 'latest' as never }),
    ).rejects.toThrow(/expected/);
  });

  it('refuses appends after close', async () => {
    const log = await openLog();
    await log.close();
    await expect(log.append('doc/a', edit(1))).rejects.toBeInstanceOf(
      LogClosedError,
    );
  });
});

describe('append to a reject-policy stream', () => {
  const ledger = () =>
    openLog({
      policy: (s) => (s.startsWith('ledger/') ? 'reject' : 'keep-both'),
    });

  it('refuses a stale write with the stream, expected and actual heads', async () => {
    const log = await ledger();
    const [base] = await log.append('ledger/1', edit(0));
    const [moved] = await log.append('ledger/1', edit(1), {
      expected: [base!.event.id],
    });
    const error = await log
      .append('ledger/1', edit(2), { expected: [base!.event.id] })
      .catch((e) => e);
    expect(error).toBeInstanceOf(WrongExpectedHeadsError);
    expect(error).toMatchObject({
      code: 'WRONG_EXPECTED_HEADS',
      stream: 'ledger/1',
      expected: [base!.event.id],
      actual: [moved!.event.id],
    });
    expect(error.name).toBe('WrongExpectedHeadsError');
    expect(await log.heads('ledger/1')).toEqual([moved!.event.id]);
  });

  it("refuses 'no-stream' once the stream exists", async () => {
    const log = await ledger();
    await log.append('ledger/1', edit(0), { expected: 'no-stream' });
    const error = await log
      .append('ledger/1', edit(1), { expected: 'no-stream' })
      .catch((e) => e);
    expect(error).toMatchObject({
      code: 'WRONG_EXPECTED_HEADS',
      expected: 'no-stream',
    });
  });

  it('accepts a write that saw the current heads', async () => {
    const log = await ledger();
    const [a] = await log.append('ledger/1', edit(0));
    const [b] = await log.append('ledger/1', edit(1), {
      expected: [a!.event.id],
    });
    expect(b!.concurrent).toEqual([]);
  });

  it('lets exactly one of two racing writers with the same view win', async () => {
    const log = await ledger();
    const [a] = await log.append('ledger/1', edit(0));
    const outcomes = await Promise.allSettled([
      log.append('ledger/1', edit(1), { expected: [a!.event.id] }),
      log.append('ledger/1', edit(2), { expected: [a!.event.id] }),
    ]);
    expect(outcomes.map((o) => o.status).sort()).toEqual([
      'fulfilled',
      'rejected',
    ]);
  });
});
