import type { CDPSession } from 'playwright';
import type { BrowserCommand } from 'vitest/node';

// Chromium drops a quota override when the DevTools session that set it detaches,
// so the session stays open until the override is lifted.
const overrides = new Map<string, CDPSession>();

/**
 * Runs in Node beside the browser: overrides the test origin's storage quota through
 * the Chrome DevTools Protocol, so quota errors can be provoked on purpose.
 * `null` restores the browser's own quota.
 */
export const overrideQuota: BrowserCommand<[bytes: number | null]> = async (
  context,
  bytes,
) => {
  const origin = new URL(context.page.url()).origin;
  let session = overrides.get(origin);
  if (!session) {
    session = await context.page.context().newCDPSession(context.page);
    overrides.set(origin, session);
  }
  if (bytes !== null) {
    await session.send('Storage.overrideQuotaForOrigin', {
      origin,
      quotaSize: bytes,
    });
    return;
  }
  await session.send('Storage.overrideQuotaForOrigin', { origin });
  overrides.delete(origin);
  await session.detach();
};

declare module 'vitest/browser' {
  interface BrowserCommands {
    overrideQuota(bytes: number | null): Promise<void>;
  }
}
