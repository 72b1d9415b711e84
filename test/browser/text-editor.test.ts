// The document's editor: a CodeMirror view bound to the tab's Y.Text. Typed text
// becomes Yjs edits at the right positions, someone else's edits show without moving
// the caret off its text, the text shown while the document opens keeps what is typed
// into it (issue 14: open.cold to text), and a long text is not all drawn (issue 15).
import { EditorState, type Extension } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { h } from 'preact';
import { describe, expect, it } from 'vitest';
import { cdp, userEvent } from 'vitest/browser';
import * as Y from 'yjs';
import {
  openLog,
  TEXT_EDITED,
  textUpdateOf,
  type Log,
} from '../../src/index.ts';
import { LiveDocument } from '../../src/ui/live-document.ts';
import { TextEditor, typeKey } from '../../src/ui/text-editor.tsx';
import { mountedComponents } from '../support/mounted.ts';
import { collect } from '../support/records.ts';

const STREAM = 'doc/opening';

const components = mountedComponents();

function mount(props: Parameters<typeof TextEditor>[0]): EditorView {
  const container = components.mount(h(TextEditor, props));
  const view = EditorView.findFromDOM(container);
  if (!view) throw new Error('no editor was drawn');
  return view;
}

/** Types `value` at `at` the way the browser does it: an input event on the content. */
function typeAt(view: EditorView, at: number, value: string): void {
  view.focus();
  view.dispatch({ selection: { anchor: at } });
  document.execCommand('insertText', false, value);
}

/** A LiveDocument over `state`, not connected to any log. */
function liveOver(state: Uint8Array): LiveDocument {
  return new LiveDocument({
    state,
    heads: [],
    included: [],
    send: () => new Promise(() => {}),
  });
}

/** A log whose document stream starts with one writer's `text`. */
async function seededLog(text: string) {
  const log = await openLog({ actor: 'desk' });
  const seed = new Y.Doc();
  seed.getText('body').insert(0, text);
  await log.append(STREAM, {
    type: TEXT_EDITED,
    data: Y.encodeStateAsUpdate(seed),
  });
  return { log, seed };
}

/** A LiveDocument over the seeded document that sends its typing to `log`. */
async function liveOnLog(log: Log, seed: Y.Doc): Promise<LiveDocument> {
  return new LiveDocument({
    state: Y.encodeStateAsUpdate(seed),
    heads: await log.heads(STREAM),
    included: [],
    send: async (update, expected) =>
      (
        await log.append(
          STREAM,
          { type: TEXT_EDITED, data: update },
          { expected },
        )
      )[0]!,
  });
}

function textState(text: string, client = 1): Uint8Array {
  const doc = new Y.Doc();
  doc.clientID = client;
  doc.getText('body').insert(0, text);
  return Y.encodeStateAsUpdate(doc);
}

describe('the text editor', () => {
  it('shows the snapshot text at once and keeps what is typed before the Y.Doc is ready', async () => {
    const { log, seed } = await seededLog('Shared start.');
    const view = mount({ live: undefined, text: 'Shared start.' });
    expect(view.state.doc.toString()).toBe('Shared start.');
    expect(view.contentDOM.getAttribute('aria-label')).toBe('Document text');
    expect(view.contentDOM.getAttribute('role')).toBe('textbox');

    // A newer text while opening (nothing typed yet) replaces the shown one.
    mount({ live: undefined, text: 'Shared start' });
    expect(view.state.doc.toString()).toBe('Shared start');
    mount({ live: undefined, text: 'Shared start.' });
    expect(view.state.doc.toString()).toBe('Shared start.');

    // Typed at the end while the document opens: only the editor has it.
    typeAt(view, view.state.doc.length, ' Typed early.');
    await expect
      .poll(() => view.state.doc.toString())
      .toBe('Shared start. Typed early.');
    // A newer snapshot text no longer replaces what was typed into.
    mount({ live: undefined, text: 'Shared start!' });
    expect(view.state.doc.toString()).toBe('Shared start. Typed early.');

    const live = await liveOnLog(log, seed);
    expect(mount({ live })).toBe(view);
    expect(live.text.toString()).toBe('Shared start. Typed early.');
    await live.flush();

    // The log holds it: folded from the events alone.
    const folded = new Y.Doc();
    for (const event of await collect(log.read(STREAM)))
      Y.applyUpdate(folded, textUpdateOf(event)!);
    expect(folded.getText('body').toString()).toBe(
      'Shared start. Typed early.',
    );
    live.close();
  });

  it('takes no typing while the text it would be typed into is not known yet', async () => {
    // A document clicked, its text not read yet: an empty editor took typing at 0,
    // and once the text came, what was typed landed before it (QA pass 13:
    // "<Z17>Doc Z body.", typed after Ctrl+End).
    const view = mount({ live: undefined });
    expect(view.state.readOnly).toBe(true);
    expect(view.contentDOM.getAttribute('aria-readonly')).toBe('true');
    view.focus();
    await userEvent.keyboard('<Z17>');
    expect(view.state.doc.toString()).toBe('');

    // Meanwhile it says why it takes none.
    expect(view.dom.querySelector('.cm-placeholder')?.textContent).toBe(
      'Opening the document…',
    );
    // Ctrl+End in the empty editor, the text known after it: the caret is at the
    // text's end, where it was put (it stayed at 0, before the text; QA pass 14).
    await userEvent.keyboard('{Control>}{End}{/Control}');
    mount({ live: undefined, text: 'Doc Z body.' });
    expect(view.state.readOnly).toBe(false);
    expect(view.dom.querySelector('.cm-placeholder')).toBeNull();
    await userEvent.keyboard('<Z17>');
    await expect.poll(() => view.state.doc.toString()).toBe('Doc Z body.<Z17>');
  });

  it('makes typing Yjs edits at the positions typed, over several lines and a "\\r"', async () => {
    const live = liveOver(textState('one\r\ntwo\nthree'));
    const view = mount({ live });
    // Positions are Y.Text's: "\r" is a character of its own.
    expect(view.state.doc.length).toBe(live.text.length);
    typeAt(view, 'one\r\ntwo\n'.length, '2½ ');
    await expect.poll(() => live.text.toString()).toBe('one\r\ntwo\n2½ three');
    typeAt(view, 0, '0\n');
    await expect
      .poll(() => live.text.toString())
      .toBe('0\none\r\ntwo\n2½ three');
    view.dispatch({ changes: { from: 2, to: 5 }, userEvent: 'delete' });
    expect(live.text.toString()).toBe('0\n\r\ntwo\n2½ three');
    expect(view.state.doc.toString()).toBe(live.text.toString());
    live.close();
  });

  it("shows someone else's edits as they arrive, with the caret kept before text inserted at it", () => {
    const live = liveOver(textState('alpha gamma'));
    const view = mount({ live });
    view.focus();
    view.dispatch({ selection: { anchor: 'alpha '.length } });

    // Another writer's edits, applied as the log would deliver them.
    const other = new Y.Doc();
    other.clientID = 2;
    Y.applyUpdate(other, Y.encodeStateAsUpdate(live.ydoc));
    const sent: Uint8Array[] = [];
    other.on('update', (update: Uint8Array) => sent.push(update));
    other.getText('body').insert('alpha '.length, 'beta ');
    other.getText('body').insert(0, '>> ');
    for (const update of sent)
      live.receive([
        {
          id: `e${sent.indexOf(update)}`,
          parents: [],
          type: TEXT_EDITED,
          data: update,
        } as unknown as Parameters<LiveDocument['receive']>[0][number],
      ]);

    expect(view.state.doc.toString()).toBe('>> alpha beta gamma');
    // The caret stayed on its own text: after "alpha ", before the inserted "beta ".
    expect(view.state.selection.main.head).toBe('>> alpha '.length);
    live.close();
  });

  it('keeps a caret the browser moved, not yet read by the view, when someone else’s edit comes first (QA pass 16)', async () => {
    const live = liveOver(textState('Hello world.'));
    const view = mount({ live });
    view.focus();
    view.dispatch({ selection: { anchor: 0 } });
    // Let the view take the selection it set, as the browser reports it.
    await new Promise((resolve) => requestAnimationFrame(resolve));
    const other = new Y.Doc();
    other.clientID = 2;
    Y.applyUpdate(other, Y.encodeStateAsUpdate(live.ydoc));
    const sent: Uint8Array[] = [];
    other.on('update', (update: Uint8Array) => sent.push(update));
    for (let step = 1; step <= 8; step++) {
      // An arrow key, as the browser moves the caret: the view hears of it only at
      // the next "selectionchange", a task later. Another tab's keystroke that
      // arrives in between put the view's older caret back.
      getSelection()!.modify('move', 'forward', 'character');
      other.getText('body').insert(other.getText('body').length, 'b');
      live.receive([
        {
          id: `e${step}`,
          parents: [],
          type: TEXT_EDITED,
          data: sent[sent.length - 1]!,
        } as unknown as Parameters<LiveDocument['receive']>[0][number],
      ]);
      await new Promise((resolve) => requestAnimationFrame(resolve));
      expect(view.state.selection.main.head).toBe(step);
    }
    expect(view.state.doc.toString()).toBe('Hello world.bbbbbbbb');
    live.close();
  });

  it("undoes and redoes this tab's own typing only, and the log gets the undo as an edit", async () => {
    const { log, seed } = await seededLog('base');
    const live = await liveOnLog(log, seed);
    const view = mount({ live });
    typeAt(view, 4, ' mine');
    await expect.poll(() => live.text.toString()).toBe('base mine');
    await live.flush();

    // Someone else's edit after it, as the log delivers it.
    const other = new Y.Doc();
    other.clientID = 2;
    Y.applyUpdate(other, Y.encodeStateAsUpdate(live.ydoc));
    const theirs = await log.append(STREAM, {
      type: TEXT_EDITED,
      data: (() => {
        let update!: Uint8Array;
        other.once('update', (u: Uint8Array) => (update = u));
        other.getText('body').insert(0, '>> ');
        return update;
      })(),
    });
    live.receive(await collect(log.read(STREAM)));
    expect(view.state.doc.toString()).toBe('>> base mine');
    expect(theirs).toHaveLength(1);

    const key = (init: KeyboardEventInit & { keyCode?: number }) =>
      view.contentDOM.dispatchEvent(
        new KeyboardEvent('keydown', {
          bubbles: true,
          cancelable: true,
          ...init,
        }),
      );
    key({ key: 'z', ctrlKey: true });
    expect(view.state.doc.toString()).toBe('>> base');
    view.dispatch({ selection: { anchor: 0 } });
    // As a browser reports Ctrl+Shift+Z: the key as shifted, the key code as pressed.
    key({ key: 'Z', keyCode: 90, ctrlKey: true, shiftKey: true });
    expect(view.state.doc.toString()).toBe('>> base mine');
    // The caret goes where the text changed: after the words redone.
    expect(view.state.selection.main.head).toBe('>> base mine'.length);
    key({ key: 'z', ctrlKey: true });
    expect(live.text.toString()).toBe('>> base');
    // With Caps Lock on, Shift gives the letter unshifted: still redo, never undo.
    key({ key: 'z', keyCode: 90, ctrlKey: true, shiftKey: true });
    expect(view.state.doc.toString()).toBe('>> base mine');
    key({ key: 'z', ctrlKey: true });
    expect(live.text.toString()).toBe('>> base');
    await live.flush();

    const folded = new Y.Doc();
    for (const event of await collect(log.read(STREAM)))
      Y.applyUpdate(folded, textUpdateOf(event)!);
    expect(folded.getText('body').toString()).toBe('>> base');
    live.close();
  });

  it('undoes a paste by itself, not with the typing just before and after it', async () => {
    const live = liveOver(textState(''));
    const view = mount({ live });
    typeAt(view, 0, 'Typed ');
    const data = new DataTransfer();
    data.setData('text/plain', 'pasted');
    view.contentDOM.dispatchEvent(
      new ClipboardEvent('paste', {
        clipboardData: data,
        bubbles: true,
        cancelable: true,
      }),
    );
    typeAt(view, 'Typed pasted'.length, ' more');
    await expect.poll(() => live.text.toString()).toBe('Typed pasted more');
    // All within the half second that makes one run of typing.
    expect(live.undo()).toBe(true);
    expect(live.text.toString()).toBe('Typed pasted');
    expect(live.undo()).toBe(true);
    expect(live.text.toString()).toBe('Typed ');
    expect(live.undo()).toBe(true);
    expect(live.text.toString()).toBe('');
    live.close();
  });

  it('puts a typed key into the text itself, before the browser edits the page, and leaves a composition to the browser', async () => {
    const live = liveOver(textState('alpha gamma'));
    const view = mount({ live });
    view.focus();
    view.dispatch({ selection: { anchor: 'alpha '.length } });
    // After every handler on the content: what a key's beforeinput left.
    const keys: { data: string | null; cancelled: boolean; text: string }[] =
      [];
    const afterHandlers = (event: InputEvent) =>
      keys.push({
        data: event.data,
        cancelled: event.defaultPrevented,
        text: live.text.toString(),
      });
    document.addEventListener('beforeinput', afterHandlers);
    try {
      // Keys pressed as the browser gets them (CDP key events).
      await userEvent.keyboard('beta ');
      expect(live.text.toString()).toBe('alpha beta gamma');
      expect(view.state.doc.toString()).toBe('alpha beta gamma');
      expect(view.state.selection.main.head).toBe('alpha beta '.length);
      // Each key was the editor's: cancelled, and already in the Y.Text.
      expect(keys.map((k) => k.data).join('')).toBe('beta ');
      expect(keys.every((k) => k.cancelled)).toBe(true);
      expect(keys[0]!.text).toBe('alpha bgamma');
      // The page shows it as CodeMirror draws it, not as the browser would have.
      expect(view.contentDOM.textContent).toBe('alpha beta gamma');

      // A selection is replaced by the key.
      view.dispatch({ selection: { anchor: 0, head: 'alpha'.length } });
      await userEvent.keyboard('A');
      expect(live.text.toString()).toBe('A beta gamma');
      expect(view.state.selection.main.head).toBe(1);

      // An IME composition stays the browser's: not cancelled, read back from the
      // page when it ends, as CodeMirror always reads typing.
      keys.length = 0;
      const session = cdp();
      view.dispatch({ selection: { anchor: view.state.doc.length } });
      await session.send('Input.imeSetComposition', {
        text: 'に',
        selectionStart: 1,
        selectionEnd: 1,
      });
      await session.send('Input.imeSetComposition', {
        text: 'にほ',
        selectionStart: 2,
        selectionEnd: 2,
      });
      await session.send('Input.insertText', { text: '日本' });
      await expect.poll(() => live.text.toString()).toBe('A beta gamma日本');
      expect(view.state.doc.toString()).toBe('A beta gamma日本');
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.some((k) => k.cancelled)).toBe(false);
    } finally {
      document.removeEventListener('beforeinput', afterHandlers);
      live.close();
    }
  });

  it("offers a key it takes to the view's input handlers first, and takes none in a read-only view", async () => {
    const host = document.body.appendChild(document.createElement('div'));
    const viewOf = (...extensions: Extension[]) =>
      new EditorView({
        parent: host,
        state: EditorState.create({
          doc: 'f',
          extensions: [
            EditorView.domEventHandlers({
              beforeinput: (event, view) => typeKey(view, event),
            }),
            extensions,
          ],
        }),
      });
    // An input handler that closes a bracket, as closeBrackets does.
    const closing = viewOf(
      EditorView.inputHandler.of((view, from, to, text) => {
        if (text !== '(') return false;
        view.dispatch({
          changes: { from, to, insert: '()' },
          selection: { anchor: from + 1 },
        });
        return true;
      }),
    );
    closing.focus();
    closing.dispatch({ selection: { anchor: 1 } });
    await userEvent.keyboard('(x');
    expect(closing.state.doc.toString()).toBe('f(x)');
    closing.destroy();

    const readOnly = viewOf(EditorState.readOnly.of(true));
    readOnly.focus();
    readOnly.dispatch({ selection: { anchor: 1 } });
    await userEvent.keyboard('x');
    // CodeMirror's own reading ignores a read-only view's DOM changes.
    await expect.poll(() => readOnly.contentDOM.textContent).toBe('f');
    expect(readOnly.state.doc.toString()).toBe('f');
    readOnly.destroy();
    host.remove();
  });

  it('draws only the part of a long text on screen, however long it is', () => {
    const line = 'All work and no play makes a long document. '.repeat(2);
    const long = Array.from({ length: 3000 }, () => line).join('\n');
    const oneLine = 'x'.repeat(100_000);
    for (const text of [long, oneLine]) {
      const live = liveOver(textState(text));
      const view = mount({ live });
      expect(view.state.doc.length).toBe(text.length);
      expect(view.contentDOM.textContent!.length).toBeLessThan(20_000);
      components.unmount();
      live.close();
    }
  });
});
