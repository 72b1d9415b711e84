import { sameIds } from '../log/heads.ts';
import { orderFreeSnapshot, putQuietly } from '../log/snapshots.ts';
import type { Store } from '../log/store.ts';
import type { EventId } from '../log/types.ts';
import type { DocConflict } from './doc-conflicts.ts';

/** The snapshot's name in its key: `${stream}\n${CONFLICTS_SNAPSHOT}`. */
const CONFLICTS_SNAPSHOT = 'doc.conflicts';

/**
 * 2: a resolved conflict names who resolved it (DocConflict.resolver). 3: a deletion
 * made while others edited is a conflict (kind `deleted`), which 2 never listed.
 * 4: a field conflict resolved by several writers at once names them all
 * (`alsoResolvedBy`), where 3 named the earliest; and its times are the events'
 * clocked times (`clockedTime`).
 */
const VERSION = 4;

interface ConflictsState {
  version: typeof VERSION;
  heads: EventId[];
  conflicts: DocConflict[];
}

const isIds = (v: unknown): v is EventId[] =>
  Array.isArray(v) && v.every((id) => typeof id === 'string');

/** A conflict as this module saves them; anything else makes the record ignored. */
function isDocConflict(v: unknown): v is DocConflict {
  const c = v as Partial<DocConflict> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    (c.kind === 'field' || c.kind === 'text' || c.kind === 'deleted') &&
    typeof c.stream === 'string' &&
    isIds(c.events) &&
    isIds(c.forkPoint) &&
    Array.isArray(c.sides) &&
    c.sides.every(isIds) &&
    isIds(c.authors) &&
    typeof c.from === 'string' &&
    typeof c.to === 'string' &&
    (c.resolver === undefined || typeof c.resolver === 'string') &&
    (c.alsoResolvedBy === undefined || isIds(c.alsoResolvedBy)) &&
    (c.state === 'unresolved' ||
      c.state === 'auto-merged' ||
      c.state === 'resolved')
  );
}

/**
 * A document's conflicts at the stream's current heads, remembered. At the current
 * heads the stream holds exactly the heads' events (every stored event is their
 * ancestor), so conflicts computed when those heads were current hold whenever they
 * are current: the heads, content hashes, name everything the computation read.
 * The last ones are kept in memory and in a snapshot record, so that opening a long
 * document again costs a read, not a look-up of every conflict's events across the
 * whole history (they sit in every segment of it). Views at older heads are computed.
 */
export class ConflictMemo {
  private last: ConflictsState | undefined;
  private read = false;

  constructor(
    private readonly store: Store,
    private readonly stream: string,
  ) {}

  private get key(): string {
    return `${this.stream}\n${CONFLICTS_SNAPSHOT}`;
  }

  /**
   * The conflicts at `heads` (sorted): remembered when `current` (the stream's heads
   * now), else `compute()`d; those computed at the current heads are kept and saved,
   * best effort.
   */
  async at(
    heads: EventId[],
    current: boolean,
    compute: () => Promise<DocConflict[]>,
  ): Promise<DocConflict[]> {
    if (!current) return compute();
    if (!this.read) {
      this.read = true;
      this.last ??= await this.saved();
    }
    if (this.last && sameIds(this.last.heads, heads))
      return this.last.conflicts;
    const conflicts = await compute();
    this.last = { version: VERSION, heads, conflicts };
    // Valid by its heads, not by a position: 0 claims none.
    await putQuietly(
      this.store,
      orderFreeSnapshot(this.key, this.stream, 0, this.last),
    );
    return conflicts;
  }

  private async saved(): Promise<ConflictsState | undefined> {
    const record = await this.store
      .getSnapshot(this.key)
      .catch(() => undefined);
    const state = record?.state as Partial<ConflictsState> | undefined;
    return state?.version === VERSION &&
      isIds(state.heads) &&
      Array.isArray(state.conflicts) &&
      state.conflicts.every(isDocConflict)
      ? (state as ConflictsState)
      : undefined;
  }
}
