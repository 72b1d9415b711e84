import { spliceBetween } from '../src/doc/text-splice.ts';
import type { ConcurrentTrace, TracePatch } from './concurrent-trace.ts';
import { EditingDoc } from './editing-doc.ts';
import type { EditingTrace } from './editing-trace.ts';
import { convergeWithYjs } from './replay-yjs.ts';
import { planReplay, type TracePlan } from './trace-plan.ts';

/** One `editText`: [index, deleteCount, insert]. */
export type Splice = [index: number, deleteCount: number, insert: string];

/**
 * A txn's patches as the one splice `editText` takes. A single patch is its own
 * splice. Several need the text they apply to (`text`): their result is compared with
 * it by `spliceBetween`, the splice the editor and restore make too. Null when the
 * txn changes nothing, as an empty txn (a pure merge) does: `editText` refuses such
 * an edit.
 * @throws Error naming the patch that lies past the end of `text`.
 */
export function spliceOf(
  patches: readonly TracePatch[],
  text?: string,
): Splice | null {
  if (patches.length === 1) {
    const [index, deleteCount, insert] = patches[0]!;
    return deleteCount === 0 && insert === ''
      ? null
      : [index, deleteCount, insert];
  }
  if (patches.length === 0) return null;
  if (text === undefined)
    throw new Error('several patches need the text they apply to');
  let after = text;
  patches.forEach(([pos, del, ins], p) => {
    if (pos + del > after.length) {
      throw new Error(
        `patches[${p}]: ${pos}+${del} is past the end (length ${after.length})`,
      );
    }
    after = after.slice(0, pos) + ins + after.slice(pos + del);
  });
  const { index, deleteCount, insert } = spliceBetween(text, after);
  return deleteCount === 0 && insert === ''
    ? null
    : [index, deleteCount, insert];
}

/**
 * Every txn's splice, computed once, outside the timed replays, as the trace's
 * causality is (`trace-plan.ts`): it adapts the format to the document API, it is
 * not work the API does. A txn with several patches needs the text at its parents;
 * a Yjs replay of the trace supplies it. A replay through the API that read another
 * text there would not end with `endContent`, and fails its check.
 * @throws Error naming the txn whose patches do not fit the text.
 */
export function planSplices(
  trace: EditingTrace,
  plan: TracePlan | undefined = trace.kind === 'concurrent'
    ? planReplay(trace)
    : undefined,
): (Splice | null)[] {
  const splices: (Splice | null)[] = trace.txns.map(({ patches }) =>
    patches.length > 1 ? null : spliceOf(patches),
  );
  if (!trace.txns.some(({ patches }) => patches.length > 1)) return splices;
  const multiple = (txn: number, editor: EditingDoc) => {
    const { patches } = trace.txns[txn]!;
    if (patches.length < 2) return;
    try {
      splices[txn] = spliceOf(patches, editor.toString());
    } catch (error) {
      throw new Error(`txns[${txn}].${(error as Error).message}`, {
        cause: error,
      });
    }
  };
  if (trace.kind === 'concurrent') {
    convergeWithYjs(trace as ConcurrentTrace, plan!, multiple);
    return splices;
  }
  const editor = new EditingDoc();
  if (trace.startContent !== '') editor.edit([[0, 0, trace.startContent]]);
  trace.txns.forEach(({ patches }, txn) => {
    multiple(txn, editor);
    editor.edit(patches);
  });
  return splices;
}
