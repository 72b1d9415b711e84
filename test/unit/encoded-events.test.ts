import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../src/index.ts';
import { toCloudEvent } from '../../src/log/jsonl.ts';
import { encodeEvent } from '../../src/sync/messages.ts';
import { LIMITS } from '../../src/log/validate.ts';

/** An event of about `size` bytes once encoded, unique by `n` (its id is never checked here). */
function eventOf(n: number, size: number): LogEvent {
  return {
    id: `cache-${n.toString(36).padStart(16, '0')}`,
    stream: 'doc/cache',
    type: 't',
    data: { text: 'x'.repeat(size) },
    parents: [],
    actor: 'cache-test',
    seq: n + 1,
    hlc: '000000000001.0000',
    time: '2026-12-03T00:00:00.000Z',
  } as unknown as LogEvent;
}

describe('encoded events, kept while recent', () => {
  it('keeps an encoding while recent, lets the oldest go first past 8 MB, and encodes again the same text', () => {
    const first = eventOf(0, 100);
    const kept = encodeEvent(first);
    expect(kept.text).toBe(JSON.stringify(toCloudEvent(first)));
    expect(encodeEvent(first)).toBe(kept);
    // 4 MB of others: still kept.
    const others = Array.from({ length: 2600 }, (_, i) => eventOf(i + 1, 4000));
    const early = others.slice(0, 1000).map((event) => encodeEvent(event));
    expect(encodeEvent(first)).toBe(kept);
    // 6.4 MB more, past 8 MB since the first: the oldest went first.
    const late = others.slice(1000).map((event) => encodeEvent(event));
    expect(encodeEvent(others[2599]!)).toBe(late[late.length - 1]);
    expect(encodeEvent(others[999]!)).toBe(early[999]);
    expect(encodeEvent(others[0]!)).not.toBe(early[0]);
    const again = encodeEvent(first);
    expect(again).not.toBe(kept);
    expect(again).toEqual(kept);
    // Made again, it is kept again: the next look-up finds this one.
    expect(encodeEvent(first)).toBe(again);
  });

  it('keeps the largest events a client may send within its budget, the oldest going first', () => {
    // Binary data at the engine's limit: about 1.4 MB each once in base64.
    const largest = (n: number) =>
      ({
        ...eventOf(100_000 + n, 0),
        data: new Uint8Array(LIMITS.maxDataBytes).fill(n),
      }) as LogEvent;
    const events = Array.from({ length: 12 }, (_, n) => largest(n));
    const encoded = events.map((event) => encodeEvent(event));
    expect(encoded[0]!.bytes).toBeGreaterThan(LIMITS.maxDataBytes);
    // At most 8 MB of them: the last five are kept, the first are gone.
    expect(encodeEvent(events[11]!)).toBe(encoded[11]);
    expect(encodeEvent(events[7]!)).toBe(encoded[7]);
    expect(encodeEvent(events[0]!)).not.toBe(encoded[0]);
  });
});
