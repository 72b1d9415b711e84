import { ForklineError } from '../src/index.ts';

/**
 * IndexedDB rolled a transaction back (quota exceeded, disk error, the browser
 * clearing storage). Nothing of it was stored; the caller still holds its input.
 */
export class StorageError extends ForklineError {
  readonly code: 'STORAGE_QUOTA_EXCEEDED' | 'STORAGE_FAILED';
  constructor(
    readonly database: string,
    override readonly cause: DOMException | Error,
  ) {
    const quota = cause.name === 'QuotaExceededError';
    super(
      quota
        ? `Storage is full: the browser refused to save to "${database}". Nothing was saved; free some space (or export and clear old logs) and try again.`
        : `Saving to "${database}" failed (${cause.name}: ${cause.message}). Nothing was saved; try again.`,
    );
    this.code = quota ? 'STORAGE_QUOTA_EXCEEDED' : 'STORAGE_FAILED';
  }
}

/** The database connection was closed (by this tab, a newer tab's upgrade, or the browser). */
export class StoreClosedError extends ForklineError {
  readonly code = 'STORE_CLOSED';
  constructor(readonly database: string) {
    super(
      `The connection to "${database}" is closed; reload the page to reopen it.`,
    );
  }
}
