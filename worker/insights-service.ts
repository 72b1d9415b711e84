import type { Log, ProjectionHandle } from '../src/index.ts';
import { DOC_PREFIX } from '../src/doc/doc-events.ts';
import {
  insightsOf,
  insightsProjection,
  type InsightsState,
} from '../src/doc/insights.ts';
import type { InsightsService } from '../src/contract/index.ts';

/**
 * Insights over the worker's log, from one projection the log keeps current and
 * checkpointed (DESIGN §11 `project`): asking costs what arrived since the last ask.
 */
export function createInsightsService(log: Log): InsightsService {
  let projection: Promise<ProjectionHandle<InsightsState>> | undefined;
  const insights = insightsProjection();
  // Checkpointed under the name of its state's shape: a new shape starts afresh.
  const kept = () =>
    (projection ??= log.project(insights.snapshot!.name, insights, {
      streams: DOC_PREFIX,
    })).catch((error: unknown) => {
      projection = undefined;
      throw error;
    });
  return {
    async insights(docId) {
      const { state } = await kept();
      return insightsOf(state, docId === undefined ? undefined : [docId]);
    },
  };
}
