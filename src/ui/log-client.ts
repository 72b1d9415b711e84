import { wrap, type Remote } from 'comlink';
import type { LogService, OpenOptions, Opened } from '../../worker/protocol.ts';
import { installErrorTransfer } from '../../worker/error-transfer.ts';

installErrorTransfer();

export interface LogWorker {
  service: Remote<LogService>;
  opened: Opened;
  terminate(): void;
}

/** Starts this tab's log worker, opens its database and returns the Comlink proxy. */
export async function startLogWorker(
  options: OpenOptions = {},
): Promise<LogWorker> {
  const worker = new Worker(
    new URL('../../worker/log-worker.ts', import.meta.url),
    {
      type: 'module',
      name: 'forkline-log',
    },
  );
  const service = wrap<LogService>(worker);
  const opened = await service.open(options);
  return { service, opened, terminate: () => worker.terminate() };
}
