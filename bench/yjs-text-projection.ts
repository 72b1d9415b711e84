import * as Y from 'yjs';
import type { LogEvent, Projection } from '../src/index.ts';
import { TEXT_NAME } from './editing-doc.ts';

/** A Y.Doc and the updates folded into it but not yet applied. */
export interface YjsTextState {
  doc: Y.Doc;
  pending: Uint8Array[];
}

/**
 * Folds a stream of Yjs updates (event data as bytes). Updates are collected and
 * applied in one Yjs transaction when the text is read, as the Yjs baseline applies
 * what it receives: a transaction per update costs Yjs twice as much.
 */
export function yjsTextProjection(): Projection<YjsTextState> {
  return {
    initial: () => ({ doc: new Y.Doc(), pending: [] }),
    evolve(state, event: LogEvent) {
      if (event.data instanceof Uint8Array) state.pending.push(event.data);
      return state;
    },
  };
}

/** The folded text: applies what is pending, then reads the Y.Text. */
export function textOf(state: YjsTextState): string {
  if (state.pending.length > 0) {
    const updates = state.pending.splice(0);
    state.doc.transact(() => {
      for (const update of updates) Y.applyUpdate(state.doc, update);
    });
  }
  return state.doc.getText(TEXT_NAME).toString();
}
