/**
 * A test setting (FC_SEED, FORKLINE_TRIALS, …): process.env in Node; in Chromium,
 * what vite.config.ts passes as test.env.
 */
export function setting(name: string): string | undefined {
  const fromNode = (
    globalThis as { process?: { env?: Record<string, string> } }
  ).process?.env?.[name];
  return (
    fromNode ?? (import.meta.env as Record<string, string | undefined>)[name]
  );
}
