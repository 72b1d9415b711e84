import { BufferedTransaction } from './buffered-transaction.ts';
import { ForklineError } from './errors.ts';
import type {
  EventRecord,
  ReadAhead,
  Store,
  StoreTransaction,
} from './store.ts';

/**
 * Runs the writes of one group inside a store's transaction `tx`. `admit`, when
 * given, is shown each write's events before they join the group: throwing a
 * ForklineError (a quota) refuses that write alone.
 */
export type RunWrites = (
  tx: StoreTransaction,
  admit?: (added: readonly EventRecord[]) => void,
) => Promise<void>;

export interface GroupCommitOptions {
  /** Most writes in one group. */
  maxWrites?: number;
  /** What a write of a failed group is told (a storage failure, say). */
  failure?(error: unknown): unknown;
  /**
   * The events a group stored, in position order, once it is durable and before
   * its writes resolve: whoever sends them on has them without reading them back.
   */
  committed?(records: readonly EventRecord[]): void;
}

interface Waiting {
  body: (tx: StoreTransaction) => Promise<unknown>;
  ahead: ReadAhead | undefined;
  resolve(result: unknown): void;
  reject(error: unknown): void;
}

/**
 * `Store.write` for a store whose commit costs the same for one write as for many
 * (an fsync, a database round trip under a lock): writes that arrive while a group
 * commits wait, and then go together as the next group, in one transaction.
 *
 * `transact` opens the store's transaction, calls `runWrites` in it, then makes it
 * durable. The group is the writes waiting when the transaction first asks for
 * them, by calling `ahead` (what they said they will look up, to fetch at once) or
 * `runWrites`: a transaction that waits before it can run writes (for a lock
 * another process holds) takes the writes that came meanwhile too, rather than
 * leaving them to wait for the lock again in the next. Each write runs in turn
 * over the ones before it (a buffered transaction over the group's), so it sees them
 * as if they had committed; one the engine refuses (a ForklineError) is dropped
 * alone and the rest go on. Each write resolves once the group is durable. If the
 * group fails, so do the writes it ran; the ones it had not run yet wait for the
 * next group, unless the failure was the store's own (its transaction, not a
 * write), which they are told as well, as are the writes waiting when a
 * transaction fails before it took any.
 */
export function groupCommit(
  transact: (runWrites: RunWrites, ahead: () => ReadAhead[]) => Promise<void>,
  options: GroupCommitOptions = {},
): { write: Store['write']; idle(): Promise<void> } {
  const maxWrites = options.maxWrites ?? 64;
  const failure = options.failure ?? ((error: unknown) => error);
  const waiting: Waiting[] = [];
  let draining: Promise<void> | undefined;

  async function drain(): Promise<void> {
    while (waiting.length > 0) await commit();
    draining = undefined;
  }

  async function commit(): Promise<void> {
    let taken: Waiting[] | undefined;
    const group = () => (taken ??= waiting.splice(0, maxWrites));
    const done: {
      write: Waiting;
      result: unknown;
      events: readonly EventRecord[];
    }[] = [];
    let next = 0;
    let failedInWrite = false;
    try {
      await transact(
        async (tx, admit) => {
          const writes = group();
          for (; next < writes.length; next++) {
            const write = writes[next]!;
            const own = new BufferedTransaction(tx);
            try {
              const result = await write.body(own);
              admit?.(own.events);
              own.applyTo(tx);
              done.push({ write, result, events: own.events });
            } catch (error) {
              if (!(error instanceof ForklineError)) {
                failedInWrite = true;
                throw error;
              }
              write.reject(error);
            }
          }
        },
        () => group().flatMap((w) => (w.ahead ? [w.ahead] : [])),
      );
    } catch (error) {
      const told = failure(error);
      const writes = group();
      for (const { write } of done) write.reject(told);
      const rest = failedInWrite ? next + 1 : writes.length;
      for (const write of writes.slice(next, rest)) write.reject(told);
      waiting.unshift(...writes.slice(rest));
      return;
    }
    const stored = done.flatMap((d) => d.events);
    if (stored.length > 0) options.committed?.(stored);
    for (const { write, result } of done) write.resolve(result);
  }

  return {
    write<T>(
      body: (tx: StoreTransaction) => Promise<T>,
      ahead?: ReadAhead,
    ): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        waiting.push({
          body,
          ahead,
          resolve: resolve as (result: unknown) => void,
          reject,
        });
        draining ??= drain();
      });
    },
    async idle() {
      await draining;
    },
  };
}
