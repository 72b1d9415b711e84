import * as Y from 'yjs';
import type { LogEvent, Projection } from '../src/index.ts';

/** Folds a stream of Yjs updates (event data as bytes) into one Y.Doc, one update per event. */
export function yjsTextProjection(): Projection<Y.Doc> {
  return {
    initial: () => new Y.Doc(),
    evolve(doc: Y.Doc, event: LogEvent): Y.Doc {
      if (event.data instanceof Uint8Array) Y.applyUpdate(doc, event.data);
      return doc;
    },
  };
}
