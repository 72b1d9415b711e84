import { transfer, wrap, type Remote } from 'comlink';
import type { AppendOptions, AppendResult, EventInput } from '../index.ts';
import type { LogService, OpenOptions, Opened } from '../../worker/protocol.ts';
import { installErrorTransfer } from '../../worker/error-transfer.ts';
import { byteBuffersOf } from '../../worker/transferables.ts';

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
