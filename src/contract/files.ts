// The files part of the page–worker contract (see ./index.ts): export and import.
import type { ImportResult } from '../log/types.ts';

/** What a cancelled import rejects with: the person chose it, so the page says so plainly. */
export const IMPORT_CANCELLED = 'Import cancelled: nothing was stored.';

/** How far an export or import has come: `done` of `total` (events, or bytes while reading a file). */
export interface Progress {
  phase: 'exporting' | 'reading' | 'saving';
  done: number;
  total: number;
}

export interface FilesService {
  /** The whole log as CloudEvents JSON Lines (DESIGN §8). */
  exportLog(onProgress: (progress: Progress) => void): Promise<Blob>;
  /** Checks every line, then stores all of it in one transaction or nothing. */
  importLog(
    file: Blob,
    onProgress: (progress: Progress) => void,
  ): Promise<ImportResult>;
  /**
   * Cancels the import under way, if any, unless it has read the whole file (then
   * it completes): that import rejects with IMPORT_CANCELLED, and nothing is stored.
   */
  cancelImport(): Promise<void>;
}
