import type { BrowserCommand } from 'vitest/node';

/**
 * Runs in Node beside the browser: overrides the test origin's storage quota through
 * the Chrome DevTools Protocol, so quota errors can be provoked on purpose.
 * `null` restores the browser's own quota.
 */
export const overrideQuota: BrowserCommand<[bytes: number | null]> = async (
  context,
  bytes,
) => {
  const session = await context.page.context().newCDPSession(context.page);
  const origin = new URL(context.page.url()).origin;
  await session.send(
    'Storage.overrideQuotaForOrigin',
    bytes === null ? { origin } : { origin, quotaSize: bytes },
  );
  await session.detach();
};

declare module 'vitest/browser' {
  interface BrowserCommands {
    overrideQuota(bytes: number | null): Promise<void>;
  }
}
