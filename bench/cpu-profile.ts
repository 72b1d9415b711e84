import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Page } from 'playwright-core';

/** Writes a profile, making FORKLINE_PROFILE_DIR first if it is not there. */
async function save(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
}

/**
 * Samples every 200 µs, not V8's default 1 ms: a keystroke's work is a millisecond or
 * two, and a render that delays one a few, which whole-millisecond samples blur.
 */
const SAMPLING_US = 200;

/** Starts a CPU profile of `page`'s main thread; the function returned writes it to a file. */
export async function profileMainThread(
  page: Page,
): Promise<(file: string) => Promise<void>> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: SAMPLING_US });
  await cdp.send('Profiler.start');
  return async (file) => {
    const { profile } = await cdp.send('Profiler.stop');
    await save(file, JSON.stringify(profile));
    await cdp.detach();
  };
}

/** A CPU profile's time in samples that were not idle, in ms. */
function busyMs(profile: {
  nodes: { id: number; callFrame: { functionName: string } }[];
  samples?: number[];
  timeDeltas?: number[];
}): number {
  const idle = new Set(
    profile.nodes
      .filter((n) => n.callFrame.functionName === '(idle)')
      .map((n) => n.id),
  );
  let busy = 0;
  (profile.samples ?? []).forEach((node, i) => {
    if (!idle.has(node)) busy += profile.timeDeltas?.[i] ?? 0;
  });
  return busy / 1000;
}

/**
 * Starts a CPU profile of `page`'s workers (its log worker), through the page's
 * DevTools session attached to them; the function returned stops it and gives the
 * milliseconds the workers were busy (not idle) meanwhile.
 */
export async function profileWorkers(
  page: Page,
  /** Where to write the workers' profiles as well (a suffix per worker added). */
  file?: string,
): Promise<() => Promise<number>> {
  const cdp = await page.context().newCDPSession(page);
  const sessions: string[] = [];
  const answers = new Map<number, (result: unknown) => void>();
  let next = 1;
  cdp.on('Target.attachedToTarget', ({ sessionId, targetInfo }) => {
    if (targetInfo.type === 'worker') sessions.push(sessionId);
  });
  // A worker that ends (one the page replaced) takes its session with it.
  cdp.on('Target.detachedFromTarget', ({ sessionId }) => {
    const at = sessions.indexOf(sessionId!);
    if (at >= 0) sessions.splice(at, 1);
  });
  cdp.on('Target.receivedMessageFromTarget', ({ message }) => {
    const { id, result } = JSON.parse(message) as {
      id?: number;
      result?: unknown;
    };
    if (id !== undefined) answers.get(id)?.(result);
  });
  /** The worker's answer, or undefined once its session is gone. */
  const send = <T>(
    sessionId: string,
    method: string,
    params: object = {},
  ): Promise<T | undefined> =>
    new Promise<T | undefined>((resolve) => {
      const id = next++;
      answers.set(id, (result) => resolve(result as T));
      cdp
        .send('Target.sendMessageToTarget', {
          sessionId,
          message: JSON.stringify({ id, method, params }),
        })
        .catch(() => resolve(undefined));
    });
  await cdp.send('Target.setAutoAttach', {
    autoAttach: true,
    waitForDebuggerOnStart: false,
    flatten: false,
  });
  // The running workers are announced just after: wait for them, a while at most.
  for (let i = 0; sessions.length === 0 && i < 100; i++)
    await page.waitForTimeout(20);
  if (sessions.length === 0) throw new Error('no worker to profile');
  for (const session of sessions) {
    await send(session, 'Profiler.enable');
    await send(session, 'Profiler.setSamplingInterval', {
      interval: SAMPLING_US,
    });
    await send(session, 'Profiler.start');
  }
  return async () => {
    let busy = 0;
    for (const session of [...sessions]) {
      const stopped = await send<{
        profile: Parameters<typeof busyMs>[0];
      }>(session, 'Profiler.stop');
      if (!stopped) continue;
      const { profile } = stopped;
      busy += busyMs(profile);
      if (file)
        await save(
          file.replace(/\.cpuprofile$/, `-${session}.cpuprofile`),
          JSON.stringify(profile),
        );
    }
    await cdp.detach();
    return busy;
  };
}

/**
 * Starts sampling what `page`'s main thread allocates (every 8 KB on average),
 * collected or not: where a tab's garbage, and so its collections, come from. The
 * function returned writes the profile (`.heapprofile`, as DevTools loads it).
 */
export async function profileAllocations(
  page: Page,
): Promise<(file: string) => Promise<void>> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.enable');
  await cdp.send('HeapProfiler.startSampling', {
    samplingInterval: 8192,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return async (file) => {
    const { profile } = await cdp.send('HeapProfiler.stopSampling');
    await save(file, JSON.stringify(profile));
    await cdp.detach();
  };
}

/**
 * Starts a DevTools timeline trace of `page` (tasks, script, style, layout, paint,
 * with layout's dirty object counts): what a CPU profile folds into "(program)" or
 * into the script that forced the layout. The function returned stops it and writes
 * the trace (`{ traceEvents }`, as DevTools loads it) to `file`.
 */
export async function traceMainThread(
  page: Page,
): Promise<(file: string) => Promise<void>> {
  const cdp = await page.context().newCDPSession(page);
  const events: unknown[] = [];
  cdp.on('Tracing.dataCollected', ({ value }) => events.push(...value));
  await cdp.send('Tracing.start', {
    transferMode: 'ReportEvents',
    traceConfig: {
      includedCategories: [
        'devtools.timeline',
        'disabled-by-default-devtools.timeline',
        'blink.user_timing',
      ],
    },
  });
  return async (file) => {
    const complete = new Promise<void>((resolve) =>
      cdp.once('Tracing.tracingComplete', () => resolve()),
    );
    await cdp.send('Tracing.end');
    await complete;
    await save(file, JSON.stringify({ traceEvents: events }));
    await cdp.detach();
  };
}
