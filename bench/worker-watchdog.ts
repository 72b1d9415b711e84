import type { Page } from 'playwright-core';

interface PausedFrame {
  functionName: string;
  url: string;
  location: { lineNumber: number; columnNumber: number };
}

/**
 * Watches `page`'s workers (its log worker, and any that replaces it) through the
 * page's DevTools session: every second each is asked to evaluate `1`; one that has
 * not answered after `silentMs` is paused, and the stack it was paused in is noted
 * (then it is resumed). A worker thread held that long is a bug at any size: the
 * page gives a worker up after 20 s of silence. The function returned stops the
 * watch and gives the longest silence seen, in ms.
 */
export async function watchWorkers(
  page: Page,
  note: (text: string) => void,
  silentMs = 2000,
): Promise<() => Promise<number>> {
  const cdp = await page.context().newCDPSession(page);
  const workers = new Set<string>();
  const answers = new Map<number, () => void>();
  let next = 1;
  let longest = 0;
  const send = (sessionId: string, method: string, params = {}) =>
    new Promise<void>((resolve) => {
      const id = next++;
      answers.set(id, resolve);
      cdp
        .send('Target.sendMessageToTarget', {
          sessionId,
          message: JSON.stringify({ id, method, params }),
        })
        .catch(() => resolve());
    });
  cdp.on('Target.attachedToTarget', ({ sessionId, targetInfo }) => {
    if (targetInfo.type === 'worker') workers.add(sessionId);
  });
  cdp.on('Target.detachedFromTarget', ({ sessionId }) => {
    workers.delete(sessionId!);
  });
  cdp.on('Target.receivedMessageFromTarget', ({ sessionId, message }) => {
    const { id, method, params } = JSON.parse(message) as {
      id?: number;
      method?: string;
      params?: { callFrames: PausedFrame[] };
    };
    if (id !== undefined) {
      answers.get(id)?.();
      answers.delete(id);
    }
    if (method === 'Debugger.paused') {
      const stack = params!.callFrames
        .slice(0, 12)
        .map(
          (f) =>
            `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.location.lineNumber + 1}`,
        )
        .join(' < ');
      note(`a worker silent for ${silentMs} ms was paused in: ${stack}`);
      void send(sessionId, 'Debugger.resume');
    }
  });
  await cdp.send('Target.setAutoAttach', {
    autoAttach: true,
    waitForDebuggerOnStart: false,
    flatten: false,
  });
  /** Asks one worker; pauses it once if it stays silent. */
  const ask = async (sessionId: string) => {
    const started = performance.now();
    let paused = false;
    const answered = send(sessionId, 'Runtime.evaluate', { expression: '1' });
    for (;;) {
      const done = await Promise.race([
        answered.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), silentMs)),
      ]);
      longest = Math.max(longest, performance.now() - started);
      if (done || !workers.has(sessionId)) return;
      if (!paused) {
        paused = true;
        await send(sessionId, 'Debugger.enable');
        void send(sessionId, 'Debugger.pause');
      }
    }
  };
  let stopped = false;
  const watching = (async () => {
    while (!stopped) {
      await Promise.all([...workers].map(ask));
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  return async () => {
    stopped = true;
    await watching;
    await cdp.detach().catch(() => undefined);
    return longest;
  };
}
