import { describe, expect, it } from 'vitest';
import { memoryStore, openDocument } from '../../src/index.ts';
import { openLogOn } from '../../src/log/log.ts';
import type { Store } from '../../src/log/store.ts';
import {
  createDocumentService,
  LISTED_AT_ONCE,
} from '../../worker/document-service.ts';

/** `store`, counting the whole-stream reads under way at once (the most seen). */
function watchingReads(store: Store): { store: Store; most: () => number } {
  let reading = 0;
  let most = 0;
  const watched: Store = {
    ...store,
    async streamEventsSince(stream, pos) {
      most = Math.max(most, ++reading);
      try {
        return await store.streamEventsSince(stream, pos);
      } finally {
        reading--;
      }
    },
  };
  return { store: watched, most: () => most };
}

describe('the documents list', () => {
  it('reads a few documents at a time, not the whole log at once, and lists every one', async () => {
    const { store, most } = watchingReads(memoryStore());
    const log = await openLogOn(store);
    const titles = Array.from({ length: 3 * LISTED_AT_ONCE + 1 }, (_, i) =>
      `Document ${i}`.padStart(12, '0'),
    );
    const docIds: string[] = [];
    for (const [i, title] of titles.entries()) {
      const docId = `d${String(i).padStart(2, '0')}`;
      await (await openDocument(log, docId)).setField('title', title);
      docIds.push(docId);
    }
    const service = createDocumentService(
      log,
      store,
      undefined,
      () => undefined,
      () => undefined,
    );
    const listed = await service.listDocuments();
    expect(listed).toEqual(
      docIds.map((docId, i) => ({
        docId,
        title: [titles[i]],
        deleted: false,
      })),
    );
    // Without snapshots every document is read whole: a few at a time.
    expect(most()).toBeGreaterThan(1);
    expect(most()).toBeLessThanOrEqual(LISTED_AT_ONCE);
    await log.close();
  });
});
