import { h, render } from 'preact';
import { describe, expect, it } from 'vitest';
import { saving } from '../../src/ui/app-state.ts';
import {
  describeSync,
  relayConfig,
  syncState,
} from '../../src/ui/relay-sync.ts';
import { SyncPanel } from '../../src/ui/sync-panel.tsx';
import { StatusLine } from '../../src/ui/status-line.tsx';
import { timeText } from '../../src/ui/time-text.ts';

describe('the status line on syncing', () => {
  it('says when the next try is due, not a delay that stays the same as time passes', () => {
    const retryAt = Date.parse('2026-12-04T12:30:05Z');
    const lost = {
      kind: 'offline',
      reason: 'the connection was lost',
      retryInMs: 13_000,
      retryAt,
    } as const;
    expect(describeSync(lost, retryAt - 13_000)).toBe(
      `Relay unreachable (the connection was lost); changes stay in this browser until it answers; next try at ${timeText(retryAt)}`,
    );
    // Past its time (timers run late in a tab in the background), not a time gone
    // by (QA pass 18).
    expect(describeSync(lost, retryAt + 2_000)).toBe(
      'Relay unreachable (the connection was lost); changes stay in this browser until it answers; trying again shortly',
    );
    // Once counted, how many changes the relay lacks (QA pass 18 asked).
    expect(describeSync({ ...lost, waiting: 3 }, retryAt - 13_000)).toBe(
      `Relay unreachable (the connection was lost); 3 changes stay in this browser until it answers; next try at ${timeText(retryAt)}`,
    );
    expect(describeSync({ ...lost, waiting: 1 }, retryAt + 2_000)).toBe(
      'Relay unreachable (the connection was lost); 1 change stays in this browser until it answers; trying again shortly',
    );
    // Nothing the relay lacks: not "changes stay" (QA pass 20).
    expect(describeSync({ ...lost, waiting: 0 }, retryAt + 2_000)).toBe(
      'Relay unreachable (the connection was lost); every change here is on the relay; trying again shortly',
    );
  });

  it('says the sync was interrupted, not that the relay is unreachable, when the relay closed with a reason', () => {
    const retryAt = Date.parse('2026-12-04T12:30:05Z');
    expect(
      describeSync(
        {
          kind: 'interrupted',
          reason: 'log full: it may hold at most 40 events',
          retryInMs: 13_000,
          retryAt,
        },
        retryAt - 13_000,
      ),
    ).toBe(
      `Sync interrupted (log full: it may hold at most 40 events); changes stay in this browser; next try at ${timeText(retryAt)}`,
    );
  });

  it('says what went wrong while it tries again, not only that it connects, and when a refused link is asked again', () => {
    expect(
      describeSync({
        kind: 'connecting',
        after: {
          kind: 'offline',
          reason: 'the relay did not answer for 20 s',
          retryInMs: 4_000,
        },
      }),
    ).toBe(
      'Relay unreachable (the relay did not answer for 20 s); trying again now…',
    );
    expect(describeSync({ kind: 'connecting' })).toBe(
      'Connecting to the relay…',
    );
    const retryAt = Date.parse('2026-12-06T12:30:05Z');
    expect(
      describeSync(
        {
          kind: 'refused',
          reason: 'unknown log or wrong token',
          retryInMs: 300_000,
          retryAt,
        },
        retryAt - 300_000,
      ),
    ).toBe(
      `The relay refused to sync: unknown log or wrong token. Check the share link; next try at ${timeText(retryAt)}.`,
    );
  });

  it('keeps saying a refused link does not work while it is asked again, and offers to try now', () => {
    const host = document.body.appendChild(document.createElement('div'));
    try {
      relayConfig.value = {
        url: 'ws://127.0.0.1:9/sync',
        logId: 'abcdefghijklmnopqrstuv',
        token: 'token',
      };
      const refused = {
        kind: 'refused' as const,
        reason: 'unknown log or wrong token',
        retryInMs: 300_000,
      };
      syncState.value = { kind: 'connecting', after: refused };
      render(h(SyncPanel, {}), host);
      expect(host.textContent).toContain(
        'This link does not work: the relay refused it (unknown log or wrong token)',
      );
      syncState.value = { ...refused, retryAt: Date.now() + 300_000 };
      render(h(SyncPanel, {}), host);
      expect(
        [...host.querySelectorAll('button')].map((b) => b.textContent),
      ).toContain('Try now');
    } finally {
      render(null, host);
      host.remove();
      syncState.value = undefined;
      relayConfig.value = undefined;
    }
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

  it('says aloud what needs the user, not every save, sync time or retry', async () => {
    const host = document.body.appendChild(document.createElement('div'));
    try {
      syncState.value = { kind: 'synced', at: '2026-12-05T10:00:00Z' };
      render(h(StatusLine, {}), host);
      const shown = host.querySelector('[role="status"]')!;
      const said = host.querySelector('[aria-live="polite"]')!;
      // The shown status is no live region of its own: it changes as one types.
      expect(shown.getAttribute('aria-live')).toBe('off');
      const heard: string[] = [];
      new MutationObserver(() => heard.push(said.textContent!)).observe(said, {
        childList: true,
        characterData: true,
        subtree: true,
      });
      const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
      const step = async (change: () => void) => {
        change();
        await settle();
      };
      expect(said.textContent).toBe('All changes saved');
      // Typing: saves and syncs, over and over.
      for (let i = 1; i <= 3; i++) {
        await step(() => (saving.value = { pending: 1 }));
        await step(
          () => (syncState.value = { kind: 'syncing', outstanding: 1 }),
        );
        await step(() => (saving.value = { pending: 0 }));
        await step(
          () =>
            (syncState.value = {
              kind: 'synced',
              at: `2026-12-05T10:00:0${i}Z`,
            }),
        );
      }
      expect(shown.textContent).toMatch(/Synced/);
      expect(heard).toEqual([]);
      // The relay goes: said once, then not again for each retry.
      const unreachable = (retryInMs: number) => ({
        kind: 'offline' as const,
        reason: 'the connection was lost',
        retryInMs,
        retryAt: Date.now() + retryInMs,
      });
      await step(() => (syncState.value = unreachable(500)));
      await step(() => (syncState.value = { kind: 'connecting' }));
      await step(() => (syncState.value = unreachable(1_000)));
      // Nor for each change counted while it is away (QA pass 20 heard the whole
      // sentence again after every burst of typing): the count is shown.
      for (const waiting of [1, 2, 3]) {
        await step(() => (saving.value = { pending: 1 }));
        await step(() => (saving.value = { pending: 0 }));
        await step(
          () => (syncState.value = { ...unreachable(1_000), waiting }),
        );
      }
      expect(shown.textContent).toMatch(
        /3 changes stay in this browser until it answers/,
      );
      expect(heard).toEqual([
        'All changes saved · Relay unreachable (the connection was lost); changes stay in this browser until it answers',
      ]);
      await step(
        () =>
          (syncState.value = { kind: 'synced', at: '2026-12-05T10:01:00Z' }),
      );
      expect(heard.at(-1)).toBe('All changes saved');
      expect(heard).toHaveLength(2);
    } finally {
      render(null, host);
      host.remove();
      syncState.value = undefined;
      saving.value = { pending: 0 };
    }
  });
});
