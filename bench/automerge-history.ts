import * as A from '@automerge/automerge';
import type { SequentialTrace } from './editing-trace.ts';

type TraceText = {
  text: string;
};

/**
 * A sequential trace as Automerge keeps it: one change per txn (its patches applied
 * in order), from a document holding `startContent`, then `Automerge.save`, which
 * keeps the whole history (every change, compressed, columnar): the bytes a
 * history-keeping peer stores for the same edits. The txns run in the harness's
 * process with Automerge's Node (WebAssembly) build.
 * @throws Error when the text does not end as the trace's endContent.
 */
export function automergeSavedBytes(trace: SequentialTrace): number {
  let doc = A.from<TraceText>({ text: trace.startContent });
  for (const { patches } of trace.txns)
    doc = A.change(doc, (d) => {
      for (const [pos, remove, insert] of patches)
        A.splice(d, ['text'], pos, remove, insert);
    });
  if (doc.text !== trace.endContent)
    throw new Error(
      `Automerge's replay ends with ${doc.text.length} characters, not the trace's ${trace.endContent.length}`,
    );
  return A.save(doc).byteLength;
}
