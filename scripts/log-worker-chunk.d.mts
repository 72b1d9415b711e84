import type { Plugin } from 'vite';

/** Emits the log worker as a chunk of the app's build; see log-worker-chunk.mjs. */
export function logWorkerChunk(): Plugin;
