import * as Y from 'yjs';
import { ClientOwners } from './client-owners.ts';
import type { EventId, Log, LogEvent } from '../log/types.ts';
import { textUpdateOf } from './doc-events.ts';
import { BODY } from './doc-state.ts';
import type { DiffPart } from './text-diff.ts';
import { writerKey, writerNames } from './writers.ts';

/** What one writer changed in the text since a fork point, and the merged change. */
export interface ConflictChanges {
  /**
   * One per writer of the events since the fork point (writers.ts: a replica and
   * its label), in order of first edit, named as writerNames names them.
   */
  sides: { writer: string; parts: DiffPart[] }[];
  /** Every writer's change together, as the merge left the text. */
  merged: DiffPart[];
}

/** Yjs ids (client, clock range) a writer's updates deleted. */
type Deletions = Map<number, [from: number, to: number][]>;

function deletes(deletions: Deletions, client: number, clock: number): boolean {
  return (deletions.get(client) ?? []).some(
    ([from, to]) => clock >= from && clock < to,
  );
}

/**
 * Who changed what in a document's text between `forkPoint` and `mergedAt`, by
 * Yjs item: each insertion is its Yjs client's writer's (a tab draws a fresh
 * client id), each deletion is the writer's whose update deleted it. So a side is what that writer did, however the events that
 * carried it were batched or which other edits they had seen. A run kept from the
 * fork point stays in every side; a side shows only its own insertions and its own
 * deletions against it.
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
  const deleted = new Map<string, Deletions>();
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
    const mine = deleted.get(writer) ?? new Map();
    deleted.set(writer, mine);
    for (const [client, ranges] of ds.clients)
      for (const d of ranges) {
        const list = mine.get(client) ?? [];
        list.push([d.clock, d.clock + d.len]);
        mine.set(client, list);
      }
  }
  const before = Y.snapshot(fork);
  const sides = writers.map((writer) => ({ writer, parts: [] as DiffPart[] }));
  const all: DiffPart[] = [];
  const push = (parts: DiffPart[], kind: DiffPart['kind'], text: string) => {
    const last = parts[parts.length - 1];
    if (last?.kind === kind) last.text += text;
    else parts.push({ kind, text });
  };
  // Item by item, unit by unit: Yjs joins neighbouring items of one client, so one
  // item may hold text from before the fork and after it, or deleted by two writers.
  for (
    let item = merged.getText(BODY)._start;
    item !== null;
    item = item.right
  ) {
    if (!(item.content instanceof Y.ContentString)) continue;
    const { str } = item.content;
    const { client, clock } = item.id;
    const isThere = !item.deleted;
    const forkClock = before.sv.get(client) ?? 0;
    for (let i = 0; i < str.length; i++) {
      const unit = str[i]!;
      const at = clock + i;
      const wasThere =
        at < forkClock && !Y.isDeleted(before.ds, Y.createID(client, at));
      if (wasThere) push(all, isThere ? 'same' : 'removed', unit);
      else if (isThere) push(all, 'added', unit);
      for (const { writer, parts } of sides) {
        const removedHere =
          !isThere && deletes(deleted.get(writer)!, client, at);
        if (wasThere) push(parts, removedHere ? 'removed' : 'same', unit);
        else if (owners.owner(client) === writer && !removedHere)
          push(parts, 'added', unit);
      }
    }
  }
  fork.destroy();
  merged.destroy();
  const names = writerNames(writers);
  return {
    sides: sides.map(({ writer, parts }) => ({
      writer: names.get(writer)!,
      parts,
    })),
    merged: all,
  };
}
