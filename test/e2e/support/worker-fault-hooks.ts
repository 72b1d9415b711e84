import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Runs in the log worker, first: keeps every IndexedDB connection the worker opens,
 * and gives fault tests `forklineDropStorageConnection()`, which does to them what
 * the browser does when it drops a connection (storage cleared, disk failure): closes
 * it and fires its `close` event. Chromium offers no way to make it drop one without
 * deleting the data. Serialized with toString, so it may use globals only.
 */
function installFaultHooks(): void {
  const connections = new Set<IDBDatabase>();
  const open = indexedDB.open.bind(indexedDB);
  indexedDB.open = (...args: Parameters<IDBFactory['open']>) => {
    const request = open(...args);
    request.addEventListener('success', () => connections.add(request.result));
    return request;
  };
  Object.assign(globalThis, {
    forklineDropStorageConnection() {
      for (const db of connections) {
        connections.delete(db);
        db.close();
        db.dispatchEvent(new Event('close'));
      }
    },
  });
}

/**
 * Runs in the page, first: keeps the log workers the page starts, and gives fault
 * tests `forklineTerminateLogWorker()`, which terminates the newest as the page's
 * supervisor terminates a stuck one: at once, even in the middle of a task, where a
 * worker closing itself stops only between tasks. Serialized, so globals only.
 */
function installPageFaultHooks(): void {
  const logWorkers: Worker[] = [];
  const NativeWorker = globalThis.Worker;
  globalThis.Worker = class extends NativeWorker {
    constructor(url: string | URL, options?: WorkerOptions) {
      super(url, options);
      if (String(url).includes('log-worker')) logWorkers.push(this);
    }
  };
  Object.assign(globalThis, {
    forklineTerminateLogWorker() {
      logWorkers.at(-1)?.terminate();
    },
  });
}

/** Puts `hook` in front of the one chunk in `dir`/assets whose name matches `chunk`. */
function prependHook(dir: string, chunk: RegExp, hook: () => void): string {
  const found = readdirSync(join(dir, 'assets')).filter((f) => chunk.test(f));
  if (found.length !== 1)
    throw new Error(
      `expected one ${chunk} chunk in ${dir}/assets, found ${found.length}`,
    );
  const file = join(dir, 'assets', found[0]!);
  writeFileSync(file, `(${hook.toString()})();\n` + readFileSync(file, 'utf8'));
  return `assets/${found[0]!}`;
}

/**
 * Gives the built app in `dir` its fault hooks: the hook code goes in front of the
 * log worker's module and of the page's entry module, which are otherwise the
 * production build's, byte for byte. Only the copy the e2e tests serve gets this;
 * the production build has no fault hook at all (test/e2e/production-build.test.ts
 * greps it). A module's body runs before the worker handles any message and before
 * the page starts its worker, so the hooks are in place before either does anything.
 * @returns the hooked modules' paths relative to `dir`: the worker's, the page's
 * @throws Error when the build has no single log worker or entry chunk
 */
export function addFaultHooks(dir: string): [worker: string, page: string] {
  return [
    prependHook(dir, /^log-worker-[\w-]+\.js$/, installFaultHooks),
    prependHook(dir, /^index-[\w-]+\.js$/, installPageFaultHooks),
  ];
}
