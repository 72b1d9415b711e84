import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { LIMITS } from '../log/validate.ts';
import { splitsSurrogatePair } from './text-splice.ts';

/**
 * The size the app cuts its own text updates to (a tab's typing, a restore): a
 * quarter of what an event holds, so that what goes with one (other tabs' early
 * text, a restore's fields, base64's third more) still fits.
 */
export const PIECE_BYTES = LIMITS.maxDataBytes / 4;

/**
 * `update`, one writer's Yjs transaction, as updates of at most `maxBytes` each that,
 * applied one after another, do what it does. An event holds at most
 * LIMITS.maxDataBytes, and one transaction can hold more: a paste of megabytes, or
 * the undo of deleting them, which Yjs redoes in one transaction whatever its size.
 *
 * The transaction's items go in clock order, a long text cut into items as Yjs
 * itself writes the rest of an item it sends from the middle: the character before
 * as origin, the item's right origin kept. A cut never falls between the halves of a
 * surrogate pair (Yjs would turn both into U+FFFD). The deletions go last, in one
 * update of their own. An update that is not one writer's run of items (a merge of
 * several replicas', say) is returned whole, as is one within `maxBytes`.
 */
export function piecesOfUpdate(
  update: Uint8Array,
  maxBytes: number,
): Uint8Array[] {
  if (update.length <= maxBytes) return [update];
  const { structs, ds } = Y.decodeUpdate(update);
  const items = oneRun(structs);
  if (!items) return [update];
  // Each character of a text costs at most 3 bytes (UTF-8 of one UTF-16 unit).
  const maxUnits = Math.max(2, Math.floor((maxBytes - ITEM_BYTES) / 3));
  const pieces: Uint8Array[] = [];
  let run: Y.Item[] = [];
  let bytes = RUN_BYTES;
  for (const item of items)
    for (const part of cut(item, maxUnits)) {
      const size = sizeOf(part);
      if (run.length > 0 && bytes + size > maxBytes) {
        pieces.push(encodeRun(run));
        run = [];
        bytes = RUN_BYTES;
      }
      run.push(part);
      bytes += size;
    }
  if (run.length > 0) pieces.push(encodeRun(run));
  if (ds.clients.size > 0) {
    // The update less every item it holds (not Y.encodeStateVectorFromUpdate: for a
    // run that starts past clock 0 it says 0).
    const last = items.at(-1)!;
    const held = new Map([[last.id.client, last.id.clock + last.length]]);
    pieces.push(Y.diffUpdate(update, Y.encodeStateVector(held)));
  }
  return pieces;
}

/** An item's bytes besides its text, at most: its info, two ids, a parent's name. */
const ITEM_BYTES = 64;
/** A run's bytes besides its items: counts, its client, its first clock, no deletions. */
const RUN_BYTES = 32;

/** The items of `structs` when they are one client's, clock after clock. */
function oneRun(structs: (Y.Item | Y.GC | Y.Skip)[]): Y.Item[] | undefined {
  const items: Y.Item[] = [];
  for (const struct of structs) {
    const last = items.at(-1);
    if (
      !(struct instanceof Y.Item) ||
      (last &&
        (struct.id.client !== last.id.client ||
          struct.id.clock !== last.id.clock + last.length))
    )
      return undefined;
    items.push(struct);
  }
  return items.length > 0 ? items : undefined;
}

/** `item`, its text cut into items of at most `maxUnits` code units. */
function cut(item: Y.Item, maxUnits: number): Y.Item[] {
  const content = item.content;
  if (!(content instanceof Y.ContentString) || item.length <= maxUnits)
    return [item];
  const { client, clock } = item.id;
  const parts: Y.Item[] = [];
  for (let from = 0; from < content.str.length;) {
    let to = Math.min(content.str.length, from + maxUnits);
    if (splitsSurrogatePair(content.str, to)) to--;
    parts.push(
      new Y.Item(
        Y.createID(client, clock + from),
        null,
        from === 0 ? item.origin : Y.createID(client, clock + from - 1),
        null,
        item.rightOrigin,
        from === 0 ? item.parent : null,
        from === 0 ? item.parentSub : null,
        new Y.ContentString(content.str.slice(from, to)),
      ),
    );
    from = to;
  }
  return parts;
}

function sizeOf(item: Y.Item): number {
  const encoder = new Y.UpdateEncoderV1();
  item.write(encoder, 0);
  return encoder.toUint8Array().length;
}

/** A Yjs update (v1) of one client's items, clock after clock, deleting nothing. */
function encodeRun(items: Y.Item[]): Uint8Array {
  const encoder = new Y.UpdateEncoderV1();
  const first = items[0]!;
  encoding.writeVarUint(encoder.restEncoder, 1);
  encoding.writeVarUint(encoder.restEncoder, items.length);
  encoder.writeClient(first.id.client);
  encoding.writeVarUint(encoder.restEncoder, first.id.clock);
  for (const item of items) item.write(encoder, 0);
  encoding.writeVarUint(encoder.restEncoder, 0);
  return encoder.toUint8Array();
}
