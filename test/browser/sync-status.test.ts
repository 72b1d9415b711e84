import { describe, expect, it } from 'vitest';
import { describeSync } from '../../src/ui/relay-sync.ts';
import { timeText } from '../../src/ui/time-text.ts';

describe('the status line on syncing', () => {
  it('says when the next try is due, not a delay that stays the same as time passes', () => {
    const retryAt = Date.parse('2026-12-04T12:30:05Z');
    expect(
      describeSync({
        kind: 'offline',
        reason: 'connection closed (1006)',
        retryInMs: 13_000,
        retryAt,
      }),
    ).toBe(
      `Relay unreachable (connection closed (1006)); next try at ${timeText(retryAt)}`,
    );
  });
});
