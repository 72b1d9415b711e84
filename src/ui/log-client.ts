import { wrap, type Remote } from 'comlink';
import type { LogService } from '../../worker/protocol.ts';

/** Starts this tab's log worker and returns its Comlink proxy. */
export function startLogWorker(): {
  service: Remote<LogService>;
  worker: Worker;
} {
  const worker = new Worker(
    new URL('../../worker/log-worker.ts', import.meta.url),
    {
      type: 'module',
      name: 'forkline-log',
    },
  );
  return { service: wrap<LogService>(worker), worker };
}
