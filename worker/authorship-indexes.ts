import { streamOfDoc, type Log, type ProjectionHandle } from '../src/index.ts';
import {
  authorshipProjection,
  type AuthorshipIndex,
} from '../src/doc/authorship.ts';

/** Documents whose authorship index is kept live at once. */
const KEPT = 4;

/** A document's authorship index, caught up with the stream's current heads. */
export type AuthorshipIndexes = (
  docId: string,
) => Promise<ProjectionHandle<AuthorshipIndex>>;

/**
 * Each document's authorship index, kept by the log (log.project) for the documents
 * asked about most recently: the Authorship region's, and the event explorer's
 * account of who typed the text an event carried. One fold per document, whoever
 * asks.
 */
export function authorshipIndexes(
  log: Log,
  onIgnoredError: (error: unknown) => void,
): AuthorshipIndexes {
  const kept = new Map<string, Promise<ProjectionHandle<AuthorshipIndex>>>();
  return async (docId) => {
    const stream = streamOfDoc(docId);
    let h = kept.get(docId);
    kept.delete(docId);
    if (!h) {
      h = log.project(`authorship\n${stream}`, authorshipProjection(stream), {
        streams: stream,
      });
      h.catch(() => kept.delete(docId));
    }
    kept.set(docId, h);
    for (const old of [...kept.keys()].slice(0, -KEPT)) {
      void kept.get(old)!.then((p) => p.close(), onIgnoredError);
      kept.delete(old);
    }
    const index = await h;
    // Live, but a commit's delivery may still be on its way: wait for the heads.
    // (Checked and listened for in one step: a fold in between is not missed.)
    const heads = await Promise.all(
      (await log.heads(stream)).map((id) => log.get(id)),
    );
    const covered = () =>
      heads.every((e) => !e || e.seq <= (index.vector[e.actor] ?? 0));
    if (!covered())
      await new Promise<void>((resolve) => {
        const stop = index.onChange(() => {
          if (!covered()) return;
          stop();
          resolve();
        });
      });
    return index;
  };
}
