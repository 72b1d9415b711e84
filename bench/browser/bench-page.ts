// A bare page the harness drives through page.evaluate: it starts the real log
// worker (and the raw idb baseline's worker) and times them from the page.
import {
  appendBatches,
  appendSingles,
  deleteDatabase,
  idbPutBatches,
  idbPutSingles,
} from './append-runs.ts';
import { timeCatchUp } from './catch-up-runs.ts';
import { timeCompaction, typeDuringCompaction } from './compaction-runs.ts';
import { fillHotTail } from './hot-tail.ts';
import type { BenchPage } from './protocol.ts';
import {
  acknowledgeAppends,
  acknowledgeBroadcasts,
  closeTab,
  openTab,
  stopAcknowledging,
  timeAppendsToTab,
  timeBroadcastHops,
} from './tab-runs.ts';
import { measureImportedStorage } from './storage-runs.ts';
import {
  buildSourceLog,
  closeSourceLog,
  timeExport,
  timeIdbImport,
  timeImport,
  timeStringify,
} from './transfer-runs.ts';

const bench: BenchPage = {
  appendBatches,
  idbPutBatches,
  appendSingles,
  idbPutSingles,
  openTab,
  closeTab,
  acknowledgeAppends,
  timeAppendsToTab,
  acknowledgeBroadcasts,
  timeBroadcastHops,
  stopAcknowledging,
  buildSourceLog,
  closeSourceLog,
  timeExport,
  timeStringify,
  timeImport,
  timeIdbImport,
  measureImportedStorage,
  timeCatchUp,
  fillHotTail,
  timeCompaction,
  typeDuringCompaction,
  deleteDatabase,
  visibility: () => document.visibilityState,
};
Object.assign(globalThis, { bench });
