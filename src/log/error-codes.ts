/**
 * Every error code forkline throws on purpose, and what it means. Codes are stable:
 * code outside the project matches on them. ForklineError's `code` is typed by this
 * list, so a new error class cannot ship a code that is not written down here.
 */
export const ERROR_CODES = {
  // The log (src/log/errors.ts)
  WRONG_EXPECTED_HEADS:
    'a reject-policy stream moved on since the writer looked',
  STREAM_NOT_FOUND: "'stream-exists' was expected of a stream with no events",
  UNKNOWN_EVENT: 'an id given as expected heads or `at` is not in the stream',
  INVALID_EVENT: 'malformed input: which field, why, and which event',
  ID_MISMATCH: "an event's content does not hash to the id it claims",
  MISSING_DEPENDENCY: "a parent or the actor's previous seq is not stored",
  ACTOR_FORK: 'two different events claim one (actor, seq)',
  CLOCK_DRIFT:
    "an event's HLC is more than MAX_CLOCK_DRIFT ahead of this replica",
  CLOCK_EXHAUSTED: 'no HLC follows the given one in the 12 + 4 digit format',
  LOG_CLOSED: 'the log was used after close()',
  IMPORT_INVALID: 'an import line cannot be applied; nothing was imported',
  INVALID_EDIT: 'a text edit does not fit the text it is made against',
  INVALID_QUERY:
    'a subscribe, query or project call was given an option it cannot use: which, and why',
  // The IndexedDB store (worker/storage-errors.ts)
  STORAGE_QUOTA_EXCEEDED: 'the browser refused to store more: storage is full',
  STORAGE_FAILED:
    'a write could not be made durable (IndexedDB rolled back; a relay file write failed)',
  STORE_CLOSED: 'the database connection was closed',
  // The page (src/ui)
  WORKER_STOPPED: 'the log worker died before confirming a call',
  INVALID_SHARE_LINK: 'a share link cannot be joined as it is',
  // The relay and its server (server/)
  LOG_QUOTA_EXCEEDED: "a batch would take a log past the relay's quota",
  SERVER_OPTION:
    'a server flag or environment variable cannot be used as given',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
