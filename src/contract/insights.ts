// The insights' part of the page–worker contract (see ./index.ts).
import type { InsightsData } from '../doc/insights.ts';

export type {
  ConflictKind,
  ConflictPoint,
  InsightsData,
} from '../doc/insights.ts';

export interface InsightsService {
  /** The insights of one document, or of the whole log when `docId` is omitted. */
  insights(docId?: string): Promise<InsightsData>;
}
