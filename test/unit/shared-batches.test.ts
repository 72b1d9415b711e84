import { describe, expect, it } from 'vitest';
import { openLog } from '../../src/index.ts';
import {
  decodeMessage,
  encodeEvent,
  eventsHead,
  eventsMessage,
  type EncodedEvent,
} from '../../src/sync/messages.ts';
import { SharedBatches } from '../../server/shared-batches.ts';

async function encodedEvents(n: number): Promise<EncodedEvent[]> {
  const log = await openLog({ actor: 'writer' });
  const made = await log.append(
    'doc/x',
    Array.from({ length: n }, (_, i) => ({
      type: 't',
      data: { i, text: 'é✓' },
    })),
  );
  await log.close();
  return made.map((r) => encodeEvent(r.event));
}

const text = (head: string, body: Uint8Array) =>
  head + new TextDecoder().decode(body);

describe("a relay's shared batch bodies", () => {
  it('make, after any batch id, the same message as the events message', async () => {
    const events = await encodedEvents(5);
    const batches = new SharedBatches();
    for (const [id, some] of [
      [1, events],
      [12345, events.slice(2)],
      [7, events.slice(0, 1)],
    ] as const) {
      const message = text(eventsHead(id), batches.body(some));
      expect(message).toBe(eventsMessage(id, some));
      expect(decodeMessage(message)).toMatchObject({ type: 'events', id });
    }
  });

  it('encode a batch once for every session sent the same events, and a different batch anew', async () => {
    const events = await encodedEvents(6);
    const batches = new SharedBatches();
    const once = batches.body(events.slice(0, 4));
    // Another session's batch of the same events: a new array of the same objects.
    expect(batches.body([...events.slice(0, 4)])).toBe(once);
    // The same first event, not the same events.
    const fewer = batches.body(events.slice(0, 3));
    expect(fewer).not.toBe(once);
    expect(text('', fewer)).toBe(
      `${events
        .slice(0, 3)
        .map((e) => e.text)
        .join(',')}]}`,
    );
    // The same texts in other objects (an event encoded again): encoded anew, equal.
    const copies = events.slice(0, 3).map((e) => ({ ...e }));
    expect(text('', batches.body(copies))).toBe(text('', fewer));
  });

  it('keep at most their byte budget, the oldest going first', async () => {
    const events = await encodedEvents(40);
    const one = Math.max(...events.map((e) => e.bytes)) + 2;
    // Room for eight one-event bodies (one body may take a quarter at most).
    const batches = new SharedBatches(one * 8);
    const bodies = events.map((e) => batches.body([e]));
    // The last ones are kept; the first was dropped and is made again.
    expect(batches.body([events[39]!])).toBe(bodies[39]);
    expect(batches.body([events[34]!])).toBe(bodies[34]);
    expect(batches.body([events[0]!])).not.toBe(bodies[0]);
    expect(batches.body([events[0]!])).toEqual(bodies[0]);
  });
});
