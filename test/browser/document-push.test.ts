import { proxy } from 'comlink';
import * as Y from 'yjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Delivery, DocumentFacts } from '../../src/contract/index.ts';
import { randomActorId, streamOfDoc, TEXT_EDITED } from '../../src/index.ts';
import { STREAM_PAGE } from '../../src/log/subscriptions.ts';
import { workerPool } from '../support/workers.ts';

const pool = workerPool();
afterEach(() => pool.cleanup());

/** Deliveries as they come, each awaited in turn. */
function inbox() {
  const queue: { batch: Delivery[]; facts?: DocumentFacts }[] = [];
  let wake: (() => void) | undefined;
  return {
    deliver: proxy((batch: Delivery[], facts?: DocumentFacts) => {
      queue.push({ batch, ...(facts ? { facts } : {}) });
      wake?.();
    }),
    async next() {
      while (queue.length === 0) await new Promise<void>((r) => (wake = r));
      return queue.shift()!;
    },
  };
}

describe('creating a document', () => {
  it('takes the id the page names, once: an id in use or not a valid name is refused and changes nothing', async () => {
    const tab = await pool.start(pool.database('create'));
    const docId = randomActorId();
    expect(await tab.service.createDocument('Named', docId)).toBe(docId);
    await expect(tab.service.createDocument('Again', docId)).rejects.toThrow(
      `document ${docId} exists already`,
    );
    await expect(tab.service.createDocument('Bad', 'a\nb')).rejects.toThrow(
      /stream/,
    );
    expect(
      (await tab.service.listDocuments()).map((d) => [d.docId, d.title]),
    ).toEqual([[docId, ['Named']]]);
  });
});

describe("a document's subscription", () => {
  it('is pushed the facts with its first batch and with what changes them, not with text that follows on', async () => {
    const tab = await pool.start(pool.database('push'));
    const docId = await tab.service.createDocument('First');
    const stream = streamOfDoc(docId);
    const got = inbox();
    await tab.service.subscribe(stream, 0, got.deliver, { document: docId });
    const first = await got.next();
    expect(first.facts?.fields.title).toEqual(['First']);

    // Typing that follows on: the text only, which the page keeps itself.
    const ydoc = new Y.Doc();
    ydoc.getText('body').insert(0, 'abc');
    await tab.service.appendTextUpdate(
      docId,
      Y.encodeStateAsUpdate(ydoc),
      await tab.service.heads(stream),
    );
    const typed = await got.next();
    expect(typed.batch.map((d) => d.event.type)).toEqual(['doc.text.edited']);
    expect(typed.facts).toBeUndefined();

    // Two renames at once, from the same heads: both values, pushed.
    const heads = await tab.service.heads(stream);
    await tab.service.setDocumentField(docId, 'title', 'Left', heads);
    await tab.service.setDocumentField(docId, 'title', 'Right', heads);
    let facts: DocumentFacts | undefined;
    while (!facts || facts.fields.title?.length !== 2)
      facts = (await got.next()).facts ?? facts;
    expect([...facts.fields.title!].sort()).toEqual(['Left', 'Right']);
    expect(facts.conflicts.map((c) => c.kind)).toEqual(['field']);
  });
});

describe("a subscription's catch-up", () => {
  it('comes in pages, a stream’s of at most STREAM_PAGE events: each once, in position order, another tab’s as its own', async () => {
    const database = pool.database('catch-up');
    const [here, there] = [
      await pool.start(database),
      await pool.start(database),
    ];
    const docId = await there.service.createDocument('Long');
    const stream = streamOfDoc(docId);
    // Another tab stores far more than a page while this one does not listen.
    const writer = new Y.Doc();
    const updates: Uint8Array[] = [];
    writer.on('update', (update: Uint8Array) => updates.push(update));
    for (let i = 0; i < 2.5 * STREAM_PAGE; i++)
      writer.getText('body').insert(i, 'abc'[i % 3]!);
    for (let i = 0; i < updates.length; i += 500)
      await there.service.append(
        stream,
        updates.slice(i, i + 500).map((data) => ({ type: TEXT_EDITED, data })),
      );
    const stored = (await there.service.readAfter(stream, 0)).map(
      (d) => d.position,
    );

    const got = inbox();
    await here.service.subscribe(stream, 0, got.deliver, { document: docId });
    const sizes: number[] = [];
    const positions: number[] = [];
    while (positions.length < stored.length) {
      const { batch } = await got.next();
      sizes.push(batch.length);
      positions.push(...batch.map((d) => d.position));
    }
    expect(positions).toEqual(stored);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(STREAM_PAGE);
    expect(sizes.length).toBeGreaterThanOrEqual(
      Math.ceil(stored.length / STREAM_PAGE),
    );

    // The whole log's catch-up comes in the store's pages too.
    const everything = inbox();
    await here.service.subscribe(null, 0, everything.deliver);
    const last = await here.service.position();
    const all: number[] = [];
    const pages: number[] = [];
    while (all.at(-1) !== last) {
      const { batch } = await everything.next();
      pages.push(batch.length);
      all.push(...batch.map((d) => d.position));
    }
    expect(all).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    expect(pages.length).toBeGreaterThan(1);
  });
});

describe('a subscription to the whole log by type', () => {
  it('is sent the events of those types only, its own tab’s and another tab’s, and nothing for the rest', async () => {
    const database = pool.database('typed');
    const [here, there] = [
      await pool.start(database),
      await pool.start(database),
    ];
    const got = inbox();
    await here.service.subscribe(
      null,
      await here.service.position(),
      got.deliver,
      {
        types: ['doc.field.set'],
      },
    );
    for (const tab of [here, there]) {
      const docId = await tab.service.createDocument('Typed');
      const stream = streamOfDoc(docId);
      // Text first: passed over, in this tab and when the other tab's commit wakes it.
      for (const text of ['a', 'b', 'c']) {
        const ydoc = new Y.Doc();
        ydoc.getText('body').insert(0, text);
        await tab.service.appendTextUpdate(
          docId,
          Y.encodeStateAsUpdate(ydoc),
          await tab.service.heads(stream),
        );
      }
      await tab.service.setDocumentField(
        docId,
        'title',
        'Renamed',
        await tab.service.heads(stream),
      );
    }
    const types: string[] = [];
    while (types.length < 4)
      types.push(...(await got.next()).batch.map((d) => d.event.type));
    // Delivered in position order: a text edit, each stored before the last rename,
    // would have come before it.
    expect(types).toEqual(Array(4).fill('doc.field.set'));
  });

  it('refuses types that are not a list of names', async () => {
    const tab = await pool.start(pool.database('typed-bad'));
    await expect(
      tab.service.subscribe(null, 0, inbox().deliver, {
        types: 'doc.field.set' as unknown as string[],
      }),
    ).rejects.toThrow(/types/);
  });
});
