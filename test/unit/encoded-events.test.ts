import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../src/index.ts';
import { toCloudEvent } from '../../src/log/jsonl.ts';
import { encodeEvent } from '../../src/sync/messages.ts';

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
});
