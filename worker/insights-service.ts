import type { Log, ProjectionHandle } from '../src/index.ts';
import { DOC_PREFIX } from '../src/doc/doc-events.ts';
import {
  insightsOf,
  insightsProjection,
  type InsightsState,
} from '../src/doc/insights.ts';
import type { InsightsService } from '../src/contract/index.ts';

/** The checkpoint's name: a new one when the projection's state changes shape. */
const INSIGHTS = 'insights.v5';

/**
 * Insights over the worker's log, from one projection the log keeps current and
 * checkpointed (DESIGN §11 `project`): asking costs what arrived since the last ask.
 */
export function createInsightsService(log: Log): InsightsService {
  let projection: Promise<ProjectionHandle<InsightsState>> | undefined;
  const kept = () =>
    (projection ??= log.project(INSIGHTS, insightsProjection(), {
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
