import {
  ActorForkError,
  ForklineError,
  ImportError,
  MissingDependencyError,
} from './errors.ts';
import { clockLimit } from './hlc.ts';
import { ingestInto, verifyIncoming } from './ingest.ts';
import { lineOfError, NOT_JSON, parseLine, type LineEvent } from './jsonl.ts';
import { checkEventFields } from './validate.ts';
import type { Store } from './store.ts';
import type { ImportResult, LogEvent } from './types.ts';
import { yieldToOthers } from './yield.ts';

/**
 * Lines an import can read twice: once, streamed, to check every line before
 * anything is written; then again, synchronously, inside the one transaction that
 * stores them (a transaction cannot wait on a file read). A file does this in a
 * worker (`FileReaderSync`), so the import holds a chunk of events at a time
 * whatever the file's size.
 */
export interface RereadableLines {
  lines(): AsyncIterable<string> | Iterable<string>;
  again(): Iterable<string>;
}

export type ImportSource =
  RereadableLines | AsyncIterable<string> | Iterable<string>;

/** Events given to `ingestInto` at a time in the second pass. */
export const IMPORT_CHUNK = 4096;

/** Events checked between two yields of the thread in the first pass. */
const YIELD_EVERY = 2000;

export interface ImportOptions {
  /** The receiving replica's clock, for `recordedAt` and the drift bound. */
  now: number;
  /** This replica's own actor: nobody else may write under it. */
  self?: string;
  /** Completes an actor fork ingest found (the log moves to a fresh actor). */
  forked(error: ActorForkError): Promise<ForklineError>;
  /** Events stored so far of `total`, after each chunk. */
  onSaved?(done: number, total: number): void;
  /** Events per chunk (IMPORT_CHUNK); tests make it small. */
  chunk?: number;
}

const isRereadable = (source: ImportSource): source is RereadableLines =>
  typeof (source as RereadableLines).again === 'function';

/**
 * An import's lines that stored nothing (`duplicates`), and of them those whose
 * event a line before them holds (`repeated`): an event stored by this import, or
 * one stored before it that an earlier line named already. Positions tell: this
 * import's events come after `before`, and the earlier ones are marked one bit a
 * position as the file names them, so the count costs an eighth of a byte an
 * event the log held, not a set of ids.
 */
class LinesOfEvents {
  duplicates = 0;
  repeated = 0;
  private readonly named: Uint8Array;

  constructor(private readonly before: number) {
    this.named = new Uint8Array((before >> 3) + 1);
  }

  /** Lines of one chunk that repeat another line of it. */
  repeatedInChunk(count: number): void {
    this.duplicates += count;
    this.repeated += count;
  }

  /** The records of a chunk's events that were stored already. */
  held(records: readonly { pos: number }[]): void {
    this.duplicates += records.length;
    for (const { pos } of records) {
      if (pos > this.before) {
        this.repeated++;
        continue;
      }
      const bit = 1 << (pos & 7);
      if (this.named[pos >> 3]! & bit) this.repeated++;
      else this.named[pos >> 3]! |= bit;
    }
  }
}

/**
 * Imports JSON Lines (DESIGN §8) into `store`: every line is parsed and checked
 * (shape, id recomputed, clock bound) before anything is written, then all of them
 * are stored in one transaction, a chunk of IMPORT_CHUNK at a time, or none. A chunk's
 * events still waiting for a parent or an earlier seq of their actor go on to the
 * next chunk, so a file may list events in any causally complete order; an export
 * lists them in causal order, and then nothing waits. Lines that cannot be read
 * twice are kept as text between the two passes.
 * @throws ImportError naming the line and the reason; the store is unchanged.
 */
export async function importInto(
  store: Store,
  source: ImportSource,
  options: ImportOptions,
): Promise<ImportResult> {
  const kept: string[] | undefined = isRereadable(source) ? undefined : [];
  const total = await checkLines(
    isRereadable(source) ? source.lines() : source,
    clockLimit(options.now),
    kept,
  );
  const again = isRereadable(source) ? () => source.again() : () => kept!;
  let failed: LineEvent[] = [];
  try {
    const { stored, duplicates, repeated } = await store.write(async (tx) => {
      // Whether this replica has written as itself is decided before the import,
      // as it would be for one batch, not anew for each chunk.
      const [seq, { lastPos: before }] = await Promise.all([
        options.self ? tx.actorSeq(options.self) : 0,
        tx.replica(),
      ]);
      const self = seq > 0 ? options.self : undefined;
      const lines = new LinesOfEvents(before);
      let stored = 0;
      let waiting: LineEvent[] = [];
      for (const chunk of chunks(again(), options.chunk ?? IMPORT_CHUNK)) {
        const batch = unique([...waiting, ...chunk]);
        lines.repeatedInChunk(waiting.length + chunk.length - batch.length);
        const byEvent = new Map(batch.map((e) => [e.event, e]));
        failed = batch;
        const result = await ingestInto(
          tx,
          batch.map((e) => e.event),
          options.now,
          self,
          true,
        );
        stored += result.stored;
        lines.held(result.held);
        waiting = result.deferred.map((event) => byEvent.get(event)!);
        options.onSaved?.(stored + lines.duplicates, total);
      }
      if (waiting.length > 0) {
        // Nothing left can bring what they wait for: name the first one stuck.
        failed = waiting;
        await ingestInto(
          tx,
          waiting.map((e) => e.event),
          options.now,
          self,
        );
        throw new MissingDependencyError(waiting[0]!.event.id, [], undefined);
      }
      return { stored, duplicates: lines.duplicates, repeated: lines.repeated };
    });
    return { lines: total, stored, duplicates, repeated };
  } catch (error) {
    const reported =
      error instanceof ActorForkError ? await options.forked(error) : error;
    if (!(reported instanceof ForklineError)) throw reported;
    throw new ImportError(lineOfError(reported, failed), reasonOf(reported));
  }
}

/**
 * Why an import was refused, said to whoever chose the file. An event whose parent
 * or earlier seq is missing says so of the file, not as ingest tells a peer to send
 * what is missing first.
 */
function reasonOf(error: ForklineError): string {
  if (!(error instanceof MissingDependencyError)) return error.message;
  const missing = [
    ...(error.missingParents.length > 0
      ? [`its parent ${error.missingParents.join(', ')}`]
      : []),
    ...(error.missingSeq
      ? [`event ${error.missingSeq.seq} of writer ${error.missingSeq.actor}`]
      : []),
  ];
  return `event ${error.id} comes after ${missing.join(' and ') || 'events'} that neither this log nor the file holds: the file is missing events (an export cut short, or lines taken out)`;
}

/**
 * The first pass: every line parsed and checked as ingest checks an event, the
 * thread yielded now and then (hashing is the costly part). Keeps the raw lines in
 * `kept` when given one.
 * @returns how many events the lines hold.
 * @throws ImportError naming the line.
 */
async function checkLines(
  lines: AsyncIterable<string> | Iterable<string>,
  limit: string,
  kept?: string[],
): Promise<number> {
  let line = 0;
  let events = 0;
  // A line that is not JSON, said once the file is known to go on past it: its
  // last line cut off (a download or a copy that stopped) reads as a file cut short,
  // when lines before it held events (a file of one line of prose is no export).
  let notJson: ImportError | undefined;
  for await (const raw of lines) {
    line++;
    kept?.push(raw);
    if (notJson && raw.trim() !== '') throw notJson;
    let candidate: LogEvent | undefined;
    try {
      candidate = parseLine(raw, line);
    } catch (error) {
      if (!(error instanceof ImportError) || !error.reason.startsWith(NOT_JSON))
        throw error;
      notJson = error;
      continue;
    }
    if (!candidate) continue;
    if (events > 0 && events % YIELD_EVERY === 0) await yieldToOthers();
    try {
      verifyIncoming(candidate, events, limit);
    } catch (error) {
      if (!(error instanceof ForklineError)) throw error;
      throw new ImportError(line, error.message);
    }
    events++;
  }
  if (notJson && events === 0) throw notJson;
  if (notJson)
    throw new ImportError(
      notJson.line,
      `${notJson.reason}, and it is the file's last line: the file may have been cut short`,
    );
  return events;
}

/**
 * The events of `lines`, `size` at a time, with their line numbers. The first pass
 * verified them (ids recomputed, data checked): the same lines read again are the
 * same bytes (a Blob cannot change; a File changed on disk fails to read), so only
 * the fields ingest reads are checked again.
 */
function* chunks(lines: Iterable<string>, size: number): Iterable<LineEvent[]> {
  let chunk: LineEvent[] = [];
  let line = 0;
  for (const raw of lines) {
    line++;
    const event = parseLine(raw, line);
    if (!event) continue;
    chunk.push({ event: checkEventFields(event, chunk.length), line });
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** `batch` without later repeats of an id (a file may list an event twice). */
function unique(batch: LineEvent[]): LineEvent[] {
  const seen = new Set<string>();
  return batch.filter(({ event }) => !seen.has(event.id) && seen.add(event.id));
}
