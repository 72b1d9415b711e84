// Modules that Vite plugins of this project make (scripts/log-worker-chunk.mjs).

declare module 'virtual:forkline/log-worker-url' {
  /** The URL of the log worker's module, for `new Worker(url, { type: 'module' })`. */
  const url: string;
  export default url;
}
