// How patient the page is with its log worker (src/ui/log-supervisor.ts).

/** Restarts closer together than this back off, so a worker that dies at once cannot spin. */
export const QUICK_RESTART_MS = 10_000;
export const MAX_BACKOFF_MS = 30_000;
/** Generous: a loaded machine may take seconds to start a worker and open its database. */
export const START_TIMEOUT_MS = 20_000;
/**
 * How often the page asks a worker whether it still runs, and how long it waits for
 * the answer before giving the worker up. A worker's tasks are short (long work
 * awaits IndexedDB in between), so only a wedged or half-dead worker stays silent
 * that long; its death notice (the Web Lock) may never come.
 */
export const PING_EVERY_MS = 5_000;
export const PING_TIMEOUT_MS = 20_000;
