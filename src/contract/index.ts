// The contract between a page and its log worker, by concern: the log, documents,
// the event explorer, the insights, sync and files. Pages import it with `import type` only, and nothing from worker/;
// everything crossing it is structured-cloneable, and callbacks cross as Comlink
// proxies. The two helpers both sides install (error-transfer.ts, transferables.ts)
// live beside it.
import type { DocumentService } from './documents.ts';
import type { ExplorerService } from './explorer.ts';
import type { InsightsService } from './insights.ts';
import type { FilesService } from './files.ts';
import type { LogCore } from './log.ts';
import type { SyncService } from './sync.ts';

export type * from './documents.ts';
export type * from './explorer.ts';
export type * from './insights.ts';
export type * from './files.ts';
export type * from './log.ts';
export type * from './sync.ts';

/** Everything a log worker answers. */
export interface LogService
  extends
    LogCore,
    DocumentService,
    ExplorerService,
    InsightsService,
    SyncService,
    FilesService {}
