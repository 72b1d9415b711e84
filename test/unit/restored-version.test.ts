import { describe, expect, it } from 'vitest';
import {
  memoryStore,
  openDocument,
  VERSION_RESTORED,
  type Json,
} from '../../src/index.ts';
import { openLogOn } from '../../src/log/log.ts';
import { LIMITS } from '../../src/log/validate.ts';
import { syncAll } from '../support/convergence.ts';
import { documentService } from '../support/document-service.ts';

const DOC = 'notes';

describe('the version a restore brought back', () => {
  it('is named by its count in the history, while its heads are a version of it', async () => {
    const store = memoryStore();
    const log = await openLogOn(store, { actor: 'ana-laptop' });
    const docs = documentService(log, store);
    const doc = await openDocument(log, DOC, { author: 'Ana' });
    await doc.setField('title', 'Notes');
    await doc.editText(0, 0, 'First line.');
    await doc.editText(11, 0, ' Second line.');
    const { heads } = await docs.historyVersion(DOC, 2);
    const restore = (await doc.restore(heads)).at(-1)!.event;
    expect(restore.type).toBe(VERSION_RESTORED);
    expect(await docs.restoredVersion(DOC, restore.id)).toBe(2);

    // Another device's later edit leaves the count as it was.
    const phone = await openLogOn(memoryStore(), { actor: 'bo-phone' });
    await syncAll([log, phone]);
    await (await openDocument(phone, DOC)).editText(0, 0, 'Later. ');
    await syncAll([log, phone]);
    expect((await docs.historyPage(DOC, 'end', 1)).total).toBe(5);
    expect(await docs.restoredVersion(DOC, restore.id)).toBe(2);
    // One written an hour before, offline, that saw none of it, sorts first and is
    // in every version since: the version restored is no version of the history now.
    const other = await openLogOn(memoryStore(), {
      actor: 'cy-tablet',
      now: () => Date.now() - 3_600_000,
    });
    await (await openDocument(other, DOC)).setField('title', 'Offline notes');
    await syncAll([log, other]);
    expect(await docs.restoredVersion(DOC, restore.id)).toBeUndefined();
    await log.close();
    await phone.close();
    await other.close();
  });

  it("is none for what is no restore of the document, or another replica's restore that names no version", async () => {
    const store = memoryStore();
    const log = await openLogOn(store, { actor: 'ana-laptop' });
    const docs = documentService(log, store);
    const doc = await openDocument(log, DOC, { author: 'Ana' });
    const first = (await doc.editText(0, 0, 'One.')).event;
    const second = (await doc.editText(4, 0, ' Two.')).event;
    const elsewhere = await openDocument(log, 'elsewhere');
    const foreign = (await elsewhere.editText(0, 0, 'Other.')).event;

    // Restores as another replica may write them: `from` of any shape.
    const mallory = await openLogOn(memoryStore(), { actor: 'mallory' });
    await syncAll([log, mallory]);
    const restoreFrom = async (from: Json) =>
      (
        await mallory.append(`doc/${DOC}`, {
          type: VERSION_RESTORED,
          data: { from, text: null, fields: {} },
        })
      )[0]!.event.id;
    const hostile = [
      await restoreFrom('not a list'),
      await restoreFrom([]),
      await restoreFrom([42]),
      await restoreFrom(['AAAAAAAAAAAAAAAAAAAAAA']),
      await restoreFrom([foreign.id]),
      // More heads than an event may have parents.
      await restoreFrom(
        Array.from({ length: LIMITS.maxParents + 1 }, () => first.id),
      ),
      // Two events that are no version's heads: the second's prefix holds the first.
      await restoreFrom([first.id, second.id]),
    ];
    const honest = await restoreFrom([first.id]);
    await syncAll([log, mallory]);

    for (const id of hostile)
      expect(await docs.restoredVersion(DOC, id)).toBeUndefined();
    expect(await docs.restoredVersion(DOC, honest)).toBe(1);
    // What is no restore, or not this document's, or no id at all.
    expect(await docs.restoredVersion(DOC, second.id)).toBeUndefined();
    expect(await docs.restoredVersion('elsewhere', honest)).toBeUndefined();
    expect(
      await docs.restoredVersion(DOC, 42 as unknown as string),
    ).toBeUndefined();
    // The history still reads.
    expect((await docs.historyPage(DOC, 0, 100)).total).toBe(
      2 + hostile.length + 1,
    );
    await log.close();
    await mallory.close();
  });
});
