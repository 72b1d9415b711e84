import type * as Y from 'yjs';
import { toBase64Url } from '../log/base64url.ts';
import { InvalidEditError, InvalidEventError } from '../log/errors.ts';
import type {
  AppendResult,
  EventId,
  EventInput,
  Json,
  Log,
} from '../log/types.ts';
import { checkName, checkStream } from '../log/validate.ts';
import { documentConflicts, type DocConflict } from './doc-conflicts.ts';
import {
  DELETED_FIELD,
  FIELD_SET,
  streamOfDoc,
  TEXT_EDITED,
  VERSION_RESTORED,
  type FieldSetData,
  type RestoreData,
} from './doc-events.ts';
import { DocStates, type DocState } from './doc-state.ts';
import { openCheckpoint, openDocState } from './document-snapshots.ts';
import { ConflictMemo } from './conflict-memo.ts';
import { sameIds } from '../log/heads.ts';
import { storeOf } from '../log/log.ts';
import { loneSurrogateIn, spliceBetween } from './text-splice.ts';
import { restoreSplices, visibleRuns } from './text-restore.ts';
import { PIECE_BYTES, piecesOfUpdate } from './update-pieces.ts';

export interface DocumentView {
  text: string;
  /** Live values per field; several when concurrent writes are unresolved. */
  fields: Record<string, Json[]>;
  heads: EventId[];
  conflicts: DocConflict[];
  deleted: boolean;
}

export interface AtOptions {
  /** Act on the document as a writer with these heads saw it (an offline device). */
  at?: EventId[];
}

export interface DocumentHandle {
  readonly stream: string;
  /**
   * Deletes `deleteCount` and inserts `insert` at `index`. Positions count UTF-16
   * code units in the text as of `at`, and fall between whole code points: a
   * position inside a surrogate pair (between the halves of 😀) is refused, not
   * moved, because positions that split a character were counted wrong, and Yjs would
   * store the halves as U+FFFD. `spliceBetween` turns an old and a new text into
   * positions that never do.
   * @throws InvalidEditError for positions that are not whole numbers, lie past the
   *   end or inside a surrogate pair; for an insert with a lone surrogate (Yjs
   *   encodes it as U+FFFD, so other replicas would hold another text); for an edit
   *   that changes nothing.
   *
   * An edit past what one event holds (a paste of megabytes) is stored as
   * `doc.text.edited` events of one atomic batch, each after the one before; it
   * resolves to the last one's result.
   */
  editText(
    index: number,
    deleteCount: number,
    insert: string,
    options?: AtOptions,
  ): Promise<AppendResult>;
  setField(
    name: string,
    value: Json,
    options?: AtOptions,
  ): Promise<AppendResult>;
  view(options?: AtOptions): Promise<DocumentView>;
  /** The view without its conflicts: cheap enough for listing every document. */
  summary(options?: AtOptions): Promise<Omit<DocumentView, 'conflicts'>>;
  /**
   * Makes the version at `at` current with one new event, a `doc.version.restored`
   * whose text change brings back the version's own characters (`restoreSplices`)
   * and whose field writes set the version's values. Text past what one event holds
   * (a deleted chapter brought back) goes ahead of it as `doc.text.edited` events,
   * and so does each further value of a field the version held in conflict (a
   * `doc.field.set` that replaces nothing: the conflict is open again), in the same
   * atomic batch. Resolves to every event's result, the restore last.
   */
  restore(at: EventId[]): Promise<AppendResult[]>;
  delete(): Promise<AppendResult>;
  undelete(): Promise<AppendResult>;
}

export interface OpenDocumentOptions {
  author?: string;
  /** Malformed events from other replicas are skipped and reported here. */
  onIgnoredError?: (error: Error) => void;
  /**
   * Opening folds the document from its snapshot in the log's store (DESIGN §5) and
   * saves a new one once it folded this many events past it: 500 by default.
   */
  snapshotEvery?: number;
  /**
   * Of those snapshots, one is kept as a checkpoint each time this many events came
   * past the last (4096 by default), so that reading an old version folds what came
   * after the checkpoint before it, not the history up to it.
   */
  checkpointEvery?: number;
  /** Between checkpoints, a step (a delta on the one before) this often: 1024 by default. */
  checkpointStep?: number;
}

/**
 * Opens document `docId` (stream `doc/<docId>`) of `log`. Edits at older heads are
 * what an offline device makes: recorded with those heads as parents, concurrent
 * with what they did not see.
 * @throws InvalidEventError for a docId that makes no valid stream name.
 */
export async function openDocument(
  log: Log,
  docId: string,
  options: OpenDocumentOptions = {},
): Promise<DocumentHandle> {
  const stream = checkStream(streamOfDoc(docId));
  if (options.author !== undefined) checkName('author', options.author, 256);
  const onIgnoredError =
    options.onIgnoredError ??
    ((e: Error) => console.warn(`forkline: ${stream}:`, e.message));
  const store = storeOf(log);
  const conflicts = new ConflictMemo(store, stream);
  const states = new DocStates(
    store,
    log,
    stream,
    onIgnoredError,
    () =>
      openDocState(store, stream, {
        onIgnoredError,
        ...(options.snapshotEvery !== undefined
          ? { every: options.snapshotEvery }
          : {}),
        ...(options.checkpointEvery !== undefined
          ? { checkpointEvery: options.checkpointEvery }
          : {}),
        ...(options.checkpointStep !== undefined
          ? { checkpointStep: options.checkpointStep }
          : {}),
      }).then((o) => o.state),
    (last) => openCheckpoint(store, stream, last, onIgnoredError),
  );
  const { author } = options;
  // One operation at a time: an edit mutates the cached state it was made against.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work);
    queue = run.catch(() => undefined);
    return run;
  };
  const headsFor = async (options: AtOptions = {}) =>
    options.at ? [...new Set(options.at)].sort() : await log.heads(stream);

  /**
   * Appends events made against `state`, as one atomic batch (each after the one
   * before), then folds them in; a refused append discards the state.
   */
  async function commit(
    state: DocState,
    heads: EventId[],
    events: { type: string; data: Json | Uint8Array }[],
  ) {
    let results: AppendResult[];
    try {
      results = await log.append(
        stream,
        // Built field by field: spreading each event was 2.5% of a long replay.
        events.map(({ type, data }): EventInput =>
          author === undefined ? { type, data } : { type, data, author },
        ),
        { expected: heads },
      );
    } catch (error) {
      states.evict(state);
      throw error;
    }
    for (const { event } of results) state.adopt(event, onIgnoredError);
    state.heads = [results[results.length - 1]!.event.id];
    return results;
  }

  async function setRegister(name: string, value: Json, options?: AtOptions) {
    return (await setRegisterValues(name, [value], options))[0]!;
  }

  /**
   * Writes `values` to a field in one atomic batch: the first replaces its live
   * values, each other replaces nothing, so all of them are live after it, as
   * concurrent writes leave a field.
   */
  async function setRegisterValues(
    name: string,
    values: readonly Json[],
    options?: AtOptions,
  ) {
    const heads = await headsFor(options);
    const state = await states.at(heads);
    const live = state.registers.liveIds(name);
    return commit(
      state,
      heads,
      values.map((value, i) => {
        const data: FieldSetData = {
          field: name,
          value,
          supersedes: i === 0 ? live : [],
        };
        return { type: FIELD_SET, data: data as unknown as Json };
      }),
    );
  }

  /** A field name a caller may write: not empty, not too long, not reserved. */
  const checkField = (name: string) => {
    checkName('field', name, 256);
    if (name.startsWith('@'))
      throw new InvalidEventError(
        'field',
        'names starting with @ are reserved',
      );
  };

  const handle: DocumentHandle = {
    stream,
    editText: (index, deleteCount, insert, options) =>
      serial(async () => {
        if (
          !Number.isSafeInteger(index) ||
          index < 0 ||
          !Number.isSafeInteger(deleteCount) ||
          deleteCount < 0
        ) {
          throw new InvalidEditError(
            stream,
            `index ${index} and deleteCount ${deleteCount} must be whole numbers from 0`,
          );
        }
        if (typeof insert !== 'string')
          throw new InvalidEditError(stream, 'insert must be a string');
        const lone = loneSurrogateIn(insert);
        if (lone >= 0) {
          throw new InvalidEditError(
            stream,
            `insert holds a lone surrogate (U+${insert.charCodeAt(lone).toString(16).toUpperCase()}) at ${lone}: Yjs stores it as U+FFFD, so other replicas would hold another text`,
          );
        }
        const heads = await headsFor(options);
        const state = await states.at(heads);
        if (index + deleteCount > state.length) {
          throw new InvalidEditError(
            stream,
            `${index}+${deleteCount} is past the end of the ${state.length}-character text`,
          );
        }
        if (deleteCount === 0 && insert === '')
          throw new InvalidEditError(stream, 'the edit changes nothing');
        for (const [name, position] of [
          ['index', index],
          ['index+deleteCount', index + deleteCount],
        ] as const) {
          if (state.splitsPair(position)) {
            throw new InvalidEditError(
              stream,
              `${name} ${position} falls inside a surrogate pair (code units ${position - 1} and ${position} are one character): positions must fall between whole code points`,
            );
          }
        }
        state.writeAs(log.actor);
        // A paste past what one event holds goes as several, one atomic batch.
        const pieces = piecesOfUpdate(
          state.splice({ index, deleteCount, insert })!,
          PIECE_BYTES,
        );
        const results = await commit(
          state,
          heads,
          pieces.map((piece) => ({ type: TEXT_EDITED, data: piece })),
        );
        return results[results.length - 1]!;
      }),
    setField: (name, value, options) =>
      serial(async () => {
        checkField(name);
        return setRegister(name, value, options);
      }),
    summary: (options) =>
      serial(async () => {
        const heads = await headsFor(options);
        return summarise(await states.at(heads), heads);
      }),
    view: (options) =>
      serial(async () => {
        const heads = await headsFor(options);
        const state = await states.at(heads);
        const current = !options?.at || sameIds(heads, await log.heads(stream));
        return {
          ...summarise(state, heads),
          conflicts: await conflicts.at(heads, current, () =>
            documentConflicts(log, stream, state, states.heldBy),
          ),
        };
      }),
    restore: (at) =>
      serial(async () => {
        const from = [...new Set(at)].sort();
        const target = await states.at(from);
        const targetText = target.textString();
        // Taken now: the state at `from` may be the one moved on to the heads below.
        const targetRuns = visibleRuns(target.text);
        const targetFields = new Map(
          target.registers
            .fieldNames()
            .map((f) => [f, target.registers.values(f).map((v) => v.value)]),
        );
        const heads = await log.heads(stream);
        const state = await states.at(heads);
        // The version's own characters, where the text still holds them; a diff of
        // the strings where the two disagree on order (never from Yjs) or the text
        // to write again would hold half a surrogate pair.
        const splices = restoreSplices(visibleRuns(state.text), targetRuns);
        state.writeAs(log.actor);
        const update =
          splices && splices.every(({ insert }) => loneSurrogateIn(insert) < 0)
            ? state.spliceAll(splices)
            : state.splice(spliceBetween(state.textString(), targetText));
        const fields: RestoreData['fields'] = {};
        // A field the version held several values of (a conflict not yet
        // resolved there) gets them all again: the first with the restore, each
        // other as a write of its own that replaces nothing, so all stay live.
        const others: { type: string; data: Json }[] = [];
        const sameValues = (a: readonly Json[], b: readonly Json[]) =>
          a.length === b.length &&
          a
            .map((v) => JSON.stringify(v))
            .sort()
            .join('\n') ===
            b
              .map((v) => JSON.stringify(v))
              .sort()
              .join('\n');
        for (const name of new Set([
          ...state.registers.fieldNames(),
          ...targetFields.keys(),
        ])) {
          if (name.startsWith('@')) continue;
          const now = state.registers.values(name);
          const [wanted = null, ...more] = targetFields.get(name) ?? [];
          if (
            sameValues(
              now.map((v) => v.value),
              [wanted, ...more],
            )
          )
            continue;
          fields[name] = { value: wanted, supersedes: now.map((v) => v.id) };
          for (const value of more) {
            const data: FieldSetData = { field: name, value, supersedes: [] };
            others.push({ type: FIELD_SET, data: data as unknown as Json });
          }
        }
        // Text past what one event holds (a deleted chapter brought back) goes as
        // text edits first, the restore last with the rest: one atomic batch.
        const pieces = update ? piecesOfUpdate(update, PIECE_BYTES) : [];
        const last = pieces.pop();
        const data: RestoreData = {
          from,
          text: last ? toBase64Url(last) : null,
          fields,
        };
        return commit(state, heads, [
          ...pieces.map((piece) => ({ type: TEXT_EDITED, data: piece })),
          ...others,
          { type: VERSION_RESTORED, data: data as unknown as Json },
        ]);
      }),
    delete: () => serial(() => setRegister(DELETED_FIELD, true)),
    undelete: () => serial(() => setRegister(DELETED_FIELD, false)),
  };
  readers.set(handle, (at, read) =>
    serial(async () => read((await states.at(await headsFor({ at }))).text)),
  );
  valueSetters.set(handle, (name, values) =>
    serial(async () => {
      checkField(name);
      if (values.length === 0)
        throw new InvalidEventError('values', 'at least one value is needed');
      return setRegisterValues(name, values);
    }),
  );
  return handle;
}

const valueSetters = new WeakMap<
  DocumentHandle,
  (name: string, values: readonly Json[]) => Promise<AppendResult[]>
>();

/**
 * Sets field `name` to several values at once, as concurrent writes leave it (one
 * atomic batch: the first replaces the live values, each other replaces nothing),
 * between the handle's own operations: what undoing a restore writes back to a
 * field that was in conflict before it. One value is `setField`.
 * @throws InvalidEventError for a name setField refuses, or no values;
 *   TypeError for a handle openDocument did not make.
 */
export function setFieldValues(
  handle: DocumentHandle,
  name: string,
  values: readonly Json[],
): Promise<AppendResult[]> {
  const setter = valueSetters.get(handle);
  if (!setter) throw new TypeError('not a handle made by openDocument');
  return setter(name, values);
}

type TextReader = <T>(
  at: EventId[] | undefined,
  read: (text: Y.Text) => T,
) => Promise<T>;
const readers = new WeakMap<DocumentHandle, TextReader>();

/**
 * Runs `read` on the document's Y.Text at `at` (the current heads when undefined),
 * between the handle's own operations, so that no edit changes it meanwhile. For
 * what reads Yjs items themselves (authorship); `read` must not keep the text.
 * @throws TypeError for a handle openDocument did not make.
 */
export function readTextAt<T>(
  handle: DocumentHandle,
  at: EventId[] | undefined,
  read: (text: Y.Text) => T,
): Promise<T> {
  const reader = readers.get(handle);
  if (!reader) throw new TypeError('not a handle made by openDocument');
  return reader(at, read);
}

/** Text, live field values (internal `@` fields left out), heads and deletion of a state. */
function summarise(
  state: DocState,
  heads: EventId[],
): Omit<DocumentView, 'conflicts'> {
  const fields: Record<string, Json[]> = {};
  for (const name of state.registers.fieldNames()) {
    const values = state.registers.values(name).map((v) => v.value);
    if (!name.startsWith('@') && values.some((v) => v !== null))
      fields[name] = values;
  }
  return {
    text: state.textString(),
    fields,
    heads,
    deleted: state.registers
      .values(DELETED_FIELD)
      .some((v) => v.value === true),
  };
}
