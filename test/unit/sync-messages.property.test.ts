import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openLog } from '../../src/index.ts';
import {
  decodeMessage,
  encodeEvent,
  eventsMessage,
  eventsBodyUtf8,
  eventsHead,
} from '../../src/sync/messages.ts';
import { collect } from '../support/records.ts';
import { assertProperty } from '../support/property.ts';

describe('an events message made of its events’ UTF-8 bytes', () => {
  it('is byte for byte the UTF-8 of the message text, whatever the events hold', async () => {
    // Any UTF-16 units, lone surrogates too: JSON escapes those as ASCII.
    const text = fc.string({ unit: 'binary', maxLength: 40 });
    await assertProperty(
      fc.asyncProperty(
        fc.array(
          fc.record({
            type: fc.constantFrom('t', 'note.édité', '文字', 'emoji.🙂'),
            data: text,
          }),
          { maxLength: 6 },
        ),
        fc.nat(),
        async (items, id) => {
          const log = await openLog({ actor: 'writer' });
          for (const { type, data } of items)
            await log.append('doc/x', { type, data });
          const events = await collect(log.since({}));
          const encoded = events.map(encodeEvent);
          // A relay's message: the batch's head, then the body it shares.
          const bytes = Buffer.concat([
            Buffer.from(eventsHead(id)),
            eventsBodyUtf8(encoded),
          ]);
          const text = eventsMessage(id, encoded);
          expect(Buffer.from(bytes).equals(Buffer.from(text, 'utf8'))).toBe(
            true,
          );
          expect(decodeMessage(new TextDecoder().decode(bytes))).toEqual({
            type: 'events',
            id,
            events,
          });
          await log.close();
        },
      ),
      100,
    );
  });
});

describe('ping, pong, and a welcome that says the relay answers pings', () => {
  it('reads only what the protocol says: anything else in them is dropped, and only `true` promises pongs', () => {
    expect(decodeMessage('{"type":"ping","evil":{"__proto__":1}}')).toEqual({
      type: 'ping',
    });
    expect(decodeMessage('{"type":"pong","id":"x"}')).toEqual({ type: 'pong' });
    expect(decodeMessage('{"type":"welcome","vector":{},"ping":true}')).toEqual(
      { type: 'welcome', vector: {}, ping: true },
    );
    for (const ping of ['"yes"', '1', '{}', 'null'])
      expect(
        decodeMessage(`{"type":"welcome","vector":{},"ping":${ping}}`),
      ).toEqual({ type: 'welcome', vector: {} });
  });
});
