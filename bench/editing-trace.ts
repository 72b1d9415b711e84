import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import type {
  ConcurrentTrace,
  ConcurrentTxn,
  TracePatch,
} from './concurrent-trace.ts';
import { planReplay } from './trace-plan.ts';

/**
 * The sequential format of the public editing traces
 * (github.com/josephg/editing-traces): one writer, txns applied in order. The files
 * have no `kind`; the loader adds it so that a trace's kind is in its type.
 */
export interface SequentialTrace {
  kind: 'sequential';
  startContent: string;
  endContent: string;
  txns: { patches: TracePatch[] }[];
}

export type EditingTrace = SequentialTrace | ConcurrentTrace;

/** A trace file that does not follow the format, with where it breaks it. */
export class TraceFormatError extends Error {
  readonly code = 'TRACE_FORMAT';
  constructor(
    /** The file, or '(trace)' for a value that came from no file. */
    readonly source: string,
    /** Where in the JSON: `txns[12].patches[0]`. */
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${source}: ${path ? `${path}: ` : ''}${reason}`);
    this.name = 'TraceFormatError';
  }
}

const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * Reads a trace in the editing-traces format: gzipped JSON (or plain JSON), of either
 * kind, told apart by `kind: "concurrent"`.
 * @throws TraceFormatError naming the file, the place and what is wrong; the file
 *   system's error when the file cannot be read.
 */
export async function loadTrace(file: string): Promise<EditingTrace> {
  const bytes = await readFile(file);
  let text: string;
  try {
    const gzipped = GZIP_MAGIC.every((byte, i) => bytes[i] === byte);
    text = (gzipped ? gunzipSync(bytes) : bytes).toString('utf8');
  } catch (error) {
    throw new TraceFormatError(
      file,
      '',
      `not a readable gzip file (${(error as Error).message})`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TraceFormatError(
      file,
      '',
      `not JSON (${(error as Error).message})`,
    );
  }
  return checkTrace(value, file);
}

/**
 * Checks a parsed trace against the format. Sequential patches are checked against
 * the text's length as it goes, and the result against `endContent`. A concurrent
 * txn's positions depend on what its parents merged, which only a replay knows, so
 * there the replays report a position past the end.
 * @throws TraceFormatError naming the place and what is wrong.
 */
export function checkTrace(value: unknown, source = '(trace)'): EditingTrace {
  const fail: Fail = (path, reason) => {
    throw new TraceFormatError(source, path, reason);
  };
  if (!isObject(value)) return fail('', 'the trace is not a JSON object');
  if (typeof value.endContent !== 'string')
    fail('endContent', 'missing, or not a string');
  if (!Array.isArray(value.txns)) fail('txns', 'missing, or not an array');
  const txns = value.txns as unknown[];
  if (value.kind === 'concurrent') return checkConcurrent(value, txns, fail);
  if (value.kind !== undefined)
    fail(
      'kind',
      `${JSON.stringify(value.kind)} is neither absent nor "concurrent"`,
    );
  return checkSequential(value, txns, fail);
}

type Fail = (path: string, reason: string) => never;

function checkSequential(
  trace: Record<string, unknown>,
  txns: unknown[],
  fail: Fail,
): SequentialTrace {
  const startContent = trace.startContent ?? '';
  if (typeof startContent !== 'string') fail('startContent', 'not a string');
  const endContent = trace.endContent as string;
  checkUtf16Positions(startContent as string, 'startContent', fail);
  let length = (startContent as string).length;
  txns.forEach((txn, t) => {
    const patches = patchesOf(txn, `txns[${t}]`, fail);
    patches.forEach(([pos, del, ins], p) => {
      const path = `txns[${t}].patches[${p}]`;
      if (pos > length)
        fail(path, `pos ${pos} is past the end (length ${length})`);
      if (pos + del > length)
        fail(
          path,
          `deleting ${del} from ${pos} goes past the end (length ${length})`,
        );
      length += ins.length - del;
    });
  });
  checkUtf16Positions(endContent, 'endContent', fail);
  if (length !== endContent.length)
    fail(
      'txns',
      `the patches leave ${length} characters, endContent has ${endContent.length}`,
    );
  return {
    kind: 'sequential',
    startContent: startContent as string,
    endContent,
    txns: txns as SequentialTrace['txns'],
  };
}

function checkConcurrent(
  trace: Record<string, unknown>,
  txns: unknown[],
  fail: Fail,
): ConcurrentTrace {
  const { numAgents, startContent, endContent } = trace;
  if (!isCount(numAgents) || numAgents < 1)
    fail(
      'numAgents',
      `${JSON.stringify(numAgents)} is not a whole number from 1`,
    );
  if (startContent !== undefined && startContent !== '')
    fail('startContent', 'a concurrent trace starts from an empty document');
  checkUtf16Positions(endContent as string, 'endContent', fail);
  txns.forEach((txn, t) => {
    const path = `txns[${t}]`;
    patchesOf(txn, path, fail);
    const { parents, agent } = txn as Record<string, unknown>;
    if (!Array.isArray(parents))
      fail(`${path}.parents`, 'missing, or not an array');
    (parents as unknown[]).forEach((parent, i) => {
      if (!isCount(parent) || parent >= t)
        fail(
          `${path}.parents[${i}]`,
          `${JSON.stringify(parent)} is not the index of an earlier txn`,
        );
    });
    if (new Set(parents as number[]).size !== (parents as number[]).length)
      fail(`${path}.parents`, 'names a txn twice');
    if (!isCount(agent) || agent >= (numAgents as number))
      fail(
        `${path}.agent`,
        `${JSON.stringify(agent)} is not an agent from 0 to ${(numAgents as number) - 1}`,
      );
  });
  const checked: ConcurrentTrace = {
    kind: 'concurrent',
    endContent: endContent as string,
    numAgents: numAgents as number,
    txns: txns as ConcurrentTxn[],
  };
  try {
    planReplay(checked);
  } catch (error) {
    fail('', (error as Error).message);
  }
  return checked;
}

function patchesOf(txn: unknown, path: string, fail: Fail): TracePatch[] {
  if (!isObject(txn)) fail(path, 'not an object');
  const patches = (txn as Record<string, unknown>).patches;
  if (!Array.isArray(patches))
    fail(`${path}.patches`, 'missing, or not an array');
  (patches as unknown[]).forEach((patch, p) => {
    const at = `${path}.patches[${p}]`;
    if (!Array.isArray(patch) || patch.length !== 3)
      fail(at, 'not a [pos, deleteCount, insertText] triple');
    const [pos, del, ins] = patch as unknown[];
    if (!isCount(pos))
      fail(at, `pos ${JSON.stringify(pos)} is not a whole number from 0`);
    if (!isCount(del))
      fail(
        at,
        `deleteCount ${JSON.stringify(del)} is not a whole number from 0`,
      );
    if (typeof ins !== 'string')
      fail(at, `insertText ${JSON.stringify(ins)} is not a string`);
    checkUtf16Positions(ins as string, at, fail);
  });
  return patches as TracePatch[];
}

/**
 * The format counts positions in code points, JavaScript (and the document API) in
 * UTF-16 code units: they agree while no character lies outside the BMP, which
 * holds for every trace these benchmarks replay. Converting the rest would need the
 * text at every txn; refusing is honest.
 */
function checkUtf16Positions(text: string, path: string, fail: Fail): void {
  const astral = /[\uD800-\uDBFF]/.exec(text);
  if (astral)
    fail(
      path,
      `has a character outside the BMP at offset ${astral.index}: positions would count code points, the replay counts UTF-16 code units`,
    );
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isCount = (value: unknown): value is number =>
  Number.isSafeInteger(value) && (value as number) >= 0;
