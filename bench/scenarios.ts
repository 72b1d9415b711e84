import { appendBatchScenario } from './append-batch.ts';
import { appendCostScenarios } from './append-cost.ts';
import { appendSingleScenario } from './append-single.ts';
import { bundleScenario } from './bundle-size.ts';
import { relayScenarios } from './relay-throughput.ts';
import { exportScenario, importScenario } from './log-transfer.ts';
import type { Scenario } from './scenario.ts';
import { tabsPropagationScenario } from './tabs-propagation.ts';
import { traceConcurrentScenario } from './trace-concurrent.ts';
import {
  traceConcurrentDocumentScenario,
  traceSequentialScenario,
} from './trace-document.ts';

/** Every scenario, in the order a full run measures them. */
export const SCENARIOS: Scenario[] = [
  ...appendCostScenarios,
  traceConcurrentScenario,
  traceSequentialScenario,
  traceConcurrentDocumentScenario,
  appendBatchScenario,
  appendSingleScenario,
  tabsPropagationScenario,
  exportScenario,
  importScenario,
  ...relayScenarios,
  bundleScenario,
];
