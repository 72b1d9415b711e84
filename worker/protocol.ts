// The contract between the page and its worker. The page imports this file with
// `import type` only; everything crossing it is structured-cloneable.
import type {
  AppendOptions,
  AppendResult,
  Conflict,
  EventId,
  EventInput,
  LogEvent,
  VersionVector,
} from '../src/index.ts';

export interface LogService {
  /** The replica id this worker writes as. */
  actor(): Promise<string>;
  append(
    stream: string,
    events: EventInput | EventInput[],
    options?: AppendOptions,
  ): Promise<AppendResult[]>;
  heads(stream: string): Promise<EventId[]>;
  /** The stream in canonical order, optionally as `at` heads saw it. */
  readStream(stream: string, at?: EventId[]): Promise<LogEvent[]>;
  versionVector(): Promise<VersionVector>;
  conflicts(stream: string): Promise<Conflict[]>;
}
