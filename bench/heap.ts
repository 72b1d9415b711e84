import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | undefined;

/** V8's `gc()`, exposed at run time: `npm run bench` passes Node no flags. */
function collector(): () => void {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  return collect;
}

const heapBytes = () => {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
};

/**
 * MB the heap (JS objects and ArrayBuffers) holds after `body`, for what `body`
 * returned: full collections before and after, while the result is still held. The
 * collections slow the next few hundred ms down, so scenarios measure this after
 * their timed runs. `release` then gets the result (to close logs, say).
 */
export async function retainedMegabytes<T>(
  body: () => T | Promise<T>,
  release: (result: T) => unknown = () => undefined,
): Promise<number> {
  const gc = collector();
  gc();
  gc();
  const before = heapBytes();
  const result = await body();
  gc();
  gc();
  const after = heapBytes();
  // Used after the collections, so they could not free it.
  await release(result);
  return (after - before) / 1e6;
}
