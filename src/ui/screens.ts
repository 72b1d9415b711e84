import { signal } from '@preact/signals';
import type { EventId } from '../index.ts';
import { current, historyJump, openDoc } from './app-state.ts';
import { focusVersion, lookAt } from './history-view.tsx';

/** What the main area shows: the open document, or a view of the whole log. */
export type Screen = 'document' | 'explorer' | 'insights';
export const screen = signal<Screen>('document');

/**
 * Opens document `docId` at the version that ends with event `id` in its history:
 * the first version (in canonical order) that holds the event.
 */
export async function openDocAtEvent(
  docId: string,
  id: EventId,
): Promise<void> {
  screen.value = 'document';
  await openDoc(docId);
  const count = await historyJump({
    to: 'group',
    groups: [[id]],
    from: 0,
    step: 1,
  });
  if (count !== undefined) await lookAt(count);
  // Unless the person went on elsewhere meanwhile: a history drawn later, of
  // this or another document, does not take focus then.
  if (screen.value === 'document' && current.value?.docId === docId)
    focusVersion.value = true;
}
