import { wrap, releaseProxy } from 'comlink';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogService } from '../../worker/protocol.ts';

describe('the log worker, driven through Comlink', () => {
  const workers: Worker[] = [];
  const start = () => {
    const worker = new Worker(
      new URL('../../worker/log-worker.ts', import.meta.url),
      { type: 'module' },
    );
    workers.push(worker);
    return wrap<LogService>(worker);
  };
  afterEach(() => workers.splice(0).forEach((w) => w.terminate()));

  it('appends, reads back and reports concurrency from inside a real worker', async () => {
    const log = start();
    const actor = await log.actor();
    expect(actor).toMatch(/^[A-Za-z0-9_-]{16}$/);
    const [base] = await log.append('doc/w', { type: 't', data: { n: 1 } });
    const [mine] = await log.append(
      'doc/w',
      { type: 't', data: new Uint8Array([1, 2]) },
      { expected: [base!.event.id] },
    );
    const [theirs] = await log.append(
      'doc/w',
      { type: 't', data: 3 },
      { expected: [base!.event.id] },
    );
    expect(theirs!.concurrent).toEqual([mine!.event.id]);
    const events = await log.readStream('doc/w');
    expect(events).toHaveLength(3);
    expect(events[1]!.data).toBeInstanceOf(Uint8Array);
    expect((await log.conflicts('doc/w'))[0]).toMatchObject({
      state: 'unresolved',
    });
    log[releaseProxy]();
  });

  it('carries a typed error across the thread boundary by name', async () => {
    const log = start();
    const error = await log
      .append('', { type: 't', data: 1 })
      .catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('InvalidEventError');
    expect((error as Error).message).toMatch(/stream/);
  });
});
