/** Lets the thread's other tasks (a supervisor's ping, a progress message) run. */
export const yieldToOthers = (): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, 0));

interface TaskScheduler {
  postTask(
    task: () => void,
    options: { priority: 'background' },
  ): Promise<void>;
}

/**
 * Goes on only once the thread has nothing more urgent to do: for long work nobody is
 * waiting on (folding a document after an import), so that a page's request, and the
 * IndexedDB answers it needs, are not each queued behind a slice of it. Where the
 * Prioritized Task Scheduling API exists (Chromium, in workers too) the work resumes
 * at background priority; elsewhere after a timer task.
 */
export function yieldToWaiting(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: Partial<TaskScheduler> })
    .scheduler;
  return scheduler?.postTask
    ? scheduler.postTask(() => undefined, { priority: 'background' })
    : yieldToOthers();
}
