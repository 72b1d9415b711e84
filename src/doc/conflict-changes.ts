import * as Y from 'yjs';
import { ClientOwners } from './client-owners.ts';
import { ClockRanges } from './clock-ranges.ts';
import type { EventId, Log, LogEvent } from '../log/types.ts';
import { textUpdateOf } from './doc-events.ts';
import { BODY } from './doc-state.ts';
import type { DiffPart } from './text-diff.ts';
import { writerKey, writerNames } from './writers.ts';

/**
 * What one writer did to the text in a conflict, by Yjs id: what taking its change
 * back undoes (`takeBackSplices`), wherever those characters are by then.
 */
export interface SideEdits {
  /** Runs it inserted that the merge kept: [client, clock, length]. */
  inserted: [client: number, clock: number, length: number][];
  /** Runs of the fork point's text that it deleted and no other writer did: [client, clock, text]. */
  deleted: [client: number, clock: number, text: string][];
  /** The merged document's state vector: text with other ids was written since. */
  merged: [client: number, clock: number][];
}

/** What one writer changed in the text since a fork point, and the merged change. */
export interface ConflictChanges {
  /**
   * One per writer of the events since the fork point (writers.ts: a replica and
   * its label), in order of first edit, named as writerNames names them.
   */
  sides: { writer: string; parts: DiffPart[]; edits: SideEdits }[];
  /** Every writer's change together, as the merge left the text. */
  merged: DiffPart[];
}

/**
 * Adds a run of `client`'s ids from `clock` to `runs`, joined to the last run when
 * it goes on from it: `what` is its length, or its text.
 */
function addRun<T extends number | string>(
  runs: [number, number, T][],
  client: number,
  clock: number,
  what: T,
): void {
  const last = runs[runs.length - 1];
  const length = (w: number | string) => (typeof w === 'number' ? w : w.length);
  if (last && last[0] === client && last[1] + length(last[2]) === clock)
    last[2] = (
      typeof what === 'number'
        ? (last[2] as number) + what
        : (last[2] as string) + what
    ) as T;
  else runs.push([client, clock, what]);
}

/**
 * Who changed what in a document's text between `forkPoint` and `mergedAt`, by
 * Yjs item: each insertion is its Yjs client's writer's (a tab draws a fresh
 * client id), each deletion is the writer's whose update deleted it. So a side is
 * what that writer did, however the events that carried it were batched or which
 * other edits they had seen. A run kept from the fork point stays in every side; a
 * side shows only its own insertions and its own deletions against it. The text is
 * walked in runs, not units: a million characters in tens of milliseconds.
 */
export async function conflictChanges(
  log: Log,
  stream: string,
  forkPoint: EventId[],
  mergedAt: EventId[],
  /** An event from another replica whose text cannot be read is left out, and told here. */
  onIgnoredError: (error: Error) => void = () => undefined,
): Promise<ConflictChanges> {
  const ignore = (event: LogEvent, error: unknown) =>
    onIgnoredError(
      new Error(
        `event ${event.id}: its text could not be compared: ${(error as Error).message}`,
      ),
    );
  const atFork = new Set<EventId>();
  const fork = new Y.Doc();
  for await (const event of log.read(stream, { at: forkPoint })) {
    atFork.add(event.id);
    try {
      const update = textUpdateOf(event);
      if (update) Y.applyUpdate(fork, update);
    } catch (error) {
      ignore(event, error);
    }
  }
  // The merged document keeps deleted text (gc off), so a side's deletions show.
  const merged = new Y.Doc({ gc: false });
  Y.applyUpdate(merged, Y.encodeStateAsUpdate(fork));
  const owners = new ClientOwners();
  const deleted = new Map<string, ClockRanges>();
  const writers: string[] = [];
  for await (const event of log.read(stream, { at: mergedAt })) {
    if (atFork.has(event.id)) continue;
    let update: Uint8Array | undefined;
    let meta: ReturnType<typeof Y.parseUpdateMeta>;
    let ds: ReturnType<typeof Y.decodeUpdate>['ds'];
    try {
      update = textUpdateOf(event);
      if (!update) continue;
      meta = Y.parseUpdateMeta(update);
      ds = Y.decodeUpdate(update).ds;
      Y.applyUpdate(merged, update);
    } catch (error) {
      ignore(event, error);
      continue;
    }
    const writer = writerKey(event);
    if (!writers.includes(writer)) writers.push(writer);
    const { from, to } = meta;
    for (const [client, start] of from)
      owners.hold(
        client,
        writer,
        (to.get(client) ?? start) - start,
        from.size === 1,
      );
    let mine = deleted.get(writer);
    if (!mine) deleted.set(writer, (mine = new ClockRanges()));
    for (const [client, ranges] of ds.clients)
      for (const d of ranges) mine.add(client, d.clock, d.clock + d.len);
  }
  // What the fork point held: each client's clock. Its deleted text is not in
  // `merged` at all: `fork` collects it (gc on), so `merged` starts without it.
  const forkClocks = Y.decodeStateVector(Y.encodeStateVector(fork));
  const mergedClocks = [...Y.decodeStateVector(Y.encodeStateVector(merged))];
  const sides = writers.map((writer) => ({
    writer,
    parts: [] as DiffPart[],
    deleted: deleted.get(writer)!,
    edits: { inserted: [], deleted: [], merged: mergedClocks } as SideEdits,
  }));
  const all: DiffPart[] = [];
  const push = (parts: DiffPart[], kind: DiffPart['kind'], text: string) => {
    const last = parts[parts.length - 1];
    if (last?.kind === kind) last.text += text;
    else parts.push({ kind, text });
  };
  // Item by item, in runs of units alike: Yjs joins neighbouring items of one
  // client, so one item may hold text from before the fork and after it, or deleted
  // by two writers. A run ends where any of that changes.
  for (
    let item = merged.getText(BODY)._start;
    item !== null;
    item = item.right
  ) {
    if (!(item.content instanceof Y.ContentString)) continue;
    const { str } = item.content;
    const { client, clock } = item.id;
    const isThere = !item.deleted;
    const forkClock = forkClocks.get(client) ?? 0;
    const owner = owners.owner(client);
    const end = clock + str.length;
    for (let at = clock; at < end;) {
      let until = end;
      const wasThere = at < forkClock;
      if (wasThere) until = Math.min(until, forkClock);
      const removedBy = sides.map(({ deleted }) => {
        if (isThere) return false;
        const [removed, changes] = deleted.at(client, at);
        until = Math.min(until, changes);
        return removed;
      });
      const run = str.slice(at - clock, until - clock);
      if (wasThere) push(all, isThere ? 'same' : 'removed', run);
      else if (isThere) push(all, 'added', run);
      const removers = removedBy.filter(Boolean).length;
      sides.forEach(({ writer, parts, edits }, i) => {
        if (wasThere) {
          push(parts, removedBy[i] ? 'removed' : 'same', run);
          if (removedBy[i] && removers === 1)
            addRun(edits.deleted, client, at, run);
        } else if (owner === writer && !removedBy[i]) {
          push(parts, 'added', run);
          if (isThere) addRun(edits.inserted, client, at, run.length);
        }
      });
      at = until;
    }
  }
  fork.destroy();
  merged.destroy();
  const names = writerNames(writers);
  return {
    sides: sides.map(({ writer, parts, edits }) => ({
      writer: names.get(writer)!,
      parts,
      edits,
    })),
    merged: all,
  };
}
