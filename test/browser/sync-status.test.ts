import { h, render } from 'preact';
import { describe, expect, it } from 'vitest';
import { describeSync, syncState } from '../../src/ui/relay-sync.ts';
import { StatusLine } from '../../src/ui/status-line.tsx';
import { timeText } from '../../src/ui/time-text.ts';

describe('the status line on syncing', () => {
  it('says when the next try is due, not a delay that stays the same as time passes', () => {
    const retryAt = Date.parse('2026-12-04T12:30:05Z');
    expect(
      describeSync({
        kind: 'offline',
        reason: 'the connection was lost',
        retryInMs: 13_000,
        retryAt,
      }),
    ).toBe(
      `Relay unreachable (the connection was lost); next try at ${timeText(retryAt)}`,
    );
  });

  it('says the sync was interrupted, not that the relay is unreachable, when the relay closed with a reason', () => {
    const retryAt = Date.parse('2026-12-04T12:30:05Z');
    expect(
      describeSync({
        kind: 'interrupted',
        reason: 'log full: it may hold at most 40 events',
        retryInMs: 13_000,
        retryAt,
      }),
    ).toBe(
      `Sync interrupted (log full: it may hold at most 40 events); changes stay in this browser; next try at ${timeText(retryAt)}`,
    );
  });

  it("shows the relay's reason for closing as text, never as markup, and the next try from this page's clock", () => {
    const host = document.body.appendChild(document.createElement('div'));
    try {
      // A close reason is whatever the relay (or what poses as one) sends.
      const reason = '<img src=x onerror="globalThis.pwned=1"><b>bold</b>';
      const before = Date.now();
      syncState.value = {
        kind: 'offline',
        reason,
        retryInMs: 5_000,
        retryAt: before + 5_000,
      };
      render(h(StatusLine, {}), host);
      const status = host.querySelector('[role="status"]')!;
      expect(status.textContent).toContain(`Relay unreachable (${reason})`);
      expect(status.querySelector('img, b')).toBeNull();
      expect((globalThis as { pwned?: number }).pwned).toBeUndefined();
      expect(status.textContent).toContain(
        `next try at ${timeText(before + 5_000)}`,
      );
    } finally {
      render(null, host);
      host.remove();
      syncState.value = undefined;
    }
  });
});
