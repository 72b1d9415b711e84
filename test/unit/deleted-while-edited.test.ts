import { describe, expect, it } from 'vitest';
import {
  memoryStore,
  openDocument,
  type DocConflict,
} from '../../src/index.ts';
import { openLogOn } from '../../src/log/log.ts';
import { syncAll } from '../support/convergence.ts';
import { documentService } from '../support/document-service.ts';

const DOC = 'plans';

/**
 * Two devices holding one document: "ann" and "bob", each with its log (the
 * document created on ann's and synced), and bob's document service (the list).
 */
async function twoDevices() {
  const [annStore, bobStore] = [memoryStore(), memoryStore()];
  const ann = await openLogOn(annStore, { actor: 'ann-device' });
  const bob = await openLogOn(bobStore, { actor: 'bob-device' });
  const annDoc = await openDocument(ann, DOC, { author: 'ann' });
  const bobDoc = await openDocument(bob, DOC, { author: 'bob' });
  await annDoc.setField('title', 'Plans');
  await annDoc.editText(0, 0, 'Meet at noon.');
  await syncAll([ann, bob]);
  const listed = async () =>
    (await documentService(bob, bobStore).listDocuments()).find(
      (d) => d.docId === DOC,
    )!;
  const close = async () => {
    await ann.close();
    await bob.close();
  };
  return { ann, bob, annDoc, bobDoc, listed, close };
}

const deletions = (conflicts: DocConflict[]) =>
  conflicts.filter((c) => c.kind === 'deleted');

describe('a document deleted while another device edited it', () => {
  it('is an unresolved conflict on both devices, naming who deleted it, and the list keeps it in sight', async () => {
    const { ann, bob, annDoc, bobDoc, listed, close } = await twoDevices();
    // Offline at once: ann deletes, bob types on.
    const deleted = await annDoc.delete();
    const typed = await bobDoc.editText(13, 0, ' Bring cake.');
    await syncAll([ann, bob]);

    for (const doc of [annDoc, bobDoc]) {
      const view = await doc.view();
      expect(view.deleted).toBe(true);
      // Nothing dropped: the deleted document holds bob's typing.
      expect(view.text).toBe('Meet at noon. Bring cake.');
      const [conflict, ...more] = deletions(view.conflicts);
      expect(more).toEqual([]);
      expect(conflict).toMatchObject({
        kind: 'deleted',
        state: 'unresolved',
        deletedBy: ['ann'],
        editedBy: ['bob'],
        authors: ['ann', 'bob'],
      });
      expect([...conflict!.events].sort()).toEqual(
        [deleted.event.id, typed.event.id].sort(),
      );
      expect(conflict!.sides.flat().sort()).toEqual(
        [deleted.event.id, typed.event.id].sort(),
      );
    }
    expect(await listed()).toMatchObject({
      deleted: true,
      deletionContested: true,
    });
    await close();
  });

  it('is resolved by whoever restores it or deletes it again, having seen both', async () => {
    for (const decide of ['undelete', 'delete'] as const) {
      const { ann, bob, annDoc, bobDoc, listed, close } = await twoDevices();
      await annDoc.delete();
      await bobDoc.setField('title', 'Plans for Friday');
      await syncAll([ann, bob]);
      const decision = await bobDoc[decide]();
      await syncAll([ann, bob]);

      const view = await annDoc.view();
      expect(view.deleted).toBe(decide === 'delete');
      expect(deletions(view.conflicts)).toMatchObject([
        {
          state: 'resolved',
          resolvedBy: decision.event.id,
          resolver: 'bob',
          deletedBy: ['ann'],
        },
      ]);
      expect((await listed()).deletionContested).toBe(false);
      await close();
    }
  });

  it('is no conflict when a delete saw each edit, or each edit saw a delete', async () => {
    // Ann types, then deletes; bob, not having seen her typing, deletes too. His
    // delete missed her typing, but she deleted it herself.
    const saw = await twoDevices();
    await saw.annDoc.editText(0, 0, 'Note: ');
    await saw.annDoc.delete();
    await saw.bobDoc.delete();
    await syncAll([saw.ann, saw.bob]);
    expect(deletions((await saw.bobDoc.view()).conflicts)).toEqual([]);
    expect(await saw.listed()).toMatchObject({
      deleted: true,
      deletionContested: false,
    });
    await saw.close();

    // Ann deletes, then types into the deleted document; bob deletes too.
    const after = await twoDevices();
    await after.annDoc.delete();
    await after.annDoc.editText(0, 0, 'Still: ');
    await after.bobDoc.delete();
    await syncAll([after.ann, after.bob]);
    expect(deletions((await after.bobDoc.view()).conflicts)).toEqual([]);
    expect((await after.listed()).deletionContested).toBe(false);
    await after.close();
  });

  it('is not settled by typing on in the deleted document, and is by a restore made without looking', async () => {
    const { ann, bob, annDoc, bobDoc, listed, close } = await twoDevices();
    await annDoc.delete();
    await bobDoc.editText(0, 0, 'Draft: ');
    await syncAll([ann, bob]);
    // Bob's tab had the document open and he types on: his edit joins both sides.
    await bobDoc.editText(0, 0, 'Late ');
    await syncAll([ann, bob]);
    expect(deletions((await annDoc.view()).conflicts)).toMatchObject([
      { state: 'unresolved', deletedBy: ['ann'] },
    ]);
    expect((await listed()).deletionContested).toBe(true);

    // Ann brings it back, not having synced since: the edits are in sight again.
    const restored = await annDoc.undelete();
    await syncAll([ann, bob]);
    const view = await bobDoc.view();
    expect(view.deleted).toBe(false);
    expect(view.text).toBe('Late Draft: Meet at noon.');
    expect(deletions(view.conflicts)).toMatchObject([
      { state: 'resolved', resolvedBy: restored.event.id, resolver: 'ann' },
    ]);
    expect((await listed()).deletionContested).toBe(false);
    await close();
  });

  it('is no conflict at all when both devices delete it at once: they agree', async () => {
    const { ann, bob, annDoc, bobDoc, listed, close } = await twoDevices();
    await annDoc.delete();
    await bobDoc.delete();
    await syncAll([ann, bob]);
    expect((await bobDoc.view()).conflicts).toEqual([]);
    expect(await listed()).toMatchObject({
      deleted: true,
      deletionContested: false,
    });
    await close();
  });

  it('asks again when one device restores it while another keeps it deleted, at once', async () => {
    const { ann, bob, annDoc, bobDoc, listed, close } = await twoDevices();
    await annDoc.delete();
    await bobDoc.editText(0, 0, 'Draft: ');
    await syncAll([ann, bob]);
    // Both answer the question, each offline: ann restores, bob keeps it deleted.
    await annDoc.undelete();
    await bobDoc.delete();
    await syncAll([ann, bob]);
    const view = await annDoc.view();
    expect(view.deleted).toBe(true);
    const disputed = (c: DocConflict) => c.field === '@deleted';
    expect(view.conflicts.filter(disputed)).toMatchObject([
      {
        kind: 'field',
        state: 'unresolved',
        deletedBy: ['bob'],
        restoredBy: ['ann'],
      },
    ]);
    expect((await listed()).deletionContested).toBe(true);
    // Decided once more, having seen both: settled.
    const kept = await annDoc.delete();
    await syncAll([ann, bob]);
    expect((await bobDoc.view()).conflicts.filter(disputed)).toMatchObject([
      { state: 'resolved', resolvedBy: kept.event.id },
    ]);
    expect((await listed()).deletionContested).toBe(false);
    await close();
  });
});
