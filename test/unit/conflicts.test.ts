import { describe, expect, it } from 'vitest';
import { openLog } from '../../src/index.ts';

describe('generic conflicts of a stream', () => {
  it('lists nothing for a linear history', async () => {
    const log = await openLog();
    await log.append(
      'doc/a',
      [1, 2].map((n) => ({ type: 't', data: n })),
    );
    expect(await log.conflicts('doc/a')).toEqual([]);
  });

  it('shows unmerged concurrent heads as unresolved, with their fork point', async () => {
    const log = await openLog();
    const [base] = await log.append('doc/a', { type: 't', data: 0 });
    const [x] = await log.append('doc/a', { type: 't', data: 1 });
    const [y] = await log.append(
      'doc/a',
      { type: 't', data: 2 },
      { expected: [base!.event.id] },
    );
    expect(await log.conflicts('doc/a')).toEqual([
      {
        stream: 'doc/a',
        kind: 'concurrent-appends',
        events: [x!.event.id, y!.event.id],
        forkPoint: [base!.event.id],
        state: 'unresolved',
      },
    ]);
  });

  it('marks a fork resolved by the event that saw both sides', async () => {
    const log = await openLog();
    const [base] = await log.append('doc/a', { type: 't', data: 0 });
    const xs = await log.append('doc/a', [
      { type: 't', data: 1 },
      { type: 't', data: 2 },
    ]);
    const [y] = await log.append(
      'doc/a',
      { type: 't', data: 3 },
      { expected: [base!.event.id] },
    );
    const [merge] = await log.append('doc/a', { type: 't', data: 4 });
    const [conflict] = await log.conflicts('doc/a');
    expect(conflict).toMatchObject({
      state: 'resolved',
      resolvedBy: merge!.event.id,
      forkPoint: [base!.event.id],
    });
    expect(new Set(conflict!.events)).toEqual(
      new Set([...xs.map((r) => r.event.id), y!.event.id]),
    );
    expect(await log.conflicts('doc/a')).toHaveLength(1);
  });

  it('has an empty fork point for two roots', async () => {
    const log = await openLog();
    await log.append('doc/a', { type: 't', data: 0 });
    await log.append(
      'doc/a',
      { type: 't', data: 1 },
      { expected: 'no-stream' },
    );
    const [conflict] = await log.conflicts('doc/a');
    expect(conflict).toMatchObject({ forkPoint: [], state: 'unresolved' });
    expect(conflict!.events).toHaveLength(2);
  });
});

describe('fork point and stream listing', () => {
  it('finds the latest common ancestors of concurrent events', async () => {
    const log = await openLog();
    const [base] = await log.append('doc/a', { type: 't', data: 0 });
    const [x] = await log.append('doc/a', { type: 't', data: 1 });
    const [y] = await log.append(
      'doc/a',
      { type: 't', data: 2 },
      { expected: [base!.event.id] },
    );
    expect(await log.forkPoint([x!.event.id, y!.event.id])).toEqual([
      base!.event.id,
    ]);
    expect(await log.forkPoint([x!.event.id, base!.event.id])).toEqual([
      base!.event.id,
    ]);
    await expect(
      log.forkPoint(['AAAAAAAAAAAAAAAAAAAAAA']),
    ).rejects.toMatchObject({ code: 'UNKNOWN_EVENT' });
  });

  it('lists streams by prefix', async () => {
    const log = await openLog();
    for (const s of ['doc/b', 'doc/a', 'ledger/1'])
      await log.append(s, { type: 't', data: 0 });
    expect(await log.streams('doc/')).toEqual(['doc/a', 'doc/b']);
    expect(await log.streams()).toEqual(['doc/a', 'doc/b', 'ledger/1']);
  });
});
