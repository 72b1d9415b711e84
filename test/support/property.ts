import fc from 'fast-check';
import { setting } from './setting.ts';

/**
 * How long a property test may take when FC_RUNS sets its run count (`npm run fuzz`
 * runs 10,000): the runs' own time, up to an hour. vite.config.ts gives the tests
 * with no timeout of their own the same.
 */
export const FUZZ_TIMEOUT_MS = 3_600_000;

/**
 * A property test's timeout: `ms`, sized for its sample in `npm test`; with FC_RUNS
 * set, FUZZ_TIMEOUT_MS, so that a long run is not ended for doing its work. A run
 * that hangs is still caught by assertProperty's per-run `timeout`, with its seed.
 */
export function propertyTimeout(ms: number): number {
  return setting('FC_RUNS') ? Math.max(ms, FUZZ_TIMEOUT_MS) : ms;
}

/**
 * fc.assert with replay from the environment: FC_SEED (and FC_PATH) rerun one
 * failing case, FC_RUNS overrides the run count. fast-check's failure message
 * carries the seed and path; we print the replay command beside it.
 */
export async function assertProperty<T>(
  property: fc.IAsyncPropertyWithHooks<T>,
  runs: number,
  /** `timeout`: ms one run may take; a run that hangs fails, with its seed. */
  options: { timeout?: number } = {},
): Promise<void> {
  const seed = setting('FC_SEED')
    ? Number(setting('FC_SEED'))
    : Date.now() ^ (Math.random() * 0x100000000);
  const params: fc.Parameters<T> = {
    seed,
    numRuns: setting('FC_RUNS') ? Number(setting('FC_RUNS')) : runs,
    ...(setting('FC_PATH') ? { path: setting('FC_PATH')! } : {}),
    ...options,
  };
  try {
    await fc.assert(property, params);
  } catch (error) {
    console.error(
      `Property failed. Replay with: FC_SEED=${seed} npx vitest run <this file>`,
    );
    throw error;
  }
}
