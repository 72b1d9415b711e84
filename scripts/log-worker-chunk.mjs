// The log worker as an entry of the app's own build, so that it shares chunks with
// the page. Vite builds a `new Worker(new URL(…))` worker apart from the page, and
// each bundle then carries its own copy of what both import (Yjs, lib0, Comlink,
// the engine): the page and its worker downloaded Yjs twice.
import { fileURLToPath } from 'node:url';

const ID = 'virtual:forkline/log-worker-url';
const RESOLVED = '\0' + ID;
const ENTRY = fileURLToPath(
  new URL('../worker/log-worker.ts', import.meta.url),
);

/**
 * `import url from 'virtual:forkline/log-worker-url'` is the URL of the log
 * worker's module: in a build, an emitted chunk of the app's own module graph (its
 * hashed file name); on the dev server, the TypeScript source, which Vite serves
 * transformed like any module.
 * @returns a Vite plugin
 */
export function logWorkerChunk() {
  let serving = true;
  return {
    name: 'forkline:log-worker-chunk',
    configResolved(config) {
      serving = config.command === 'serve';
    },
    resolveId: (id) => (id === ID ? RESOLVED : undefined),
    load(id) {
      if (id !== RESOLVED) return undefined;
      if (serving) return `export default ${JSON.stringify('/@fs' + ENTRY)};`;
      const ref = this.emitFile({
        type: 'chunk',
        id: ENTRY,
        name: 'log-worker',
      });
      return `export default import.meta.ROLLUP_FILE_URL_${ref};`;
    },
  };
}
