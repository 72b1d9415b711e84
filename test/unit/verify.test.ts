import { describe, expect, it } from 'vitest';
import { memoryStore, openLog, verifyStore } from '../../src/index.ts';

describe('verify', () => {
  it('passes a healthy log with concurrent branches', async () => {
    const log = await openLog();
    const [a] = await log.append('doc/a', { type: 't', data: 1 });
    await log.append('doc/a', { type: 't', data: 2 });
    await log.append(
      'doc/a',
      { type: 't', data: 3 },
      { expected: [a!.event.id] },
    );
    await log.append('doc/b', { type: 't', data: 4 });
    expect(await log.verify()).toEqual({
      ok: true,
      events: 4,
      streams: 2,
      actors: 1,
      problems: [],
    });
  });

  it('reports tampered content and a bad head record precisely', async () => {
    const store = memoryStore();
    const log = await openLog({ store });
    const [a] = await log.append('doc/a', { type: 't', data: 'original' });
    // Simulate disk corruption below the engine.
    (a!.event as { data: unknown }).data = 'altered';
    const record = (await store.event(a!.event.id))!;
    (record.event as { data: unknown }).data = 'altered';
    await store.write(async (tx) =>
      tx.putStream({ stream: 'doc/a', heads: [], size: 1 }),
    );
    const report = await verifyStore(store);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      {
        subject: a!.event.id,
        problem: expect.stringMatching(/^content hashes to /),
      },
      {
        subject: 'doc/a',
        problem: expect.stringMatching(
          /stored heads \[\] are not the real heads/,
        ),
      },
    ]);
  });
});
