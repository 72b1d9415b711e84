import fc from 'fast-check';

/**
 * fc.assert with replay from the environment: FC_SEED (and FC_PATH) rerun one
 * failing case, FC_RUNS overrides the run count. fast-check's failure message
 * carries the seed and path; we print the replay command beside it.
 */
export async function assertProperty<T>(
  property: fc.IAsyncPropertyWithHooks<T>,
  runs: number,
): Promise<void> {
  const seed = process.env.FC_SEED
    ? Number(process.env.FC_SEED)
    : Date.now() ^ (Math.random() * 0x100000000);
  const params: fc.Parameters<T> = {
    seed,
    numRuns: process.env.FC_RUNS ? Number(process.env.FC_RUNS) : runs,
    ...(process.env.FC_PATH ? { path: process.env.FC_PATH } : {}),
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
