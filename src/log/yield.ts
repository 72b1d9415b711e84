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
 * How long long work pauses at one yield for requests someone waits on, at most:
 * it always goes on, even if such requests never stop coming (or one never ends).
 */
export const LONGEST_PAUSE = 250;

/**
 * How long long work stays paused after the last request someone waits on: the
 * page is painting the answer then, and on a machine with few cores the two compete.
 * A person going through the explorer's filters asks again within it.
 */
export const LINGER = 100;

/** Requests someone is waiting on, under way now (see `waitedOn`). */
let waited = 0;
/** Set from the end of the last such request until LINGER after it. */
let lingering: ReturnType<typeof setTimeout> | undefined;
/** Long work paused until none are under way, nor lingering. */
let paused: (() => void)[] = [];

function resumeAll(): void {
  lingering = undefined;
  const resume = paused;
  paused = [];
  resume.forEach((go) => go());
}

/**
 * Runs `work`, a short request a person is waiting on (a page of the event
 * explorer), as the thread's first concern: long work (`yieldToWaiting`) takes no
 * new slice until LINGER after it ends. The request must not itself wait on long
 * work; if it does, that work still goes on after LONGEST_PAUSE.
 */
export async function waitedOn<T>(work: () => Promise<T>): Promise<T> {
  waited++;
  clearTimeout(lingering);
  lingering = undefined;
  try {
    return await work();
  } finally {
    if (--waited === 0) lingering = setTimeout(resumeAll, LINGER);
  }
}

/**
 * Goes on only once the thread has nothing more urgent to do: for long work nobody is
 * waiting on (folding a document after an import), so that a page's request, and the
 * IndexedDB answers it needs, are not each queued behind a slice of it. Where the
 * Prioritized Task Scheduling API exists (Chromium, in workers too) the work resumes
 * at background priority; elsewhere after a timer task. While a request someone waits
 * on is under way (`waitedOn`), it resumes LINGER after that ends, or after
 * LONGEST_PAUSE.
 */
export async function yieldToWaiting(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: Partial<TaskScheduler> })
    .scheduler;
  await (scheduler?.postTask
    ? scheduler.postTask(() => undefined, { priority: 'background' })
    : yieldToOthers());
  if (waited === 0 && lingering === undefined) return;
  await new Promise<void>((resume) => {
    const go = () => {
      clearTimeout(timer);
      resume();
    };
    // Gone on alone: no longer among the paused, which a long run of requests grows.
    const timer = setTimeout(() => {
      paused = paused.filter((p) => p !== go);
      resume();
    }, LONGEST_PAUSE);
    paused.push(go);
  });
}
