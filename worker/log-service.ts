import type { Log } from '../src/index.ts';
import type { LogService } from './protocol.ts';

/** Adapts a Log to what crosses the thread boundary: arrays, not async iterables. */
export function createLogService(log: Log): LogService {
  return {
    actor: async () => log.actor,
    append: (stream, events, options) => log.append(stream, events, options),
    heads: (stream) => log.heads(stream),
    async readStream(stream, at) {
      const events = [];
      for await (const event of log.read(stream, at ? { at } : {}))
        events.push(event);
      return events;
    },
    versionVector: () => log.versionVector(),
    conflicts: (stream) => log.conflicts(stream),
  };
}
