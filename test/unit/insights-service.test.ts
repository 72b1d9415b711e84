import { describe, expect, it } from 'vitest';
import { memoryStore, openDocument } from '../../src/index.ts';
import { openLogOn } from '../../src/log/log.ts';
import { projectionKeyOf } from '../../src/log/projections.ts';
import {
  createInsightsService,
  RETIRED_INSIGHTS,
} from '../../worker/insights-service.ts';

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
});
