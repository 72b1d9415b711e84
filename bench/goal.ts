import type { BenchResult } from './scenario.ts';

const GOAL_PATTERN = /^\s*(<=|>=)\s*(\d+(?:\.\d+)?)\s*(x\b)?/;

/**
 * Whether a result meets its goal: "<= 1.2" bounds the value, "<= 2x yjs" the ratio
 * to the baseline. Undefined when there is no goal, or none this harness can read.
 */
export function goalMet(result: BenchResult): boolean | undefined {
  const match =
    result.goal === undefined ? null : GOAL_PATTERN.exec(result.goal);
  if (!match) return undefined;
  const [, operator, limitText, times] = match;
  const measured = times ? result.ratio : result.value;
  if (measured === undefined) return undefined;
  const limit = Number(limitText);
  return operator === '<=' ? measured <= limit : measured >= limit;
}
