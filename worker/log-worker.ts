/// <reference lib="webworker" />
import { expose } from 'comlink';
import { openLog } from '../src/index.ts';
import { createLogService } from './log-service.ts';

// One log per worker. The IndexedDB store replaces the memory store in the next step.
const service = openLog().then(createLogService);

expose({
  actor: async () => (await service).actor(),
  append: async (...args: Parameters<Awaited<typeof service>['append']>) =>
    (await service).append(...args),
  heads: async (stream: string) => (await service).heads(stream),
  readStream: async (stream: string, at?: string[]) =>
    (await service).readStream(stream, at),
  versionVector: async () => (await service).versionVector(),
  conflicts: async (stream: string) => (await service).conflicts(stream),
});
