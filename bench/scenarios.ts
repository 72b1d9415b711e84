import { appendCostScenarios } from './append-cost.ts';
import type { Scenario } from './scenario.ts';
import { traceConcurrentScenario } from './trace-concurrent.ts';

/** Every scenario, in the order a full run measures them. */
export const SCENARIOS: Scenario[] = [
  ...appendCostScenarios,
  traceConcurrentScenario,
];
