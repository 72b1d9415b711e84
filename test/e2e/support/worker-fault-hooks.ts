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
 * Gives the log worker of the built app in `dir` its fault hooks: the hook code goes
 * in front of the worker's module, which is otherwise the production build's, byte
 * for byte. Only the copy the e2e tests serve gets this; the production build has no
 * fault hook at all (test/e2e/production-build.test.ts greps it). The module body
 * runs before the worker handles any message, so the hooks are in place before the
 * worker opens its database.
 * @returns the worker module's path relative to `dir`
 * @throws Error when the build has no single log worker chunk
 */
export function addFaultHooks(dir: string): string {
  const chunks = readdirSync(join(dir, 'assets')).filter((f) =>
    /^log-worker-[\w-]+\.js$/.test(f),
  );
  if (chunks.length !== 1)
    throw new Error(
      `expected one log worker chunk in ${dir}/assets, found ${chunks.length}`,
    );
  const file = join(dir, 'assets', chunks[0]!);
  const hooks = `(${installFaultHooks.toString()})();\n`;
  writeFileSync(file, hooks + readFileSync(file, 'utf8'));
  return `assets/${chunks[0]!}`;
}
