// The supervisor's restart logic against workers whose life the test controls: the
// races here (a worker dying while it is being started) cannot be timed with real
// workers. Real workers dying are covered by test/e2e/worker-restart.test.ts and
// the crash trials.
import { afterEach, describe, expect, it } from 'vitest';
import type { LogWorker } from '../../src/ui/log-client.ts';
import {
  superviseLogWorker,
  type LogSupervisor,
  type LogSupervisorOptions,
} from '../../src/ui/log-supervisor.ts';

interface FakeWorker extends LogWorker {
  readonly n: number;
  die(): void;
  dead: boolean;
}

/** Never settles: what a Comlink call to a dead worker does. */
const never = new Promise<never>(() => undefined);

/**
 * Worker number n answers `position()` with n. `watchHangs` keeps its first call
 * (`watch`, made while it is being started) pending until it dies.
 */
function fakeWorker(n: number, watchHangs = false): FakeWorker {
  let die!: () => void;
  const gone = new Promise<void>((resolve) => (die = resolve));
  const worker: FakeWorker = {
    n,
    dead: false,
    opened: { actor: 'actor-1', database: 'db' },
    gone,
    die() {
      worker.dead = true;
      die();
    },
    terminate: () => worker.die(),
    service: new Proxy(
      {},
      {
        get(_, key) {
          if (key === 'then') return undefined;
          return async () => {
            if (worker.dead) return never;
            if (key === 'watch' && watchHangs) return never;
            if (key === 'position') return n;
            return undefined;
          };
        },
      },
    ) as LogWorker['service'],
  };
  return worker;
}

/** Makes each started worker with `make(n)`, n counting from 1. */
function starting(make: (n: number) => FakeWorker) {
  const started: FakeWorker[] = [];
  const startWorker: LogSupervisorOptions['startWorker'] = async () => {
    const worker = make(started.length + 1);
    started.push(worker);
    return worker;
  };
  return { started, startWorker };
}

/** Resolves after a macrotask: proof the page's event loop was not starved meanwhile. */
const aTick = () => new Promise((resolve) => setTimeout(resolve, 0));

let supervisor: LogSupervisor | undefined;
afterEach(() => supervisor?.stop());

describe('the log supervisor', () => {
  it('answers a read from the next worker when the current one dies', async () => {
    const { started, startWorker } = starting((n) => fakeWorker(n));
    supervisor = await superviseLogWorker({
      open: {},
      onNotice: () => undefined,
      startWorker,
    });
    expect(await supervisor.service.position()).toBe(1);
    started[0]!.die();
    expect(await supervisor.service.position()).toBe(2);
    expect(supervisor.restarts).toBe(1);
  });

  it('starts another when the replacement dies while starting, and never spins', async () => {
    // Worker 2 dies while the supervisor waits for its first answer.
    const { started, startWorker } = starting((n) => fakeWorker(n, n === 2));
    supervisor = await superviseLogWorker({
      open: {},
      onNotice: () => undefined,
      startWorker,
    });
    started[0]!.die();
    const read = supervisor.service.position();
    while (started.length < 2) await aTick();
    started[1]!.die();
    // A read asked meanwhile is answered by worker 3, and timers kept running.
    expect(await read).toBe(3);
    await aTick();
    expect(started.map((w) => w.dead)).toEqual([true, true, false]);
  });

  it('starts another when the very first worker dies while starting', async () => {
    const { started, startWorker } = starting((n) => fakeWorker(n, n === 1));
    const starting1 = superviseLogWorker({
      open: {},
      onNotice: () => undefined,
      startWorker,
    });
    while (started.length < 1) await aTick();
    started[0]!.die();
    supervisor = await starting1;
    expect(await supervisor.service.position()).toBe(2);
  });

  it('rejects calls after stop() instead of waiting for a worker that never comes', async () => {
    const { startWorker } = starting((n) => fakeWorker(n));
    supervisor = await superviseLogWorker({
      open: {},
      onNotice: () => undefined,
      startWorker,
    });
    supervisor.stop();
    await expect(supervisor.service.position()).rejects.toThrow(/stopped/);
  });
});
