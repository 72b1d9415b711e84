import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  LINGER,
  LONGEST_PAUSE,
  waitedOn,
  yieldToWaiting,
} from '../../src/log/yield.ts';

/** A request under way until the test ends it. */
function request() {
  let end!: () => void;
  let fail!: (error: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    end = resolve;
    fail = reject;
  });
  const served = waitedOn(() => done);
  return { end, fail, served };
}

/** Long work's next slice: whether it has gone on yet. */
function nextSlice() {
  const slice = { went: false };
  void yieldToWaiting().then(() => (slice.went = true));
  return slice;
}

// The thread's clock is the test's: a pause is over when the test says so.
describe('long work yields to requests someone waits on', () => {
  beforeEach(() => vi.useFakeTimers());
  // Past every pause a test left: the next starts with nothing under way.
  afterEach(async () => {
    await vi.advanceTimersByTimeAsync(LONGEST_PAUSE + LINGER);
    vi.useRealTimers();
  });

  it('goes on after a task when no such request is under way', async () => {
    const slice = nextSlice();
    await vi.advanceTimersByTimeAsync(0);
    expect(slice.went).toBe(true);
  });

  it('waits until every request under way has ended, and LINGER after', async () => {
    const first = request();
    const second = request();
    const slice = nextSlice();
    await vi.advanceTimersByTimeAsync(LONGEST_PAUSE - LINGER - 1);
    expect(slice.went).toBe(false);
    first.end();
    await vi.advanceTimersByTimeAsync(0);
    expect(slice.went).toBe(false);
    second.end();
    await Promise.all([first.served, second.served]);
    // The page paints the answer meanwhile.
    await vi.advanceTimersByTimeAsync(LINGER - 1);
    expect(slice.went).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(slice.went).toBe(true);
  });

  it('a request within LINGER of the last keeps long work paused', async () => {
    const first = request();
    const slice = nextSlice();
    first.end();
    await first.served;
    await vi.advanceTimersByTimeAsync(LINGER - 1);
    const second = request();
    await vi.advanceTimersByTimeAsync(LINGER);
    expect(slice.went).toBe(false);
    second.end();
    await second.served;
    await vi.advanceTimersByTimeAsync(LINGER);
    expect(slice.went).toBe(true);
  });

  it('a request that fails ends too, and its error reaches its caller', async () => {
    const failing = request();
    const slice = nextSlice();
    await vi.advanceTimersByTimeAsync(1);
    failing.fail(new Error('no such page'));
    await expect(failing.served).rejects.toThrow('no such page');
    await vi.advanceTimersByTimeAsync(LINGER);
    expect(slice.went).toBe(true);
  });

  it('goes on after LONGEST_PAUSE however long a request takes', async () => {
    const endless = request();
    const slice = nextSlice();
    await vi.advanceTimersByTimeAsync(LONGEST_PAUSE - 1);
    expect(slice.went).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(slice.went).toBe(true);
    // A slice after it pauses again: the request is still under way.
    const later = nextSlice();
    await vi.advanceTimersByTimeAsync(1);
    expect(later.went).toBe(false);
    endless.end();
    await endless.served;
    await vi.advanceTimersByTimeAsync(LINGER);
    expect(later.went).toBe(true);
  });
});
