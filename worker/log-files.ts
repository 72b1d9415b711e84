import type { ImportResult, Log } from '../src/index.ts';
import { concatBytes, countNewlines } from '../src/log/line-writer.ts';

import type { Progress } from '../src/contract/files.ts';
import { ImportError } from '../src/log/errors.ts';
import { MAX_LINE_LENGTH } from '../src/log/jsonl.ts';

/** Chunks gathered into one Blob part: few parts (each costs a copy into the browser's blob store), never the whole log. */
const PART_BYTES = 8 << 20;

/**
 * The whole log as a JSON Lines Blob, from the log's UTF-8 chunks of whole lines (a
 * segment's worth each, for packed events), gathered into parts of about 8 MiB: the
 * worker holds one part at a time; Chromium keeps large Blobs out of the worker's
 * heap, on disk when they are large.
 */
export async function exportToBlob(
  log: Log,
  total: number,
  onProgress: (p: Progress) => void,
): Promise<Blob> {
  const parts: Blob[] = [];
  let part: Uint8Array<ArrayBuffer>[] = [];
  let bytes = 0;
  let done = 0;
  for await (const chunk of log.exportBytes()) {
    part.push(chunk as Uint8Array<ArrayBuffer>);
    bytes += chunk.length;
    done += countNewlines(chunk);
    if (bytes >= PART_BYTES) {
      parts.push(new Blob(part));
      part = [];
      bytes = 0;
      onProgress({ phase: 'exporting', done, total });
    }
  }
  parts.push(new Blob(part));
  onProgress({ phase: 'exporting', done, total: done });
  return new Blob(parts, { type: 'application/jsonl' });
}

/**
 * Lines of a file, read as a stream and decoded as UTF-8, with progress by bytes.
 * Bytes that are no UTF-8 are refused naming their line: decoded as U+FFFD, the
 * line's event failed its id check, "altered or forged", for a file merely saved in
 * another encoding.
 */
async function* linesOf(
  file: Blob,
  onProgress: (p: Progress) => void,
  signal: AbortSignal | undefined,
): AsyncIterable<string> {
  const reader = file.stream().getReader();
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  // The start of a line read so far, in the parts it came in: joined once its end
  // comes, not at every read (a 60 MB line was copied again with each part).
  let rest: Uint8Array[] = [];
  let restBytes = 0;
  let line = 1; // of the first line in `rest`
  let read = 0;
  let lastReport = 0;
  const decode = (bytes: Uint8Array): string => {
    try {
      return utf8.decode(bytes);
    } catch {
      // Which line: the first that does not decode by itself.
      let at = 0;
      for (let n = line; ; n++) {
        const end = bytes.indexOf(0x0a, at);
        const part = bytes.subarray(at, end < 0 ? bytes.length : end);
        try {
          utf8.decode(part);
        } catch {
          throw new ImportError(
            n,
            'its bytes are not UTF-8 text, as an export is (was the file saved in another encoding?)',
          );
        }
        if (end < 0) throw new ImportError(n, 'its bytes are not UTF-8 text');
        at = end + 1;
      }
    }
  };
  for (;;) {
    const { value, done } = await reader.read();
    signal?.throwIfAborted();
    if (done) break;
    read += value.length;
    if (read - lastReport > 1 << 20) {
      lastReport = read;
      onProgress({
        phase: 'reading',
        done: Math.min(read, file.size),
        total: file.size,
      });
      // A Blob's chunks may come without a task boundary between them: let the
      // worker answer its supervisor's pings while it parses a large file.
      await new Promise((r) => setTimeout(r, 0));
    }
    if (value.lastIndexOf(0x0a) < 0) {
      rest.push(value);
      restBytes += value.length;
      // A character is at most 3 UTF-8 bytes a UTF-16 unit: past 3 × the limit
      // the line is too long whatever it holds. Said now, not after reading the
      // rest of it (a 60 MB line held the import, and the typing queued behind
      // it, for 7 s before the refusal).
      if (restBytes > 3 * MAX_LINE_LENGTH)
        throw new ImportError(
          line,
          `the line is longer than ${(3 * MAX_LINE_LENGTH).toLocaleString('en-US')} bytes; a line holds at most ${MAX_LINE_LENGTH.toLocaleString('en-US')} characters`,
        );
      continue;
    }
    const bytes = rest.length === 0 ? value : concatBytes([...rest, value]);
    const last = bytes.lastIndexOf(0x0a);
    // Whole lines: no character is cut between two reads.
    const lines = decode(bytes.subarray(0, last)).split('\n');
    line += lines.length;
    rest = last + 1 < bytes.length ? [bytes.slice(last + 1)] : [];
    restBytes = bytes.length - last - 1;
    yield* lines;
  }
  if (restBytes > 0) yield decode(concatBytes(rest));
  onProgress({ phase: 'saving', done: 0, total: 1 });
}

/** Bytes read at a time when the import reads a file again inside its transaction. */
const SLICE_BYTES = 4 << 20;

/** A worker's synchronous file reader; the DOM lib this project compiles with lacks it. */
type FileReaderSyncLike = new () => {
  readAsArrayBuffer(blob: Blob): ArrayBuffer;
};

/**
 * The lines of `file` again, read synchronously a slice at a time: the import's
 * transaction cannot wait on an asynchronous read, and the worker may (workers have
 * `FileReaderSync`). Decoded as `linesOf` decodes them.
 */
function* linesNow(
  file: Blob,
  Reader: FileReaderSyncLike,
  signal: AbortSignal | undefined,
): Iterable<string> {
  const reader = new Reader();
  const decoder = new TextDecoder();
  let rest = '';
  // A cancel is thrown inside the import's transaction: it is aborted, nothing stored.
  for (let at = 0; at < file.size; at += SLICE_BYTES) {
    const bytes = reader.readAsArrayBuffer(file.slice(at, at + SLICE_BYTES));
    const lines = (rest + decoder.decode(bytes, { stream: true })).split('\n');
    rest = lines.pop()!;
    // Looked at line by line: the import stores a chunk of events between two
    // reads of lines, and a slice holds tens of thousands of them.
    for (const line of lines) {
      signal?.throwIfAborted();
      yield line;
    }
  }
  rest += decoder.decode();
  if (rest) yield rest;
}

/**
 * Imports a JSON Lines file: every line is checked before anything is written (read
 * as a stream), then all events are stored in one transaction, or none (the file
 * read again, a chunk of events at a time, so memory stays flat whatever its size).
 * `signal` cancels it while the file is read, in either pass: its reason is thrown,
 * and nothing is stored.
 * @throws ImportError naming the line and the reason; the log is unchanged.
 */
export function importFromFile(
  log: Log,
  file: Blob,
  onProgress: (p: Progress) => void,
  signal?: AbortSignal,
): Promise<ImportResult> {
  const Reader = (globalThis as { FileReaderSync?: FileReaderSyncLike })
    .FileReaderSync;
  const saved = (done: number, total: number) =>
    onProgress({ phase: 'saving', done, total });
  // Outside a worker (no synchronous reader) the lines are kept between the passes.
  return log.import(
    Reader
      ? {
          lines: () => linesOf(file, onProgress, signal),
          again: () => linesNow(file, Reader, signal),
        }
      : linesOf(file, onProgress, signal),
    saved,
  );
}
