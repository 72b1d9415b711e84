import { openLogOn, type OpenLogOptions } from './log.ts';
import { memoryStore } from './memory-store.ts';
import type { Log } from './types.ts';

/** Opens a log over `store` (a fresh memory store by default). */
export function openLog(options: OpenLogOptions = {}): Promise<Log> {
  const { store = memoryStore(), ...rest } = options;
  return openLogOn(store, rest);
}
