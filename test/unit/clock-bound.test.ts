import { describe, expect, it } from 'vitest';
import {
  ClockDriftError,
  ClockExhaustedError,
  ImportError,
  MAX_CLOCK_DRIFT,
  memoryStore,
  openLog,
  type LogEvent,
} from '../../src/index.ts';
import {
  formatHlc,
  isHlc,
  parseHlc,
  tickHlc,
  MAX_HLC,
} from '../../src/log/hlc.ts';
import { collect } from '../support/records.ts';

const NOW = Date.UTC(2026, 10, 30, 12);
const HOUR = 60 * 60 * 1000;

/** Events written by a device whose wall clock reads `now`. */
async function eventsWrittenAt(now: number, count = 1): Promise<LogEvent[]> {
  const writer = await openLog({ actor: 'skewed', now: () => now });
  for (let i = 0; i < count; i++)
    // The writer may claim any time; only the HLC is bounded.
    await writer.append('doc/skewed', {
      type: 't',
      data: i,
      time: '2026-11-30T12:00:00Z',
    });
  return collect(writer.since({}));
}

describe('the hybrid logical clock at its edge', () => {
  it('walks to the last timestamp it can write, then refuses with a typed error', () => {
    let clock = formatHlc({ wall: 0xffffffffffff, counter: 0xfff0 });
    for (let i = 0; i < 15; i++) {
      const next = tickHlc(clock, NOW);
      expect(isHlc(next)).toBe(true);
      expect(next > clock).toBe(true);
      clock = next;
    }
    expect(clock).toBe(MAX_HLC);
    expect(() => tickHlc(clock, NOW)).toThrow(ClockExhaustedError);
  });

  it('never formats a timestamp wider than 12 + 4 digits', () => {
    expect(() => formatHlc({ wall: 0x1000000000000, counter: 0 })).toThrow(
      ClockExhaustedError,
    );
    expect(() => formatHlc({ wall: 1, counter: 0x10000 })).toThrow(
      ClockExhaustedError,
    );
    expect(() => tickHlc(ZERO_WITH_FULL_COUNTER, 0xffffffffffff)).not.toThrow();
  });
});

const ZERO_WITH_FULL_COUNTER = formatHlc({ wall: 0, counter: 0xffff });

describe('ingest bounds clocks by the receiver wall clock', () => {
  it('refuses an event more than MAX_CLOCK_DRIFT ahead, naming it', async () => {
    const [future] = await eventsWrittenAt(NOW + MAX_CLOCK_DRIFT + 1);
    const receiver = await openLog({ actor: 'receiver', now: () => NOW });
    const error = await receiver.ingest([future!]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClockDriftError);
    expect(error).toMatchObject({
      code: 'CLOCK_DRIFT',
      id: future!.id,
      hlc: future!.hlc,
      limit: formatHlc({ wall: NOW + MAX_CLOCK_DRIFT, counter: 0xffff }),
    });
    expect(await receiver.versionVector()).toEqual({});
  });

  it('accepts an event within the drift and still writes after it', async () => {
    const [ahead] = await eventsWrittenAt(NOW + HOUR - 1000);
    const receiver = await openLog({ actor: 'receiver', now: () => NOW });
    await receiver.ingest([ahead!]);
    const [mine] = await receiver.append('doc/skewed', {
      type: 't',
      data: 'reply',
    });
    expect(mine!.event.hlc > ahead!.hlc).toBe(true);
    expect(mine!.event.parents).toEqual([ahead!.id]);
  });

  it('refuses a year-9999 clock and the end of time, and keeps editing', async () => {
    for (const wall of [Date.UTC(9999, 0), 0xffffffffffff]) {
      const [hostile] = await eventsWrittenAt(wall);
      const receiver = await openLog({ actor: 'receiver', now: () => NOW });
      await expect(receiver.ingest([hostile!])).rejects.toBeInstanceOf(
        ClockDriftError,
      );
      const [next] = await receiver.append('doc/a', { type: 't', data: 1 });
      expect(parseHlc(next!.event.hlc).wall).toBe(NOW);
    }
  });

  it('refuses such an event at import with the line that holds it', async () => {
    const writer = await openLog({ actor: 'skewed', now: () => NOW });
    await writer.append('doc/a', { type: 't', data: 0 });
    const early = await collect(writer.export());
    const late = await openLog({
      store: memoryStore(),
      actor: 'skewed-later',
      now: () => NOW + 2 * HOUR,
    });
    await late.import(early);
    await late.append('doc/a', { type: 't', data: 1 });
    const lines = await collect(late.export());
    const receiver = await openLog({ actor: 'receiver', now: () => NOW });
    const error = await receiver.import(lines).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportError);
    expect(error).toMatchObject({ line: 2 });
    // Said as a time and how far ahead, once: "nothing was stored" is the import's
    // "Nothing was imported".
    expect((error as Error).message).toContain(
      `(${new Date(NOW + 2 * HOUR).toISOString().replace('.000Z', 'Z')}), 2 h 0 min ahead`,
    );
    expect((error as Error).message).not.toMatch(/nothing was stored/i);
    expect((error as Error).message).toMatch(/\. Nothing was imported\.$/);
    expect(await receiver.versionVector()).toEqual({});
  });
});

describe('an event already stored with a runaway clock (before the bound existed)', () => {
  it('stays, and does not drag the clock of later events', async () => {
    const store = memoryStore();
    const before = await openLog({
      store,
      actor: 'old',
      now: () => Date.UTC(9999, 0),
    });
    const [poisoned] = await before.append('doc/old', { type: 't', data: 0 });
    const log = await openLog({ store, actor: 'old', now: () => NOW });

    const [elsewhere] = await log.append('doc/new', { type: 't', data: 1 });
    expect(parseHlc(elsewhere!.event.hlc).wall).toBe(NOW);

    // Its own stream still needs a child clock above it (DESIGN §3)…
    const [child] = await log.append('doc/old', { type: 't', data: 2 });
    expect(child!.event.hlc > poisoned!.event.hlc).toBe(true);
    // …but the replica's clock is not dragged along.
    const [after] = await log.append('doc/new', { type: 't', data: 3 });
    expect(parseHlc(after!.event.hlc).wall).toBe(NOW);
    expect(await log.get(poisoned!.event.id)).toEqual(poisoned!.event);
    expect((await log.verify()).ok).toBe(true);
  });

  it('at the end of time, refuses only appends to that stream, with a typed error', async () => {
    const store = memoryStore();
    const before = await openLog({
      store,
      actor: 'old',
      now: () => 0xffffffffffff,
    });
    for (let i = 0; i <= 0xffff; i += 4096)
      await before.append(
        'doc/old',
        Array.from({ length: 4096 }, (_, j) => ({ type: 't', data: i + j })),
      );
    expect(await before.heads('doc/old')).toHaveLength(1);
    const log = await openLog({ store, actor: 'old', now: () => NOW });
    await expect(
      log.append('doc/old', { type: 't', data: 'x' }),
    ).rejects.toBeInstanceOf(ClockExhaustedError);
    const [fine] = await log.append('doc/new', { type: 't', data: 'y' });
    expect(parseHlc(fine!.event.hlc).wall).toBe(NOW);
  });
});
