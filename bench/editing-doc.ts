import * as Y from 'yjs';

/** [position, deleted count, inserted text], as in the public editing traces. */
export type TracePatch = [pos: number, del: number, ins: string];

/** The name of the shared text in every Y.Doc of the benchmarks. */
export const TEXT_NAME = 'body';

/** A Yjs v1 update that changes nothing: no structs, an empty delete set. */
export const EMPTY_UPDATE: Uint8Array = new Uint8Array([0, 0]);

const LOCAL = Symbol('local edit');

/**
 * Applies a txn's patches in order: each sees the ones before it applied.
 * @throws RangeError for a patch past the end, which Yjs would quietly clamp.
 */
export function applyTracePatches(
  text: Y.Text,
  patches: readonly TracePatch[],
): void {
  for (const [pos, del, ins] of patches) {
    if (pos + del > text.length)
      throw new RangeError(
        `${pos}+${del} is past the end of the ${text.length}-character text`,
      );
    if (del > 0) text.delete(pos, del);
    if (ins.length > 0) text.insert(pos, ins);
  }
}

/**
 * The Y.Doc one agent types into. A new Y.Doc draws a fresh random client id, as
 * DESIGN §6 requires of every doc that produces updates.
 */
export class EditingDoc {
  readonly doc = new Y.Doc();
  readonly text = this.doc.getText(TEXT_NAME);
  private lastUpdate: Uint8Array = EMPTY_UPDATE;

  constructor() {
    this.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === LOCAL) this.lastUpdate = update;
    });
  }

  /** Applies the patches in one Yjs transaction and returns the update it produced. */
  edit(patches: readonly TracePatch[]): Uint8Array {
    this.lastUpdate = EMPTY_UPDATE;
    this.doc.transact(() => applyTracePatches(this.text, patches), LOCAL);
    return this.lastUpdate;
  }

  /**
   * Integrates updates from other agents in one Yjs transaction. (Y.mergeUpdates
   * first is slower: it re-encodes, and it grows superlinearly with the count.)
   */
  receive(updates: Uint8Array[]): void {
    if (updates.length === 0) return;
    this.doc.transact(() => {
      for (const update of updates) Y.applyUpdate(this.doc, update);
    });
  }

  /** Takes everything `other` holds that this doc lacks, chosen by state vector. */
  pullFrom(other: EditingDoc): void {
    Y.applyUpdate(
      this.doc,
      Y.encodeStateAsUpdate(other.doc, Y.encodeStateVector(this.doc)),
    );
  }

  toString(): string {
    return this.text.toString();
  }
}
