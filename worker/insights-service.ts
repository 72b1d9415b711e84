import type { Log, ProjectionHandle, Store } from '../src/index.ts';
import { DOC_PREFIX } from '../src/doc/doc-events.ts';
import type { DocConflict } from '../src/doc/doc-conflicts.ts';
import {
  insightsOf,
  insightsProjection,
  mayHaveDeletionConflicts,
  type ConflictPoint,
  type InsightsState,
} from '../src/doc/insights.ts';
import { timeOf } from '../src/log/event-time.ts';
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
  /**
   * A document's conflicts, as its timeline lists them: where the insights take
   * deletions made while another writer edited (`mayHaveDeletionConflicts`).
   */
  conflictsOf?: (docId: string) => Promise<DocConflict[]>,
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
      const scope = docId === undefined ? undefined : [docId];
      const data = insightsOf(state, scope);
      if (!conflictsOf) return data;
      const deletions: ConflictPoint[] = [];
      for (const id of mayHaveDeletionConflicts(state, scope))
        for (const c of await conflictsOf(id))
          if (c.kind === 'deleted') deletions.push(await pointOf(log, id, c));
      if (deletions.length === 0) return data;
      // By time, as insightsOf orders them; those without one first.
      const at = (p: ConflictPoint) => Date.parse(p.time) || -Infinity;
      data.conflicts = [...data.conflicts, ...deletions].sort(
        (a, b) => at(a) - at(b),
      );
      return data;
    },
  };
}

/** A deletion conflict of the timeline as the insights plot it. */
async function pointOf(
  log: Log,
  docId: string,
  c: DocConflict,
): Promise<ConflictPoint> {
  const point: ConflictPoint = {
    docId,
    time: c.from,
    kind: 'deletion',
    state: c.state === 'unresolved' ? 'unresolved' : 'resolved',
  };
  const resolver = c.resolvedBy && (await log.get(c.resolvedBy));
  const after = resolver ? timeOf(resolver.time) - timeOf(c.to) : NaN;
  if (Number.isFinite(after)) point.resolvedAfter = Math.max(0, after);
  return point;
}
