import { setting } from './setting.ts';

/**
 * Long trials (crash trials, kill sweeps, large-log round trips) run in full under
 * `npm run trials`, which sets FORKLINE_TRIALS; `npm test` runs a short seeded
 * sample of each, so it stays quick on a loaded two-core machine. Every trial prints
 * its seed: FORKLINE_SEED replays it, in either run.
 */

/** FORKLINE_TRIALS: how many crash trials `npm run trials` runs; unset in `npm test`. */
function trialsSetting(): number | undefined {
  const value = setting('FORKLINE_TRIALS');
  if (value === undefined || value === '') return undefined;
  const count = Number(value);
  if (!Number.isSafeInteger(count) || count < 1)
    throw new Error(`FORKLINE_TRIALS must be a whole number > 0, not ${value}`);
  return count;
}

/** True under `npm run trials`: long trials run at full size. */
export const fullTrials = trialsSetting() !== undefined;

/**
 * How many trials to run: `sample` in `npm test`; under `npm run trials`, `full`,
 * or FORKLINE_TRIALS itself when `full` is 'as-set' (the crash trials).
 */
export function trialCount(sample: number, full: number | 'as-set'): number {
  const set = trialsSetting();
  if (set === undefined) return sample;
  return full === 'as-set' ? set : full;
}

/**
 * The first seed of a run: FORKLINE_SEED to replay one, else new each run. Print it
 * with the failure, so any trial can be run again.
 */
export function trialSeed(): number {
  const value = setting('FORKLINE_SEED');
  return value ? Number(value) : Date.now() % 1_000_000;
}
