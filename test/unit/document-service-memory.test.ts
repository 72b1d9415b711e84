import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { memoryStore, openDocument } from '../../src/index.ts';
import { openLogOn } from '../../src/log/log.ts';
import { documentService } from '../support/document-service.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MiB = 1024 * 1024;

/** The heap in use after full collections. */
function heapUsed(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

describe("the worker's document service", () => {
  it('keeps the states of the documents asked about lately, not of every document opened in a session', async () => {
    const store = memoryStore();
    const log = await openLogOn(store, { actor: 'reader' });
    const DOCS = 30;
    // 400k characters each, pasted in one go: each document's folded state holds
    // its text beside the event that stores it (a long-edited one holds far more:
    // every item of its Yjs history).
    for (let i = 0; i < DOCS; i++) {
      const doc = await openDocument(log, `doc-${i}`);
      await doc.editText(0, 0, `${i} `.padEnd(400_000, 'abcdefghij'));
    }
    const docs = documentService(log, store);
    const before = heapUsed();
    for (let i = 0; i < DOCS; i++)
      expect((await docs.documentView(`doc-${i}`)).text).toHaveLength(400_000);
    const held = heapUsed() - before;
    console.info(
      `${DOCS} documents looked at: +${(held / MiB).toFixed(1)} MiB held`,
    );
    // What a few documents' states take, not thirty's (12 MiB before).
    expect(held).toBeLessThan(6 * MiB);
    // Those let go open again when asked, as they were.
    await docs.setDocumentField('doc-0', 'title', 'First');
    expect((await docs.documentView('doc-0')).fields.title).toEqual(['First']);
    await log.close();
  });
});
