import type { CDPSession, Page } from 'playwright-core';

/** How often a sampling reads each worker's heap: often enough for a run of ~1 s. */
const SAMPLE_EVERY_MS = 20;
/** A worker that stops answering (terminated mid-read) is given up on after this. */
const CALL_TIMEOUT_MS = 2_000;

interface AttachedWorker {
  /** The name the page gave `new Worker` (`forkline-log` for the log worker). */
  name: string;
  /** Order of attachment: a worker started after a sampling began has a higher one. */
  order: number;
}

/** The largest JS heap each sampled worker used while a sampling ran, in MB. */
export interface HeapPeaks {
  /** Workers already running when the sampling started. */
  running: number[];
  /** Workers started while it ran. */
  started: number[];
  /** The heap of the running ones at the first sample, in MB. */
  first: number[];
}

/** A sampling in progress; `stop` ends it. */
export interface HeapSampling {
  stop(): Promise<HeapPeaks>;
}

/**
 * Reads the JS heap of a page's dedicated workers from outside, through the DevTools
 * protocol: the page's session auto-attaches to its workers (not flattened, so the
 * page's own Playwright session is left alone) and `Runtime.getHeapUsage` is sent to
 * each through `Target.sendMessageToTarget`. Nothing runs inside the worker, and no
 * GC is forced, so garbage not yet collected counts: the peak a worker really
 * reached, not what it retains. Workers cannot read their own heap (Chromium has
 * `performance.memory` on windows only).
 */
export class WorkerHeapProbe {
  private readonly workers = new Map<string, AttachedWorker>();
  private readonly pending = new Map<
    number,
    { resolve(value: unknown): void; reject(error: Error): void }
  >();
  private nextId = 1;
  private attached = 0;

  private constructor(private readonly session: CDPSession) {
    session.on('Target.attachedToTarget', ({ sessionId, targetInfo }) => {
      if (targetInfo.type !== 'worker') return;
      this.workers.set(sessionId, {
        name: targetInfo.title,
        order: ++this.attached,
      });
    });
    session.on('Target.detachedFromTarget', ({ sessionId }) => {
      this.workers.delete(sessionId);
    });
    session.on('Target.receivedMessageFromTarget', ({ message }) => {
      const reply = JSON.parse(message) as {
        id?: number;
        result?: unknown;
        error?: { message: string };
      };
      const call =
        reply.id === undefined ? undefined : this.pending.get(reply.id);
      if (!call) return;
      this.pending.delete(reply.id!);
      if (reply.error) call.reject(new Error(reply.error.message));
      else call.resolve(reply.result);
    });
  }

  /** Attaches to `page`'s workers, those running and those it starts later. */
  static async attach(page: Page): Promise<WorkerHeapProbe> {
    const session = await page.context().newCDPSession(page);
    const probe = new WorkerHeapProbe(session);
    await session.send('Target.setAutoAttach', {
      autoAttach: true,
      waitForDebuggerOnStart: false,
      flatten: false,
    });
    return probe;
  }

  /** MB of JS heap the worker of `sessionId` uses now; undefined once it is gone. */
  private async heapOf(sessionId: string): Promise<number | undefined> {
    const id = this.nextId++;
    const reply = new Promise<{ usedSize: number }>((resolve, reject) => {
      this.pending.set(id, {
        resolve: resolve as (value: unknown) => void,
        reject,
      });
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), CALL_TIMEOUT_MS);
    });
    try {
      await this.session.send('Target.sendMessageToTarget', {
        sessionId,
        message: JSON.stringify({ id, method: 'Runtime.getHeapUsage' }),
      });
      const usage = await Promise.race([reply, timeout]);
      return usage && usage.usedSize / 1e6;
    } catch {
      // The worker was terminated between the listing and the read.
      return undefined;
    } finally {
      clearTimeout(timer);
      this.pending.delete(id);
    }
  }

  /**
   * Samples, every SAMPLE_EVERY_MS until `stop`, the heap of every worker named
   * `name` (the log worker's by default) that runs meanwhile.
   */
  sample(name = 'forkline-log'): HeapSampling {
    const startedAfter = this.attached;
    const peaks = new Map<string, { peak: number; order: number }>();
    const first = new Map<string, number>();
    let stopped = false;
    const loop = (async () => {
      while (!stopped) {
        const named = [...this.workers].filter(([, w]) => w.name === name);
        await Promise.all(
          named.map(async ([sessionId, worker]) => {
            const mb = await this.heapOf(sessionId);
            if (mb === undefined) return;
            if (!first.has(sessionId)) first.set(sessionId, mb);
            const seen = peaks.get(sessionId);
            if (!seen || mb > seen.peak)
              peaks.set(sessionId, { peak: mb, order: worker.order });
          }),
        );
        await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY_MS));
      }
    })();
    return {
      async stop() {
        stopped = true;
        await loop;
        const all = [...peaks];
        const running = all.filter(([, p]) => p.order <= startedAfter);
        return {
          running: running.map(([, p]) => p.peak),
          started: all
            .filter(([, p]) => p.order > startedAfter)
            .map(([, p]) => p.peak),
          first: running.map(([id]) => first.get(id)!),
        };
      },
    };
  }

  async detach(): Promise<void> {
    await this.session.detach();
  }
}
