// Both halves of a keystroke run, run in the tabs by page.evaluate(fn, args): the
// app's pages and the peer page alike, so every figure is taken the same way. Each
// function is self-contained (page.evaluate sends its source): no imports, no
// module-level names.

export interface ProbeOptions {
  /** The textarea's accessible name (aria-label). */
  label: string;
  /** Where the watching tab reports, on the shared clock, what its textarea shows. */
  ackChannel: string;
}

/**
 * In the watching tab: reports every value its textarea is given, with the time on
 * the shared clock (timeOrigin + now), on `ackChannel`. The value setter of this one
 * element is wrapped: an editor shows text by setting `value`, so this is the moment
 * the text reaches the DOM, without a polling interval's delay. Idempotent.
 */
export function watchTextarea({ label, ackChannel }: ProbeOptions): void {
  const el = document.querySelector<HTMLTextAreaElement>(
    `textarea[aria-label="${label}"]`,
  );
  if (!el) throw new Error(`no textarea labelled "${label}" in this tab`);
  const probe = globalThis as { stopWatchingTextarea?: () => void };
  probe.stopWatchingTextarea?.();
  const native = Object.getOwnPropertyDescriptor(
    HTMLTextAreaElement.prototype,
    'value',
  )!;
  const ack = new BroadcastChannel(ackChannel);
  const report = (length: number) =>
    ack.postMessage({ length, at: performance.timeOrigin + performance.now() });
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
 * In the typing tab: `count` keystrokes at the end of the textarea, each an insertText
 * input event as a browser fires for a key, after the previous one reached the
 * watching tab (so nothing queues). A latency runs from just before the input to the
 * watcher's report of a value that long. Rejects when one takes over `timeoutMs`.
 */
export async function typeIntoTextarea({
  label,
  ackChannel,
  count,
  timeoutMs,
}: ProbeOptions & { count: number; timeoutMs: number }): Promise<number[]> {
  const el = document.querySelector<HTMLTextAreaElement>(
    `textarea[aria-label="${label}"]`,
  );
  if (!el) throw new Error(`no textarea labelled "${label}" in this tab`);
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
      const end = el.value.length;
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
      const start = performance.timeOrigin + performance.now();
      el.setRangeText(key, end, end, 'end');
      el.dispatchEvent(
        new InputEvent('input', {
          bubbles: true,
          inputType: 'insertText',
          data: key,
        }),
      );
      try {
        latencies.push((await acked) - start);
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
