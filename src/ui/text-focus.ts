/**
 * Focus for the document's text, from outside its editor (the title's Enter). The
 * editor is loaded on its own, after the page: this module holds no part of it.
 */
let focusShown: (() => void) | undefined;

/** The editor on the page says how it takes focus; the function returned forgets it. */
export function showTextFocus(focus: () => void): () => void {
  focusShown = focus;
  return () => {
    if (focusShown === focus) focusShown = undefined;
  };
}

/** Puts focus in the document's text, where its caret was; false if no text is shown. */
export function focusText(): boolean {
  focusShown?.();
  return focusShown !== undefined;
}
