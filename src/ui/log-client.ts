import { transfer, wrap, type Remote } from 'comlink';
import type { AppendOptions, AppendResult, EventInput } from '../index.ts';
import type { LogService, OpenOptions, Opened } from '../contract/index.ts';
import { installErrorTransfer } from '../contract/error-transfer.ts';
import { byteBuffersOf } from '../contract/transferables.ts';
import logWorkerUrl from 'virtual:forkline/log-worker-url';

installErrorTransfer();

export interface LogWorker {
  service: Remote<LogService>;
  opened: Opened;
  terminate(): void;
  /** Resolves once the worker is gone: terminated, crashed or closed by itself. */
  gone: Promise<void>;
}

/**
 * Starts this tab's log worker, opens its database and returns the Comlink proxy.
 * The worker holds a Web Lock for its whole life; waiting on that lock is how the
 * page learns the worker died, since Comlink calls to a dead worker never settle.
 */
export async function startLogWorker(
  options: OpenOptions = {},
  { timeoutMs = Infinity }: { timeoutMs?: number } = {},
): Promise<LogWorker> {
  const worker = new Worker(logWorkerUrl, {
    type: 'module',
    name: 'forkline-log',
  });
  const service = wrap<LogService>(worker);
  const lifeLock = navigator.locks
    ? `forkline:log-worker:${crypto.randomUUID()}`
    : undefined;
  // A worker that dies before answering open() leaves the call pending forever: give up on it.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const opened = await Promise.race([
    service.open({ ...options, ...(lifeLock ? { lifeLock } : {}) }),
    new Promise<never>((_, reject) => {
      if (timeoutMs === Infinity) return;
      timer = setTimeout(() => {
        worker.terminate();
        reject(
          new Error(
            `The log worker did not start within ${timeoutMs / 1000} s.`,
          ),
        );
      }, timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
  const gone = lifeLock
    ? navigator.locks
        .request(lifeLock, () => undefined)
        // Without the lock, death goes unnoticed here (the page still hears of a lost connection).
        .then(
          () => undefined,
          () => new Promise<void>(() => undefined),
        )
    : new Promise<void>(() => undefined);
  return { service, opened, terminate: () => worker.terminate(), gone };
}

/**
 * Appends through the worker, moving byte payloads instead of copying them. The
 * caller's Uint8Arrays are detached afterwards: pass updates it no longer needs.
 */
export function appendMoving(
  service: Remote<LogService>,
  stream: string,
  events: EventInput[],
  options?: AppendOptions,
): Promise<AppendResult[]> {
  return service.append(
    stream,
    transfer(events, byteBuffersOf(events)),
    options,
  );
}
