import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { memoryStore, openDocument, openLog } from '../../src/index.ts';
import { openLogOn } from '../../src/log/log.ts';
import type { Store } from '../../src/log/store.ts';
import type { EventFilter } from '../../src/log/event-filter.ts';
import {
  documentFields,
  loadDocument,
} from '../../src/doc/document-snapshots.ts';
import { documentService } from '../support/document-service.ts';
import { assertProperty } from '../support/property.ts';
import { collect } from '../support/records.ts';
import { titlesOf } from '../../src/doc/doc-events.ts';

/** `store`, recording the reads a listing makes. */
function watchingReads(store: Store) {
  const reads = { streams: 0, logFilters: [] as (EventFilter | undefined)[] };
  const watched: Store = {
    ...store,
    streamEventsSince(stream, pos) {
      reads.streams++;
      return store.streamEventsSince(stream, pos);
    },
    eventsFrom(from, only) {
      reads.logFilters.push(only);
      return store.eventsFrom(from, only);
    },
  };
  return { store: watched, reads };
}

/** The titles a listing reads for doc/d, and the errors it passed over. */
async function listedTitles(store: Store) {
  const ignored: unknown[] = [];
  const fields = await documentFields(store, ['doc/d'], (error) =>
    ignored.push(error),
  );
  const titles = fields
    .get('doc/d')!
    .values('title')
    .map((v) => v.value);
  return { titles, ignored };
}

describe('the documents list', () => {
  it('reads the field writes of the log in one filtered pass, never a whole stream', async () => {
    const { store, reads } = watchingReads(memoryStore());
    const log = await openLogOn(store);
    const docIds = ['d0', 'd1', 'd2'];
    for (const docId of docIds) {
      const doc = await openDocument(log, docId);
      await doc.setField('title', `Title of ${docId}`);
      await doc.editText(0, 0, 'words '.repeat(9));
    }
    await (await openDocument(log, 'd1')).delete();
    reads.streams = 0;
    reads.logFilters = [];
    expect(await documentService(log, store).listDocuments()).toEqual([
      {
        docId: 'd0',
        title: ['Title of d0'],
        deleted: false,
        deletionContested: false,
      },
      {
        docId: 'd1',
        title: ['Title of d1'],
        deleted: true,
        deletionContested: false,
      },
      {
        docId: 'd2',
        title: ['Title of d2'],
        deleted: false,
        deletionContested: false,
      },
    ]);
    expect(reads.streams).toBe(0);
    expect(reads.logFilters).toEqual([
      { streams: 'doc/d', types: ['doc.field.set', 'doc.version.restored'] },
    ]);
    await log.close();
  });

  it('lists a document whose field writes from another replica do not read, and says so', async () => {
    const store = memoryStore();
    const log = await openLogOn(store);
    const there = await openLog({ actor: 'there' });
    await (await openDocument(there, 'd')).setField('title', 'Kept');
    // Field writes no document handle would make: no field, then no supersedes.
    await there.append('doc/d', { type: 'doc.field.set', data: { value: 1 } });
    await there.append('doc/d', {
      type: 'doc.version.restored',
      data: { fields: { title: { value: 'x' } } },
    });
    await log.ingest(await collect(there.since({})));
    const { titles, ignored } = await listedTitles(store);
    expect(titles).toEqual(['Kept']);
    expect(ignored).toHaveLength(2);
    await Promise.all([log.close(), there.close()]);
  });

  it('takes nothing of a restore whose text does not read: the list names the document as the document does (QA pass 11)', async () => {
    const store = memoryStore();
    const log = await openLogOn(store);
    const there = await openLog({ actor: 'there' });
    await (await openDocument(there, 'd')).setField('title', 'Budget');
    // Fields that read, beside a text that is no base64url.
    await there.append('doc/d', {
      type: 'doc.version.restored',
      data: {
        from: [],
        text: 'x',
        fields: { title: { value: 'HACKED', supersedes: [] } },
      },
    });
    await log.ingest(await collect(there.since({})));
    const { titles, ignored } = await listedTitles(store);
    expect(titles).toEqual(['Budget']);
    expect(ignored).toHaveLength(1);
    const docs = documentService(log, store);
    expect((await docs.listDocuments())[0]!.title).toEqual(['Budget']);
    expect((await docs.documentView('d')).fields.title).toEqual(['Budget']);
    // Read without text (the list's own fold) and with: the same.
    const loaded = await loadDocument(store, 'doc/d', {
      text: false,
      onIgnoredError: () => undefined,
    });
    expect(loaded.registers.values('title').map((v) => v.value)).toEqual([
      'Budget',
    ]);
    await Promise.all([log.close(), there.close()]);
  });

  it('lists documents by title, numbers in order, the same on every device (QA pass 11)', async () => {
    const store = memoryStore();
    const log = await openLogOn(store);
    const titles = ['Notes 10', 'budget', 'Notes 2', 'Zebra', 'Apples'];
    for (const title of titles)
      await documentService(log, store).createDocument(title);
    const listed = await documentService(log, store).listDocuments();
    expect(listed.map((d) => d.title[0])).toEqual([
      'Apples',
      'budget',
      'Notes 2',
      'Notes 10',
      'Zebra',
    ]);
    await log.close();
  });

  it('names a document by the strings among its titles: another replica may write any JSON there', async () => {
    const store = memoryStore();
    const log = await openLogOn(store);
    const there = await openLog({ actor: 'there' });
    const doc = await openDocument(there, 'd');
    const [seen] = await there.heads('doc/d');
    await doc.setField('title', 'Kept');
    // Set at once with other heads: both stay live, as concurrent titles do.
    await doc.setField('title', { evil: [1, 2] }, { at: seen ? [seen] : [] });
    await log.ingest(await collect(there.since({})));
    const view = await (await openDocument(log, 'd')).view();
    expect(view.fields.title).toEqual(
      expect.arrayContaining(['Kept', { evil: [1, 2] }]),
    );
    // The list, the title's field and a comparison all read it through titlesOf.
    expect(titlesOf(view.fields.title)).toEqual(['Kept']);
    expect(await documentService(log, store).listDocuments()).toEqual([
      {
        docId: 'd',
        title: ['Kept'],
        deleted: false,
        deletionContested: false,
      },
    ]);
    await Promise.all([log.close(), there.close()]);
  });

  it('lists the fields that folding each document gives, snapshots or not, concurrent or not', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.array(
          fc.record({
            replica: fc.nat(1),
            doc: fc.nat(2),
            kind: fc.constantFrom(
              'title',
              'text',
              'delete',
              'restore',
              'sync',
              'open',
            ),
            value: fc.string({ maxLength: 4 }),
          }),
          { maxLength: 30 },
        ),
        async (steps) => {
          const store = memoryStore();
          const logs = [
            await openLogOn(store),
            await openLog({ actor: 'there' }),
          ];
          const past = new Map<string, string[]>();
          for (const step of steps) {
            const log = logs[step.replica]!;
            const docId = `d${step.doc}`;
            const doc = await openDocument(log, docId);
            if (step.kind === 'title') {
              past.set(
                `${step.replica}${docId}`,
                await log.heads(`doc/${docId}`),
              );
              await doc.setField('title', step.value);
            } else if (step.kind === 'text')
              await doc.editText(0, 0, step.value || 'x');
            else if (step.kind === 'delete') await doc.delete();
            else if (step.kind === 'restore') {
              // Back to the version before this document's last rename here.
              const before = past.get(`${step.replica}${docId}`);
              if (before) await doc.restore(before);
            } else if (step.kind === 'sync') {
              const [a, b] = logs;
              await b!.ingest(
                await collect(a!.since(await b!.versionVector())),
              );
              await a!.ingest(
                await collect(b!.since(await a!.versionVector())),
              );
            } else {
              // A snapshot of the document here, as opening it saves (every: 1).
              await loadDocument(store, `doc/${docId}`, {
                text: true,
                every: 1,
                onIgnoredError: () => undefined,
              });
            }
          }
          const streams = await logs[0]!.streams('doc/');
          const listed = await documentFields(store, streams, (e) => {
            throw e;
          });
          for (const stream of streams) {
            const folded = await loadDocument(store, stream, {
              text: false,
              onIgnoredError: () => undefined,
            });
            for (const field of ['title', '@deleted'])
              expect(
                listed
                  .get(stream)!
                  .values(field)
                  .map((v) => v.id)
                  .sort(),
              ).toEqual(
                folded.registers
                  .values(field)
                  .map((v) => v.id)
                  .sort(),
              );
          }
          await Promise.all(logs.map((l) => l.close()));
        },
      ),
      40,
    );
  });
});
