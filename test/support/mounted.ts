import { render, type ComponentChild } from 'preact';
import { afterEach } from 'vitest';

/**
 * Draws components into one container on the test page, taken down after each test
 * (its components unmounted, their effects cleaned up). Call at a test file's top.
 */
export function mountedComponents(): {
  /** Draws `vnode` in the container, in place of what it held; returns the container. */
  mount(vnode: ComponentChild): HTMLElement;
  /** Unmounts what the container holds. */
  unmount(): void;
} {
  let container: HTMLElement | undefined;
  const unmount = () => {
    if (container) render(null, container);
  };
  afterEach(() => {
    unmount();
    container?.remove();
    container = undefined;
  });
  return {
    mount(vnode) {
      container ??= document.body.appendChild(document.createElement('div'));
      render(vnode, container);
      return container;
    },
    unmount,
  };
}
