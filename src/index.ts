export {
  openLogOn,
  randomActorId,
  type LogOptions,
  type OpenLogOptions,
} from './log/log.ts';
export { openLog } from './log/open-log.ts';
export { memoryStore } from './log/memory-store.ts';
export { computeEventId, encodeForId, EVENT_ENCODING } from './log/event-id.ts';
export { canonicalJson } from './log/canonical-json.ts';
export { toCloudEvent, fromCloudEvent, MAX_LINE_LENGTH } from './log/jsonl.ts';
export { LIMITS } from './log/validate.ts';
export { MAX_CLOCK_DRIFT } from './log/hlc.ts';
export {
  verifyStore,
  type VerifyReport,
  type VerifyProblem,
} from './log/verify.ts';
export * from './log/errors.ts';
export { ERROR_CODES, type ErrorCode } from './log/error-codes.ts';
export type * from './log/types.ts';
export type { RereadableLines } from './log/import.ts';
export type {
  Store,
  StoreReader,
  StoreTransaction,
  EventRecord,
  StreamRecord,
  ReplicaRecord,
  ConflictRecord,
  SnapshotRecord,
  CanonicalKey,
} from './log/store.ts';
export {
  openDocument,
  type DocumentHandle,
  type DocumentView,
  type OpenDocumentOptions,
  type AtOptions,
} from './doc/document.ts';
export type { DocConflict } from './doc/doc-conflicts.ts';
export {
  spliceBetween,
  type TextSplice,
  type SpliceOptions,
} from './doc/text-splice.ts';
export {
  TEXT_EDITED,
  FIELD_SET,
  VERSION_RESTORED,
  DOC_PREFIX,
  streamOfDoc,
  docIdOf,
  textUpdateOf,
} from './doc/doc-events.ts';
