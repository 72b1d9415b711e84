import { ForklineError } from '../src/log/errors.ts';

/**
 * A batch could not be made durable in a log's file (disk full, file-size limit, an
 * I/O error): nothing of it was kept or acknowledged. When the file could not be cut
 * back to its last good length either, the log refuses every write until reopened.
 */
export class StorageFailedError extends ForklineError {
  readonly code = 'STORAGE_FAILED';
  constructor(
    readonly path: string,
    readonly reason: string,
    /** The file is back at its last good length; later writes may succeed. */
    readonly recovered: boolean,
  ) {
    super(
      `Could not append to ${path}: ${reason}. Nothing of the batch was kept; ` +
        (recovered
          ? 'retry once there is room.'
          : 'the file could not be cut back either, so this log takes no writes until it is reopened.'),
    );
  }
}

/** A batch would take a log past the relay's quota of events or bytes. */
export class LogQuotaError extends ForklineError {
  readonly code = 'LOG_QUOTA_EXCEEDED';
  constructor(
    readonly path: string,
    readonly limit: 'events' | 'bytes',
    readonly max: number,
  ) {
    super(
      `The log ${path} may hold at most ${max} ${limit}; the batch would pass that. ` +
        'Nothing of it was kept. Start a new log or raise the relay quota.',
    );
  }
}
