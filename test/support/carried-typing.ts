import * as Y from 'yjs';

/**
 * Two tabs' typing where the second carries the first's: tab 1 types "Alice says";
 * tab 2 shows it early (src/ui/typing-share.ts) and types "Bob wants " before it,
 * so tab 2's update holds both. `typed` is tab 1's own update, `carrying` tab 2's;
 * `two` is tab 2's document, to type on.
 */
export function carriedTyping(): {
  typed: Uint8Array;
  carrying: Uint8Array;
  two: Y.Doc;
} {
  const one = new Y.Doc();
  const two = new Y.Doc();
  one.getText('body').insert(0, 'Alice says');
  const typed = Y.encodeStateAsUpdate(one);
  Y.applyUpdate(two, typed);
  two.getText('body').insert(0, 'Bob wants ');
  return { typed, carrying: Y.encodeStateAsUpdate(two), two };
}
