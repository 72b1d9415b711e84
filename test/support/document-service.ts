import type { Store } from '../../src/log/store.ts';
import { createDocumentService } from '../../worker/document-service.ts';

/**
 * The worker's document service over `log` and its store: no author, its commits
 * and the errors it passes over unwatched.
 */
export const documentService = (
  log: Parameters<typeof createDocumentService>[0],
  store: Store,
) =>
  createDocumentService(
    log,
    store,
    undefined,
    () => undefined,
    () => undefined,
  );
