import { signal } from '@preact/signals';

/** Set when a new version of the app is downloaded and waiting: the user chooses when to reload. */
export const updateReady = signal<(() => void) | undefined>(undefined);

/**
 * Registers the service worker that precaches the app shell (worker included), so the
 * page opens with the network gone. A new version never replaces the running one
 * behind open tabs' backs: it waits until the user asks for it, then takes over
 * (the generated service worker skips waiting on `SKIP_WAITING`) and the tab reloads.
 *
 * This is what vite-plugin-pwa's `registerSW` does for the 'prompt' strategy, without
 * workbox-window, which would be a sixth of the JavaScript the page loads.
 */
export function registerAppShell(): void {
  // The dev server builds no service worker.
  if (import.meta.env.DEV || !('serviceWorker' in navigator)) return;
  const container = navigator.serviceWorker;
  const offer = (waiting: ServiceWorker) => {
    updateReady.value = () => {
      // Another tab took the new version already: it is active, and nothing waits
      // to take over; asking it to skip waiting would change nothing, for ever.
      if (waiting.state !== 'installed') {
        location.reload();
        return;
      }
      container.addEventListener('controllerchange', () => location.reload(), {
        once: true,
      });
      waiting.postMessage({ type: 'SKIP_WAITING' });
    };
  };
  const base = import.meta.env.BASE_URL;
  container.register(`${base}sw.js`, { scope: base }).then(
    (registration: ServiceWorkerRegistration | undefined) => {
      // A `register` stubbed out may resolve to nothing (Playwright's
      // `serviceWorkers: 'block'` does; so may anything else that stubs it in the
      // page): no offline shell then, and nothing to offer.
      if (!registration) return;
      // A first install has no controller to replace: nothing to offer.
      if (registration.waiting && container.controller)
        offer(registration.waiting);
      registration.addEventListener('updatefound', () => {
        const installing = registration.installing;
        installing?.addEventListener('statechange', () => {
          if (installing.state === 'installed' && container.controller)
            offer(installing);
        });
      });
    },
    (error: unknown) =>
      // Offline use is lost, the app itself still works: say so where developers look.
      console.warn('forkline: the service worker did not register', error),
  );
}
