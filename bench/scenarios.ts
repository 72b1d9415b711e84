import { appendBatchScenario } from './append-batch.ts';
import { appendCostScenarios } from './append-cost.ts';
import { appendSingleScenario } from './append-single.ts';
import { authorshipLiveScenario } from './authorship-live.ts';
import { bundleScenario } from './bundle-size.ts';
import { compactionScenario } from './compaction.ts';
import { conflictsQueryScenario } from './conflicts-query.ts';
import { docCatchUpScenario } from './doc-catch-up.ts';
import { relayScenarios } from './relay-throughput.ts';
import { relayClusterScenario } from './relay-cluster.ts';
import { relayFanoutScenario } from './relay-fanout.ts';
import { relayRssScenario } from './relay-rss.ts';
import { exportScenario, importScenario } from './log-transfer.ts';
import { insightsScenario } from './insights.ts';
import { storageBytesScenario } from './storage-bytes.ts';
import type { Scenario } from './scenario.ts';
import { openColdScenario } from './open-cold.ts';
import { tabsKeystrokeScenario } from './tabs-keystroke.ts';
import { tabsKeystrokeLargeScenario } from './tabs-keystroke-large.ts';
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
  conflictsQueryScenario,
  appendBatchScenario,
  appendSingleScenario,
  tabsPropagationScenario,
  tabsKeystrokeScenario,
  tabsKeystrokeLargeScenario,
  docCatchUpScenario,
  authorshipLiveScenario,
  openColdScenario,
  exportScenario,
  importScenario,
  compactionScenario,
  insightsScenario,
  storageBytesScenario,
  ...relayScenarios,
  relayFanoutScenario,
  relayClusterScenario,
  relayRssScenario,
  bundleScenario,
];
