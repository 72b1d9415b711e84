import { proxy, type Remote } from 'comlink';
import { ForklineError } from '../log/errors.ts';
import type {
  Delivery,
  DocumentFacts,
  LogService,
  OpenOptions,
  SubscribeOptions,
  WorkerNotice,
} from '../contract/index.ts';
import { startLogWorker, type LogWorker } from './log-client.ts';
import {
  MAX_BACKOFF_MS,
  PING_EVERY_MS,
  PING_TIMEOUT_MS,
  QUICK_RESTART_MS,
  START_TIMEOUT_MS,
} from './supervisor-timing.ts';

/** Calls that only read: cut short by a worker's death, they are asked again of the next one. */
const RETRIED_ON_RESTART = new Set<string>([
  'heads',
  'readStream',
  'readAfter',
  'versionVector',
  'position',
  'conflicts',
  'verifyLog',
  'storage',
  'exportLog',
  'listDocuments',
  'documentSnapshot',
  'documentView',
  'documentFacts',
  'conflictChanges',
  'historyPage',
  'historyVersion',
  'historyJump',
  'restoredVersion',
]);

/**
 * A write was sent to a worker that died before answering: it may or may not have
 * been committed. The caller decides whether to look in the log and send again.
 */
export class WorkerStoppedError extends ForklineError {
  // Spelled out: a minified build renames the class, and the page shows this name.
  override readonly name = 'WorkerStoppedError';
  readonly code = 'WORKER_STOPPED';
  /** `forGood`: stop() was called; no worker will serve this call, nothing was sent. */
  constructor(
    readonly method: string,
    readonly forGood = false,
  ) {
    super(
      forGood
        ? `The log worker was stopped for good; ${method} was not sent.`
        : `The log worker stopped before confirming ${method}; it was restarted. Check the log before sending it again.`,
    );
  }
}

export interface LogSupervisorOptions {
  open: OpenOptions;
  /** Notices to show the user (a schema upgrade elsewhere). */
  onNotice(notice: WorkerNotice): void;
  /** The worker died or lost its database connection; a new one is starting. */
  onRestarting?(reason: string): void;
  /** The new worker is up and every subscription resumed where it stopped. */
  onRestarted?(): void;
  /** A restart failed and will be tried again; or gave up. */
  onRestartFailed?(error: Error): void;
  /** Starts one worker: `startLogWorker` unless a test passes its own. */
  startWorker?: typeof startLogWorker;
}

export interface SupervisedSubscription {
  /** Position of the last event delivered. */
  readonly position: number;
  unsubscribe(): Promise<void>;
}

export interface LogSupervisor {
  readonly actor: string;
  /**
   * The running worker's service, the same object across restarts. During a restart
   * calls wait for the new worker. A call the dying worker never answered is asked
   * again if it only reads; a write rejects with WorkerStoppedError.
   */
  readonly service: Remote<LogService>;
  /** Like LogService.subscribe, resumed on every new worker from the last delivered position. */
  subscribe(
    stream: string | null,
    fromPosition: number,
    onEvents: (batch: Delivery[], facts?: DocumentFacts) => void,
    options?: SubscribeOptions,
  ): Promise<SupervisedSubscription>;
  /** How many times the worker was replaced. */
  readonly restarts: number;
  /** Terminates the worker for good. */
  stop(): void;
}

interface Launched {
  worker: LogWorker;
  /** Resolves with the reason once this worker can no longer serve. */
  gone: Promise<string>;
  /** Whether `gone` has resolved: known at once, not a microtask later. */
  dead: boolean;
  /** A replacement is on its way (it stays current until the new one is up). */
  replaced: boolean;
}

interface Subscription {
  stream: string | null;
  position: number;
  onEvents: (batch: Delivery[], facts?: DocumentFacts) => void;
  options: SubscribeOptions;
  on: Launched | undefined;
  id: number | undefined;
  active: boolean;
}

const GONE: unique symbol = Symbol('worker gone');

/**
 * Runs this tab's log worker and replaces it when it dies (terminated, crashed) or
 * when the browser closes its IndexedDB connection, resuming every subscription
 * from its last delivered position: no gap, no duplicate.
 */
export async function superviseLogWorker(
  options: LogSupervisorOptions,
): Promise<LogSupervisor> {
  const subscriptions = new Set<Subscription>();
  let stopped = false;
  let restarts = 0;
  let lastRestartAt = -Infinity;
  let backoffMs = 125;

  const startWorker = options.startWorker ?? startLogWorker;

  /**
   * Starts a worker and waits for its first answer. The worker may die meanwhile:
   * the result then says `dead`, and the caller must not make it current.
   */
  async function launch(): Promise<Launched> {
    const worker = await startWorker(options.open, {
      timeoutMs: START_TIMEOUT_MS,
    });
    let resolveGone!: (reason: string) => void;
    const launched: Launched = {
      worker,
      gone: new Promise<string>((resolve) => (resolveGone = resolve)),
      dead: false,
      replaced: false,
    };
    const { gone } = launched;
    const lose = (reason: string) => {
      launched.dead = true;
      resolveGone(reason);
    };
    void worker.gone.then(() => lose('The log worker stopped.'));
    const stopWatchdog = watchdog(worker, () => {
      worker.terminate();
      lose('The log worker stopped answering.');
    });
    void gone.then(stopWatchdog);
    await Promise.race([
      worker.service.watch(
        proxy((notice: WorkerNotice) => {
          if (notice.kind === 'connection-lost')
            lose('The browser closed the connection to local storage.');
          else options.onNotice(notice);
        }),
      ),
      gone,
    ]);
    void gone.then((reason) => replace(launched, reason));
    return launched;
  }

  /** Pings `worker` now and then; calls `silent` once a ping goes unanswered too long. */
  function watchdog(worker: LogWorker, silent: () => void): () => void {
    let waiting = false;
    let deadline: ReturnType<typeof setTimeout> | undefined;
    const timer = setInterval(() => {
      if (waiting) return;
      waiting = true;
      deadline = setTimeout(silent, PING_TIMEOUT_MS);
      void worker.service.ping().then(() => {
        waiting = false;
        clearTimeout(deadline);
      });
    }, PING_EVERY_MS);
    return () => {
      clearInterval(timer);
      clearTimeout(deadline);
    };
  }

  /** Launches until a worker survives its start; each failure waits longer. */
  async function launchLive(failures: number): Promise<Launched> {
    for (let attempt = 0; ; attempt++) {
      const quick = Date.now() - lastRestartAt < QUICK_RESTART_MS;
      backoffMs =
        attempt > 0 || quick ? Math.min(MAX_BACKOFF_MS, backoffMs * 2) : 125;
      if (attempt > 0 || quick) await delay(backoffMs);
      lastRestartAt = Date.now();
      try {
        const next = await launch();
        if (stopped) {
          next.worker.terminate();
          throw new WorkerStoppedError('start', true);
        }
        if (next.dead) {
          // Noticed before it became current, so replace() ignored it. Dead, or
          // cut off from its database: either way it serves nothing.
          next.worker.terminate();
          throw new Error('The log worker stopped as it started.');
        }
        return next;
      } catch (error) {
        if (stopped || attempt + 1 >= failures) throw error;
        options.onRestartFailed?.(error as Error);
      }
    }
  }

  // Declared before the first launch: a worker dying at once calls replace(), which reads it.
  let current: Launched | undefined;
  current = await launchLive(3);
  let running: Promise<Launched> = Promise.resolve(current);

  function replace(dead: Launched, reason: string): void {
    if (stopped || dead !== current || dead.replaced) return;
    dead.replaced = true;
    dead.worker.terminate();
    options.onRestarting?.(reason);
    running = (async () => {
      const next = await launchLive(Infinity);
      current = next;
      restarts++;
      await Promise.all(
        [...subscriptions].map((s) => attach(s, next).catch(() => {})),
      );
      return next;
    })();
    // Rejects only once stopped: the calls waiting on it reject with it.
    void running.then(
      () => options.onRestarted?.(),
      () => undefined,
    );
  }

  async function attach(subscription: Subscription, on: Launched) {
    subscription.on = on;
    subscription.id = undefined;
    const deliver = proxy((batch: Delivery[], facts?: DocumentFacts) => {
      // A dead worker's late messages are dropped: the new subscription re-reads them.
      if (!subscription.active || subscription.on !== on || batch.length === 0)
        return;
      subscription.position = batch[batch.length - 1]!.position;
      subscription.onEvents(batch, facts);
    });
    const id = await Promise.race([
      on.worker.service.subscribe(
        subscription.stream,
        subscription.position,
        deliver,
        subscription.options,
      ),
      on.gone.then(() => undefined),
    ]);
    if (subscription.on === on) subscription.id = id;
    if (!subscription.active && id !== undefined)
      await on.worker.service.unsubscribe(id);
  }

  async function call(method: string, args: unknown[]): Promise<unknown> {
    for (;;) {
      const on = await running;
      const fn = (on.worker.service as unknown as Record<string, unknown>)[
        method
      ] as (...a: unknown[]) => Promise<unknown>;
      const outcome: { value: unknown } | { error: unknown } | typeof GONE =
        await Promise.race([
          fn(...args).then(
            (value) => ({ value }),
            (error: unknown) => ({ error }),
          ),
          on.gone.then((): typeof GONE => GONE),
        ]);
      if (typeof outcome === 'symbol') {
        if (stopped) throw new WorkerStoppedError(method, true);
        // Normally done already by the worker's own gone.then(); never skipped.
        replace(on, await on.gone);
        if (!RETRIED_ON_RESTART.has(method))
          throw new WorkerStoppedError(method);
        // Asked again of the next worker. After a task, not a microtask: should a
        // dead worker ever stay current, this waits instead of freezing the page.
        await delay(0);
        continue;
      }
      if ('error' in outcome) throw outcome.error;
      return outcome.value;
    }
  }

  const service = new Proxy(
    {},
    {
      get(_, key) {
        // 'then': the proxy is not a promise, so awaiting it yields it.
        if (typeof key !== 'string' || key === 'then') return undefined;
        return (...args: unknown[]) => call(key, args);
      },
    },
  ) as Remote<LogService>;

  return {
    actor: current.worker.opened.actor,
    service,
    get restarts() {
      return restarts;
    },
    async subscribe(stream, fromPosition, onEvents, options = {}) {
      if (stopped) throw new WorkerStoppedError('subscribe', true);
      const subscription: Subscription = {
        stream,
        position: fromPosition,
        onEvents,
        options,
        on: undefined,
        id: undefined,
        active: true,
      };
      subscriptions.add(subscription);
      // If the worker dies meanwhile, the restart attaches it to the next one.
      await attach(subscription, await running);
      return {
        get position() {
          return subscription.position;
        },
        async unsubscribe() {
          subscription.active = false;
          subscriptions.delete(subscription);
          const { on, id } = subscription;
          if (on && on === current && id !== undefined)
            await on.worker.service.unsubscribe(id).catch(() => undefined);
        },
      };
    },
    stop() {
      stopped = true;
      current?.worker.terminate();
    },
  };
}

const delay = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));
