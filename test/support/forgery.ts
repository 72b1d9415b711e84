import * as Y from 'yjs';
import type { LogEvent } from '../../src/index.ts';

/** The Yjs client ids a text edit's update writes under. */
export const clientsOf = (event: LogEvent): Set<number> =>
  new Set(
    Y.decodeUpdate(event.data as Uint8Array).structs.map((s) => s.id.client),
  );

/**
 * A Yjs update inserting `insert` at `index` into the text that `base` (an
 * update) holds, written under the Yjs client id `client`: another writer's, for a
 * forger. Its structs take the clocks that writer writes at next.
 */
export function forgedUnder(
  client: number,
  base: Uint8Array,
  index: number,
  insert: string,
): Uint8Array {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, base);
  doc.clientID = client;
  let update: Uint8Array | undefined;
  doc.on('update', (u: Uint8Array) => (update = u));
  doc.getText('body').insert(index, insert);
  doc.destroy();
  return update!;
}
