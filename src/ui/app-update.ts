import { signal } from '@preact/signals';
import { registerSW } from 'virtual:pwa-register';

/** Set when a new version of the app is downloaded and waiting: the user chooses when to reload. */
export const updateReady = signal<(() => void) | undefined>(undefined);

/**
 * Registers the service worker that precaches the app shell (worker included), so the
 * page opens with the network gone. A new version never replaces the running one
 * behind open tabs' backs: it waits until the user asks for it.
 */
export function registerAppShell(): void {
  if (!('serviceWorker' in navigator)) return;
  const update = registerSW({
    onNeedRefresh: () => (updateReady.value = () => void update(true)),
  });
}
