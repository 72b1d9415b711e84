import type { CDPSession, Page, Worker } from 'playwright-core';
import { expect } from 'vitest';
import { readStoredLog, type Place } from './stored-log.ts';

/** The page's log worker (the newest, after a restart), once the page has it running. */
export async function logWorker(page: Page): Promise<Worker> {
  await expect
    .poll(() => page.getByRole('status').textContent(), { timeout: 90_000 })
    .not.toMatch(/reconnecting/);
  let found: Worker | undefined;
  await expect
    .poll(() => {
      found = page
        .workers()
        .filter((w) => w.url().includes('log-worker'))
        .at(-1);
      return found !== undefined;
    })
    .toBe(true);
  return found!;
}

/**
 * Kills the page's log worker from inside, as a crash would: no goodbye to the page.
 * Pass the worker found beforehand to kill it without first asking the page anything.
 */
export async function killLogWorker(
  page: Page,
  worker?: Worker,
): Promise<void> {
  worker ??= await logWorker(page);
  const closed = new Promise<void>((resolve) =>
    worker.once('close', () => resolve()),
  );
  // close() on a later task: evaluate returns before the worker is gone.
  await worker
    .evaluate(() => void setTimeout(() => self.close(), 0))
    .catch(() => undefined);
  await closed;
}

/**
 * Terminates the page's log worker from the page, as its supervisor terminates a
 * stuck one: at once, even in the middle of a task (the page's fault hook, in the
 * e2e copy of the build only: worker-fault-hooks.ts). The supervisor starts another.
 */
export async function terminateLogWorker(page: Page): Promise<void> {
  await page.evaluate(() =>
    (
      globalThis as unknown as { forklineTerminateLogWorker(): void }
    ).forklineTerminateLogWorker(),
  );
}

/**
 * Makes the browser drop the worker's IndexedDB connection (the `close` event fires),
 * through the fault hook that only the e2e copy of the build has (worker-fault-hooks.ts).
 */
export async function dropStorageConnection(page: Page): Promise<void> {
  // The worker found may be one the supervisor is replacing after the last fault
  // (the page not yet saying so): then the fault strikes its successor.
  for (;;) {
    const worker = await logWorker(page);
    let closed = false;
    worker.once('close', () => void (closed = true));
    try {
      await worker.evaluate(() =>
        (
          globalThis as unknown as { forklineDropStorageConnection(): void }
        ).forklineDropStorageConnection(),
      );
      return;
    } catch (error) {
      // Closed under the evaluation: its close event may come just after.
      const gone = await expect
        .poll(() => closed || !page.workers().includes(worker), {
          timeout: 5_000,
        })
        .toBe(true)
        .then(
          () => true,
          () => false,
        );
      if (!gone) throw error;
    }
  }
}

/**
 * Crashes the tab's renderer (and its workers) as an out-of-memory kill would. Pass
 * a CDP session opened beforehand to make the crash one command, with no set-up first.
 */
export async function crashPage(page: Page, cdp?: CDPSession): Promise<void> {
  cdp ??= await page.context().newCDPSession(page);
  const crashed = new Promise<void>((resolve) =>
    page.once('crash', () => resolve()),
  );
  // The command never answers: the renderer is gone before it can.
  void cdp.send('Page.crash').catch(() => undefined);
  await crashed;
}

/** Runs the page's "Verify log" action; resolves to the number of events it checked. */
export async function verifyInPage(page: Page): Promise<number> {
  const result = page.locator('.transfer-result');
  await page.getByRole('button', { name: 'Verify log' }).click();
  await expect
    .poll(() => result.textContent(), { timeout: 60_000 })
    .toMatch(/^(Verified|Verification found)/);
  const said = (await result.textContent())!;
  expect(said).toMatch(/^Verified \d+ events/);
  return Number(/^Verified (\d+)/.exec(said)![1]);
}

export interface StoredEvent {
  id: string;
  stream: string;
  type: string;
  actor: string;
  seq: number;
  hlc: string;
  parents: string[];
  author: string | undefined;
  pos: number;
  /** Text-edit payloads as hex, to find the same edit stored twice. */
  bytes: string | undefined;
  /** A hot record, or the key of the segment it was packed into. */
  place: Place;
}

/**
 * Every event in the profile's database, hot or packed into segments, by position
 * (readStoredLog). Throws if the app has not made the database yet.
 */
export async function storedEvents(page: Page): Promise<StoredEvent[]> {
  const { records } = await readStoredLog(page);
  return records.map(({ event, pos, place }) => ({
    id: event.id,
    stream: event.stream,
    type: event.type,
    actor: event.actor,
    seq: event.seq,
    hlc: event.hlc,
    parents: event.parents,
    author: event.author,
    pos,
    bytes:
      event.data instanceof Uint8Array
        ? Buffer.from(event.data).toString('hex')
        : undefined,
    place,
  }));
}

/** Heads of `stream`: its events no other event names as a parent. */
export function headsOf(
  events: Pick<StoredEvent, 'id' | 'stream' | 'parents'>[],
  stream: string,
): string[] {
  const of = events.filter((e) => e.stream === stream);
  const named = new Set(of.flatMap((e) => e.parents));
  return of
    .map((e) => e.id)
    .filter((id) => !named.has(id))
    .sort();
}

/**
 * Text edits one tab stored twice: the same Yjs update under two event ids from one
 * author. (Another tab's event may carry the same bytes: an edit built on text shared
 * early carries that text until its own event arrives.)
 */
export function duplicatedEdits(events: StoredEvent[]): string[] {
  const seen = new Map<string, string>();
  const twice: string[] = [];
  for (const e of events) {
    if (e.bytes === undefined) continue;
    const key = `${e.actor} ${e.author ?? ''} ${e.bytes}`;
    const first = seen.get(key);
    if (first) twice.push(`${first} and ${e.id}`);
    else seen.set(key, e.id);
  }
  return twice;
}
