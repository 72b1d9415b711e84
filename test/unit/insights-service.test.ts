import { describe, expect, it } from 'vitest';
import {
  memoryStore,
  openDocument,
  openLog,
  type Log,
} from '../../src/index.ts';
import { openLogOn } from '../../src/log/log.ts';
import { projectionKeyOf } from '../../src/log/projections.ts';
import {
  createInsightsService,
  RETIRED_INSIGHTS,
} from '../../worker/insights-service.ts';
import { documentService } from '../support/document-service.ts';
import { collect } from '../support/records.ts';

async function syncInto(to: Log, from: Log) {
  await to.ingest(await collect(from.since(await to.versionVector())));
}

describe("the worker's insights", () => {
  it('delete the checkpoints earlier formats left behind, and nothing else', async () => {
    const store = memoryStore();
    const log = await openLogOn(store);
    const doc = await openDocument(log, 'd1', { author: 'Ann' });
    await doc.editText(0, 0, 'Hello');
    const left = (name: string) => ({
      key: projectionKeyOf(name),
      stream: '',
      pos: 1,
      extra: [],
      after: null,
      state: { version: 1, vector: {}, state: 'an old format' },
      takenAt: 0,
    });
    for (const name of [...RETIRED_INSIGHTS, 'insights.v8'])
      await store.putSnapshot(left(name));

    const service = createInsightsService(log, store);
    const figures = await service.insights();
    expect(figures.busiestDocuments).toEqual([{ docId: 'd1', events: 1 }]);
    for (const name of RETIRED_INSIGHTS)
      expect(await store.getSnapshot(projectionKeyOf(name))).toBeUndefined();
    // A name no version used is not this service's to delete.
    expect(await store.getSnapshot(projectionKeyOf('insights.v8'))).toEqual(
      left('insights.v8'),
    );
    await log.close();
  });

  it('list a deletion made while another device edited, as the timeline does, and read only documents where one may be', async () => {
    const store = memoryStore();
    const a = await openLogOn(store, { actor: 'a' });
    const b = await openLog({ actor: 'b' });
    const ann = await openDocument(a, 'd', { author: 'Ann' });
    await ann.editText(0, 0, 'Shared text.');
    // Deleted on one device alone: no conflict, and no document read for one.
    const lone = await openDocument(a, 'lone', { author: 'Ann' });
    await lone.editText(0, 0, 'Mine.');
    await lone.delete();
    await syncInto(b, a);
    // Ann deletes while Bo types, neither having seen the other.
    await ann.delete();
    await (
      await openDocument(b, 'd', { author: 'Bo' })
    ).editText(0, 0, 'More. ');
    await syncInto(a, b);
    const documents = documentService(a, store);
    const read: string[] = [];
    const service = createInsightsService(
      a,
      store,
      undefined,
      async (docId) => {
        read.push(docId);
        return (await documents.documentFacts(docId)).conflicts;
      },
    );
    const deletions = async () =>
      (await service.insights()).conflicts.filter((c) => c.kind === 'deletion');
    expect(await deletions()).toEqual([
      {
        docId: 'd',
        time: expect.any(String),
        kind: 'deletion',
        state: 'unresolved',
      },
    ]);
    expect(read).toEqual(['d']);
    // Restored: resolved, with how long it took.
    await (await openDocument(a, 'd', { author: 'Ann' })).undelete();
    expect(await deletions()).toEqual([
      {
        docId: 'd',
        time: expect.any(String),
        kind: 'deletion',
        state: 'resolved',
        resolvedAfter: expect.any(Number),
      },
    ]);
    // One document's insights hold its own alone.
    expect(
      (await service.insights('lone')).conflicts.filter(
        (c) => c.kind === 'deletion',
      ),
    ).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });
});
