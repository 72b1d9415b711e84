import type { Log, ProjectionHandle } from '../src/index.ts';
import type { DocConflict } from '../src/doc/doc-conflicts.ts';
import { DOC_PREFIX, docIdOf } from '../src/doc/doc-events.ts';
import {
  insightsOf,
  insightsProjection,
  type ConflictPoint,
  type InsightsState,
} from '../src/doc/insights.ts';
import type {
  DocumentService,
  InsightsService,
} from '../src/contract/index.ts';

/**
 * Insights over the worker's log: what its events say (a projection the log keeps
 * current, checkpointed) and the documents' conflicts (each document's own view of
 * them, memoized by its heads).
 */
export function createInsightsService(
  log: Log,
  documents: DocumentService,
): InsightsService {
  let projection: Promise<ProjectionHandle<InsightsState>> | undefined;
  const kept = () =>
    (projection ??= log.project('insights', insightsProjection(), {
      streams: DOC_PREFIX,
    })).catch((error: unknown) => {
      projection = undefined;
      throw error;
    });

  async function conflictsOf(docId: string): Promise<ConflictPoint[]> {
    const { conflicts } = await documents.documentFacts(docId);
    return Promise.all(
      (conflicts as DocConflict[]).map(async (c) => {
        const resolver = c.resolvedBy ? await log.get(c.resolvedBy) : undefined;
        const resolvedAfter = resolver
          ? Date.parse(resolver.time) - Date.parse(c.to)
          : undefined;
        return {
          docId,
          time: c.from,
          kind:
            c.kind === 'field'
              ? 'register'
              : c.overlapping
                ? 'overlapping text'
                : 'auto-merged',
          state: c.state,
          ...(resolvedAfter !== undefined && Number.isFinite(resolvedAfter)
            ? { resolvedAfter: Math.max(0, resolvedAfter) }
            : {}),
        } satisfies ConflictPoint;
      }),
    );
  }

  return {
    async insights(docId) {
      const handle = await kept();
      const docIds =
        docId === undefined
          ? (await log.streams(DOC_PREFIX)).map(docIdOf)
          : [docId];
      const conflicts = (await Promise.all(docIds.map(conflictsOf))).flat();
      return insightsOf(
        handle.state,
        conflicts,
        docId === undefined ? undefined : [docId],
      );
    },
  };
}
