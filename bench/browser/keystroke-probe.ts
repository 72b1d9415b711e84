// Both halves of a keystroke run, run in the tabs by page.evaluate(fn, args): the
// app's pages and the peer page alike, so every figure is taken the same way. Each
// function is self-contained (page.evaluate sends its source): no imports, no
// module-level names.

/**
 * An element CodeMirror draws its content in: it keeps its view there
 * (`EditorView.findFromDOM` reads it). A type only, so the functions below stay
 * self-contained.
 */
type EditorElement = HTMLElement & {
  cmTile?: {
    root?: {
      view?: {
        state: {
          doc: { length: number };
          selection: { main: { head: number } };
        };
        dispatch(spec: object): void;
      };
    };
  };
};

export interface ProbeOptions {
  /** The textarea's accessible name (aria-label). */
  label: string;
  /** Where the watching tab reports, on the shared clock, what its textarea shows. */
  ackChannel: string;
}

/**
 * In the watching tab: reports what its editor shows, with the time on the shared
 * clock (timeOrigin + now), on `ackChannel`, once the browser has laid the change
 * out (a forced layout: what a person waits for before the next frame can paint it,
 * without the wait for that frame). A textarea's value setter and setRangeText are
 * wrapped, the moment an editor puts text in it; a CodeMirror view is watched for
 * changes to the lines it draws, having been scrolled to the end, where the typing
 * happens, as a person watching would. Idempotent.
 */
export function watchTextarea({ label, ackChannel }: ProbeOptions): void {
  const el = document.querySelector<HTMLElement>(`[aria-label="${label}"]`);
  if (!el) throw new Error(`no editor labelled "${label}" in this tab`);
  const probe = globalThis as { stopWatchingTextarea?: () => void };
  probe.stopWatchingTextarea?.();
  const ack = new BroadcastChannel(ackChannel);
  const report = (length: number) => {
    void el.offsetHeight; // laid out
    ack.postMessage({ length, at: performance.timeOrigin + performance.now() });
  };
  if (!(el instanceof HTMLTextAreaElement)) {
    // CodeMirror keeps its view on the content element (EditorView.findFromDOM).
    const view = (el as EditorElement).cmTile?.root?.view;
    if (!view)
      throw new Error(`"${label}" is neither a textarea nor an editor`);
    const end = view.state.doc.length;
    view.dispatch({ selection: { anchor: end }, scrollIntoView: true });
    const observer = new MutationObserver(() => report(view.state.doc.length));
    observer.observe(el, {
      childList: true,
      characterData: true,
      subtree: true,
    });
    probe.stopWatchingTextarea = () => {
      observer.disconnect();
      ack.close();
      probe.stopWatchingTextarea = undefined;
    };
    return;
  }
  const native = Object.getOwnPropertyDescriptor(
    HTMLTextAreaElement.prototype,
    'value',
  )!;
  Object.defineProperty(el, 'value', {
    configurable: true,
    get() {
      return native.get!.call(this);
    },
    set(value: string) {
      native.set!.call(this, value);
      report(value.length);
    },
  });
  // An editor may replace only the changed run rather than the whole value.
  const setRangeText = HTMLTextAreaElement.prototype.setRangeText;
  el.setRangeText = function (this: HTMLTextAreaElement, ...args: unknown[]) {
    (setRangeText as (...a: unknown[]) => void).apply(this, args);
    report(native.get!.call(this).length);
  } as HTMLTextAreaElement['setRangeText'];
  probe.stopWatchingTextarea = () => {
    delete (el as { value?: string }).value;
    delete (el as { setRangeText?: unknown }).setRangeText;
    ack.close();
    probe.stopWatchingTextarea = undefined;
  };
}

/**
 * In the typing tab: `count` keystrokes at the end of the editor, each an insertText
 * input as a browser makes for a key, after the previous one reached the watching
 * tab (so nothing queues). Each key is first a cancelable `beforeinput`, as the
 * browser fires it; an editor that cancels it has put the character in itself.
 * Otherwise, as the browser would: a textarea's text is changed and its input event
 * fired; a CodeMirror view gets the browser's own `insertText` command on its
 * content, which it reads as typing (that command fires no beforeinput of its own).
 * A latency runs from just before the beforeinput to the watcher's report of a text
 * that long. Rejects when one takes over `timeoutMs`.
 */
export async function typeIntoTextarea({
  label,
  ackChannel,
  count,
  timeoutMs,
}: ProbeOptions & { count: number; timeoutMs: number }): Promise<number[]> {
  const el = document.querySelector<HTMLElement>(`[aria-label="${label}"]`);
  if (!el) throw new Error(`no editor labelled "${label}" in this tab`);
  const view = (el as EditorElement).cmTile?.root?.view;
  const area = el instanceof HTMLTextAreaElement ? el : undefined;
  if (!view && !area)
    throw new Error(`"${label}" is neither a textarea nor an editor`);
  const ack = new BroadcastChannel(ackChannel);
  let waiting: { length: number; resolve: (at: number) => void } | undefined;
  ack.onmessage = ({ data }: MessageEvent<{ length: number; at: number }>) => {
    if (waiting && data.length >= waiting.length) waiting.resolve(data.at);
  };
  el.focus();
  const letters = 'etaoin shrdlu cmfwyp vbgkjq xz ';
  const latencies: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const end = area ? area.value.length : view!.state.doc.length;
      const key = letters[i % letters.length]!;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const acked = new Promise<number>((resolve, reject) => {
        waiting = { length: end + 1, resolve };
        timer = setTimeout(
          () =>
            reject(new Error(`keystroke ${i} not seen after ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      // The caret at the end, as a person typing there has it: moved only if
      // something moved it (a person does not place it again before each key).
      if (view && view.state.selection.main.head !== end)
        view.dispatch({ selection: { anchor: end } });
      const start = performance.timeOrigin + performance.now();
      // A key's beforeinput first, as the browser fires it: an editor that
      // cancels it makes the change itself, and the browser then edits nothing.
      const before = new InputEvent('beforeinput', {
        bubbles: true,
        cancelable: true,
        composed: true,
        inputType: 'insertText',
        data: key,
      });
      if (el.dispatchEvent(before)) {
        // Not cancelled: the browser edits.
        if (area) {
          area.setRangeText(key, end, end, 'end');
          area.dispatchEvent(
            new InputEvent('input', {
              bubbles: true,
              inputType: 'insertText',
              data: key,
            }),
          );
        } else document.execCommand('insertText', false, key);
      }
      try {
        const latency = (await acked) - start;
        latencies.push(latency);
        // In a DevTools trace (FORKLINE_TRACE_DIR): each key where it began, with its
        // latency, for bench/slow-keystrokes.mjs to line up with every thread's tasks.
        performance.mark(`key ${i} ${latency.toFixed(1)}`, {
          startTime: start - performance.timeOrigin,
        });
      } finally {
        clearTimeout(timer);
        waiting = undefined;
      }
    }
  } finally {
    ack.close();
  }
  return latencies;
}
