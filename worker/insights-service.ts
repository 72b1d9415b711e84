import type { Log, ProjectionHandle, Store } from '../src/index.ts';
import { DOC_PREFIX } from '../src/doc/doc-events.ts';
import {
  insightsOf,
  insightsProjection,
  type InsightsState,
} from '../src/doc/insights.ts';
import { projectionKeyOf } from '../src/log/projections.ts';
import type { InsightsService } from '../src/contract/index.ts';

/** The projection's name: its checkpoint's key, whatever the state's format. */
export const INSIGHTS = 'insights';
/**
 * The names earlier versions checkpointed insights under, one per format, each
 * left behind by the next (up to 3 MB at 260k events): deleted once opened.
 */
export const RETIRED_INSIGHTS = Array.from(
  { length: 7 },
  (_, i) => `insights.v${i + 1}`,
);

/**
 * Insights over the worker's log, from one projection the log keeps current and
 * checkpointed (DESIGN §11 `project`): asking costs what arrived since the last ask.
 */
export function createInsightsService(
  log: Log,
  store: Store,
  onIgnoredError: (error: unknown) => void = () => undefined,
): InsightsService {
  let projection: Promise<ProjectionHandle<InsightsState>> | undefined;
  const insights = insightsProjection();
  const open = async () => {
    const handle = await log.project(INSIGHTS, insights, {
      streams: DOC_PREFIX,
    });
    // Caches no reader will use again; failing to delete them costs only room.
    await Promise.all(
      RETIRED_INSIGHTS.map((name) =>
        store.deleteSnapshot(projectionKeyOf(name)).catch(onIgnoredError),
      ),
    );
    return handle;
  };
  const kept = () =>
    (projection ??= open()).catch((error: unknown) => {
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
