import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  generateConcurrentTrace,
  type ConcurrentTrace,
} from '../../bench/concurrent-trace.ts';
import {
  checkTrace,
  loadTrace,
  TraceFormatError,
  type SequentialTrace,
} from '../../bench/editing-trace.ts';
import {
  replayConcurrentThroughDocument,
  replaySequentialThroughDocument,
  type DocumentReplay,
} from '../../bench/replay-document.ts';
import {
  replaySequentialWithYjs,
  replayWithYjs,
} from '../../bench/replay-yjs.ts';
import { planReplay } from '../../bench/trace-plan.ts';
import { planSplices } from '../../bench/trace-splices.ts';
import type { LogEvent } from '../../src/index.ts';
import { assertProperty } from '../support/property.ts';
import { expectOneHistoryPerClientId } from '../support/yjs-history.ts';

async function eventsOf(replay: DocumentReplay): Promise<LogEvent[]> {
  const events: LogEvent[] = [];
  for await (const event of replay.logs[0]!.read('doc/trace'))
    events.push(event);
  return events;
}

async function closeAll(replay: DocumentReplay): Promise<void> {
  for (const log of replay.logs) await log.close();
}

/** The loader's verdict on `value`: the error's path and reason, or 'ok'. */
function verdict(value: unknown): string | { path: string; reason: string } {
  try {
    checkTrace(value);
    return 'ok';
  } catch (error) {
    expect(error).toBeInstanceOf(TraceFormatError);
    const { path, reason, code } = error as TraceFormatError;
    expect(code).toBe('TRACE_FORMAT');
    return { path, reason };
  }
}

describe('the concurrent trace generator', () => {
  it('makes traces (2-5 agents, typing, merges) that the document API and Yjs both replay to endContent', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 5 }),
        fc.integer({ min: 2, max: 250 }),
        fc.integer(),
        async (agents, txns, seed) => {
          const trace = generateConcurrentTrace({ agents, txns, seed });
          // What a file holds: the loader accepts it as it is.
          const loaded = checkTrace(JSON.parse(JSON.stringify(trace)));
          expect(loaded.kind).toBe('concurrent');
          const plan = planReplay(trace);
          expect(trace.txns).toHaveLength(txns);
          expect(trace.numAgents).toBe(agents);

          replayWithYjs(trace, plan);
          const replay = await replayConcurrentThroughDocument(
            trace,
            plan,
            planSplices(trace, plan),
          );
          try {
            // Every replica ended with endContent (the replay checks); each txn that
            // changed the text is one event.
            const changed = planSplices(trace, plan).filter(Boolean).length;
            expect(replay.events).toBe(changed);
            const events = await eventsOf(replay);
            expect(events).toHaveLength(changed);
            expectOneHistoryPerClientId(events);
          } finally {
            await closeAll(replay);
          }
        },
      ),
      25,
    );
  });

  it('merges: some txns have several parents, and every agent types', () => {
    const trace = generateConcurrentTrace({ agents: 4, txns: 400, seed: 7 });
    expect(trace.txns.some((txn) => txn.parents.length > 1)).toBe(true);
    expect(new Set(trace.txns.map((txn) => txn.agent)).size).toBe(4);
  });
});

describe('a sequential trace through the document API', () => {
  const trace: SequentialTrace = {
    kind: 'sequential',
    startContent: 'ab',
    endContent: 'xaYbc',
    txns: [
      { patches: [[2, 0, 'c']] },
      // Two patches in one txn: one event, one splice over both.
      {
        patches: [
          [0, 0, 'x'],
          [2, 0, 'Z'],
        ],
      },
      // Changes nothing: no event.
      { patches: [] },
      { patches: [[2, 1, 'Y']] },
    ],
  };

  it('makes one event per txn that changes the text and ends with endContent', async () => {
    expect(replaySequentialWithYjs(trace).editors[0]!.toString()).toBe('xaYbc');
    const replay = await replaySequentialThroughDocument(
      trace,
      planSplices(trace),
    );
    try {
      // startContent, then txns 0, 1 and 3.
      expect(replay.events).toBe(4);
      const events = await eventsOf(replay);
      expect(events.map((e) => e.parents.length)).toEqual([0, 1, 1, 1]);
    } finally {
      await closeAll(replay);
    }
  });

  it('fails when the text does not end as endContent', async () => {
    const wrong = { ...trace, endContent: 'xaYbd' };
    await expect(
      replaySequentialThroughDocument(wrong, planSplices(wrong)),
    ).rejects.toThrow(/does not end with the trace's endContent.*at 4/);
    expect(() => replaySequentialWithYjs(wrong)).toThrow(/endContent/);
  });
});

describe('a concurrent txn whose positions are past the end at its parents', () => {
  const trace: ConcurrentTrace = {
    kind: 'concurrent',
    endContent: 'ab',
    numAgents: 2,
    txns: [
      { parents: [], numChildren: 0, agent: 0, patches: [[0, 0, 'a']] },
      // Agent 1 has not seen txn 0: its document is empty.
      { parents: [], numChildren: 0, agent: 1, patches: [[1, 0, 'b']] },
    ],
  };

  it('is refused by both replays, naming the txn', async () => {
    const plan = planReplay(trace);
    expect(() => replayWithYjs(trace, plan)).toThrow(/^txns\[1\]: /);
    await expect(
      replayConcurrentThroughDocument(trace, plan, planSplices(trace, plan)),
    ).rejects.toThrow(/^txns\[1\]: .*past the end of the 0-character text/);
  });
});

describe('the trace loader', () => {
  const sequential = (txns: unknown, extra: object = {}) => ({
    startContent: '',
    endContent: 'ab',
    txns,
    ...extra,
  });
  const concurrent = (txns: unknown, extra: object = {}) => ({
    kind: 'concurrent',
    endContent: '',
    numAgents: 2,
    txns,
    ...extra,
  });
  const txn = (parents: unknown, agent: unknown, patches: unknown = []) => ({
    parents,
    agent,
    patches,
  });

  it.each([
    ['a list', [], '', 'the trace is not a JSON object'],
    ['no endContent', { txns: [] }, 'endContent', 'missing, or not a string'],
    ['txns not a list', sequential({}), 'txns', 'missing, or not an array'],
    [
      'an unknown kind',
      sequential([], { kind: 'sequential' }),
      'kind',
      '"sequential" is neither absent nor "concurrent"',
    ],
    [
      'a txn without patches',
      sequential([{}]),
      'txns[0].patches',
      'missing, or not an array',
    ],
    [
      'a patch that is no triple',
      sequential([{ patches: [[0, 'ab']] }]),
      'txns[0].patches[0]',
      'not a [pos, deleteCount, insertText] triple',
    ],
    [
      'a negative position',
      sequential([{ patches: [[-1, 0, 'ab']] }]),
      'txns[0].patches[0]',
      'pos -1 is not a whole number from 0',
    ],
    [
      'a fractional delete count',
      sequential([{ patches: [[0, 0.5, 'ab']] }]),
      'txns[0].patches[0]',
      'deleteCount 0.5 is not a whole number from 0',
    ],
    [
      'inserted text that is no string',
      sequential([{ patches: [[0, 0, 7]] }]),
      'txns[0].patches[0]',
      'insertText 7 is not a string',
    ],
    [
      'a position past the end',
      sequential([{ patches: [[0, 0, 'abc']] }, { patches: [[900, 0, 'x']] }]),
      'txns[1].patches[0]',
      'pos 900 is past the end (length 3)',
    ],
    [
      'a delete past the end',
      sequential([{ patches: [[0, 0, 'abc']] }, { patches: [[2, 2, '']] }]),
      'txns[1].patches[0]',
      'deleting 2 from 2 goes past the end (length 3)',
    ],
    [
      'patches that do not make endContent',
      sequential([{ patches: [[0, 0, 'abc']] }]),
      'txns',
      'the patches leave 3 characters, endContent has 2',
    ],
    [
      'a character outside the BMP',
      sequential([{ patches: [[0, 0, 'a😀']] }]),
      'txns[0].patches[0]',
      'has a character outside the BMP at offset 1: positions would count code points, the replay counts UTF-16 code units',
    ],
    [
      'no agents',
      concurrent([], { numAgents: 0 }),
      'numAgents',
      '0 is not a whole number from 1',
    ],
    [
      'a start content',
      concurrent([], { startContent: 'x' }),
      'startContent',
      'a concurrent trace starts from an empty document',
    ],
    [
      'a parent that is not earlier',
      concurrent([txn([], 0), txn([1], 0)]),
      'txns[1].parents[0]',
      '1 is not the index of an earlier txn',
    ],
    [
      'a parent named twice',
      concurrent([txn([], 0), txn([0, 0], 1)]),
      'txns[1].parents',
      'names a txn twice',
    ],
    [
      'an agent out of range',
      concurrent([txn([], 2)]),
      'txns[0].agent',
      '2 is not an agent from 0 to 1',
    ],
    [
      "an agent's txns that are concurrent",
      concurrent([txn([], 0), txn([], 0)]),
      '',
      "txns[1].parents: they do not contain txn 0, agent 0's latest, but an agent's txns must be totally ordered",
    ],
  ])('rejects %s, saying where', (_, value, path, reason) => {
    expect(verdict(value)).toEqual({ path, reason });
  });

  it('accepts both kinds, and tells them apart by kind', () => {
    expect(checkTrace(sequential([{ patches: [[0, 0, 'ab']] }]))).toMatchObject(
      { kind: 'sequential', startContent: '' },
    );
    expect(checkTrace(concurrent([txn([], 0), txn([0], 1)]))).toMatchObject({
      kind: 'concurrent',
      numAgents: 2,
    });
  });

  describe('reading files', () => {
    const dir = mkdtemp(join(tmpdir(), 'forkline-traces-'));
    afterAll(async () => rm(await dir, { recursive: true, force: true }));

    it('reads gzipped JSON and plain JSON', async () => {
      const value = sequential([{ patches: [[0, 0, 'ab']] }]);
      const gz = join(await dir, 'trace.json.gz');
      const plain = join(await dir, 'trace.json');
      await writeFile(gz, gzipSync(JSON.stringify(value)));
      await writeFile(plain, JSON.stringify(value));
      expect((await loadTrace(gz)).endContent).toBe('ab');
      expect((await loadTrace(plain)).endContent).toBe('ab');
    });

    it('names the file when it is not JSON, or its content is wrong', async () => {
      const notJson = join(await dir, 'bad.json.gz');
      await writeFile(notJson, gzipSync('{"txns": ['));
      await expect(loadTrace(notJson)).rejects.toThrow(
        new RegExp(`^${notJson}: not JSON`),
      );
      const wrong = join(await dir, 'wrong.json.gz');
      await writeFile(
        wrong,
        gzipSync(JSON.stringify(sequential([{ patches: [[5, 0, 'ab']] }]))),
      );
      await expect(loadTrace(wrong)).rejects.toThrow(
        `${wrong}: txns[0].patches[0]: pos 5 is past the end (length 0)`,
      );
    });
  });
});
