// Seeded crash trials during compaction (issue 14): a tab of the built app holds a
// log whose hot tail is thousands of events, and its renderer or its log worker is
// killed while the compactor packs that tail into segments and merges unfilled
// segments. Compaction is a rewrite of storage only, each step in a transaction of
// its own: a crash leaves the hot records or the segment, never neither and never
// both. Reopened, the compactor packs what was left hot, and every event the app had
// confirmed is stored exactly once, in the same canonical order, with the same heads;
// the log verifies and the page shows the document. `npm test` runs a sample of 1;
// `npm run trials` runs FORKLINE_TRIALS; FORKLINE_SEED replays.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  openDocument,
  openLog,
  type DocumentHandle,
  type Log,
  type LogEvent,
} from '../../src/index.ts';
import { compareCanonical } from '../../src/log/store.ts';
import { DIRECT_SEGMENT_MIN, HOT_LIMIT } from '../../worker/idb-store.ts';
import { collect } from '../support/records.ts';
import { seeded } from '../support/seeded.ts';
import { trialCount, trialSeed } from '../support/trials.ts';
import { documentText, openTabs } from './support/app.ts';
import { useChromium } from './support/browser.ts';
import {
  armKill,
  describePage,
  listen,
  LOADED,
  pause,
  reopen,
  runTrials,
  type Victim,
} from './support/crash-trial.ts';
import { headsOf, verifyInPage } from './support/faults.ts';
import {
  readStoredLog,
  type StorageState,
  watchCompaction,
} from './support/stored-log.ts';

const chromium = useChromium();
const TRIALS = trialCount(1, 'as-set');
const SEED = trialSeed();
/** A safety net, not pacing: a trial takes seconds, two run at a time. */
const TIMEOUT = 120_000 + TRIALS * 20_000;

/** The document and nine streams beside it: the compactor packs one stream per transaction. */
const STREAMS = 10;
/**
 * The first import gives half the streams this many events each: enough that the
 * import packs them as it writes them, into unfilled segments, which the compactor
 * later merges with the segment it packs the stream's hot part into (the other
 * half of the streams start with no segment).
 */
const PACKED = DIRECT_SEGMENT_MIN + 4;
/**
 * The second import gives every stream this many: under DIRECT_SEGMENT_MIN, so they
 * stay hot, and under HOT_LIMIT, so the compactor waits for idle. It starts after
 * the import was confirmed, with nothing else writing.
 */
const HOT = 200;
/**
 * How the compactor commits here: once per stream to pack its hot part (less than a
 * pack's worth), then, writes having paused, once per stream with two unfilled
 * segments (the streams that had a packed part) to merge them.
 */
const PACKS = STREAMS;
const MERGES = STREAMS / 2;
/** What storage holds once compaction is done: nothing hot, one segment per stream. */
const SETTLED = { hot: 0, segments: STREAMS };
/** Events another device made offline: they arrive late, concurrent with what came since. */
const OFFLINE = 12;
const TITLE = 'Packed history';

/** What the trials import, and what the log holds once both imports are confirmed. */
let fixture: {
  files: [packed: ImportFile, hot: ImportFile];
  ids: string[];
  streams: string[];
  order: Map<string, string[]>;
  heads: Map<string, string[]>;
  text: string;
};
let dir: string;

interface ImportFile {
  path: string;
  lines: number;
}

/** Appends `n` events to a stream: text edits in the document, notes elsewhere. */
type Writer = (n: number) => Promise<unknown>;

function writersFor(
  log: Log,
  doc: DocumentHandle,
  device: string,
): Map<string, Writer> {
  const writers = new Map<string, Writer>();
  for (let s = 1; s < STREAMS; s++) {
    const stream = `log/packed-${s}`;
    let note = 0;
    writers.set(stream, async (n) => {
      const events = Array.from({ length: n }, () => ({
        type: 'test.note',
        data: { device, note: note++, pad: 'x'.repeat(40) },
      }));
      for (let i = 0; i < n; i += 50)
        await log.append(stream, events.slice(i, i + 50));
    });
  }
  // The document last: the compactor takes streams in the order they were written.
  let line = 0;
  writers.set(doc.stream, async (n) => {
    let end = (await doc.view()).text.length;
    for (let i = 0; i < n; i++) {
      const added = `${device} line ${line++}\n`;
      await doc.editText(end, 0, added);
      end += added.length;
    }
  });
  return writers;
}

/**
 * Two imports of one history. A desktop writes PACKED events to half the streams
 * (the document among them), then HOT to every stream. A laptop that had the first
 * part edits the document and two streams offline; the desktop takes its events in
 * halfway through the second part, so they are late, and one stream stays forked.
 */
async function makeFixture(): Promise<typeof fixture> {
  expect(HOT).toBeLessThan(Math.min(DIRECT_SEGMENT_MIN, HOT_LIMIT));
  const log = await openLog({ actor: 'packed-desktop' });
  const doc = await openDocument(log, 'packed', { author: 'Desktop' });
  await doc.setField('title', TITLE);
  const writers = writersFor(log, doc, 'desktop');
  const streams = [...writers.keys()];
  const withSegments = streams.slice(STREAMS / 2); // the document is last
  for (const stream of withSegments)
    await writers.get(stream)!(PACKED - (stream === doc.stream ? 1 : 0));
  const first = await collect(log.export());

  const laptop = await openLog({ actor: 'packed-laptop' });
  await laptop.ingest(await collect(log.since({})));
  const offline = writersFor(
    laptop,
    await openDocument(laptop, 'packed', { author: 'Laptop' }),
    'laptop',
  );
  const [split, merged] = withSegments as [string, string];
  const forked = [split, merged, doc.stream];
  for (const stream of forked) await offline.get(stream)!(OFFLINE);

  // Later than the laptop's edits, so those arrive late; `split` is done before they do.
  const half = HOT / 2;
  for (const [stream, write] of writers)
    await write(stream === split ? HOT - OFFLINE : half);
  await log.ingest(await collect(laptop.since(await log.versionVector())));
  for (const [stream, write] of writers)
    if (stream !== split)
      await write(HOT - half - (forked.includes(stream) ? OFFLINE : 0));
  expect(await log.heads(split)).toHaveLength(2);
  expect(await log.heads(merged)).toHaveLength(1);

  const all = (await collect(log.export())).map((l) => l.trimEnd());
  const files = [all.slice(0, first.length), all.slice(first.length)].map(
    (part, i) => {
      const path = join(dir, `part-${i + 1}.jsonl`);
      writeFileSync(path, part.join('\n') + '\n');
      return { path, lines: part.length };
    },
  ) as typeof fixture.files;
  expect(files.map((f) => f.lines)).toEqual([
    PACKED * withSegments.length,
    HOT * STREAMS,
  ]);
  const order = new Map<string, string[]>();
  const heads = new Map<string, string[]>();
  for (const stream of streams) {
    order.set(
      stream,
      (await collect(log.read(stream))).map((e) => e.id),
    );
    heads.set(stream, await log.heads(stream));
  }
  const ids = all.map((l) => (JSON.parse(l) as { id: string }).id);
  // The premise: canonical order is not arrival order (the laptop's edits are late).
  const docOrder = order.get(doc.stream)!;
  expect(docOrder).not.toEqual(ids.filter((id) => docOrder.includes(id)));
  return {
    files,
    ids,
    streams,
    order,
    heads,
    text: (await doc.view()).text,
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'forkline-compaction-crash-'));
  fixture = await makeFixture();
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Imports `file` through the page and waits until the page says all of it was stored. */
async function importFile(page: Page, file: ImportFile): Promise<void> {
  await page.getByLabel('Import log').setInputFiles(file.path);
  await expect
    .poll(() => page.locator('.transfer-result').textContent(), {
      timeout: LOADED,
    })
    .toBe(`Imported ${file.lines} events: ${file.lines} new, 0 already here.`);
}

/** Keys that occur more than once in `keys`. */
function twice(keys: string[]): string[] {
  const seen = new Set<string>();
  const again: string[] = [];
  for (const key of keys) {
    if (seen.has(key)) again.push(key);
    seen.add(key);
  }
  return again;
}

/** Where a trial kills: as a compaction transaction commits, or inside the next one. */
type Moment = 'at-commit' | 'within';

interface Kind {
  victim: Victim;
  moment: Moment;
}

/**
 * What each seed kills, and when. Every other seed terminates the worker from the
 * page in the very task that sees a commit: the kill that would find a stream packed
 * in two steps half done (a renderer crash comes a few ms later, through CDP). The
 * others take turns. Any two seeds in a row include that one; any six, every victim
 * at every moment.
 */
function kindOf(seed: number): Kind {
  if (seed % 2 === 0) return { victim: 'worker', moment: 'at-commit' };
  const others = [
    { victim: 'page', moment: 'at-commit' },
    { victim: 'page', moment: 'within' },
    { victim: 'worker', moment: 'within' },
  ] as const;
  return others[Math.floor(seed / 2) % 3]!;
}

/**
 * Imports the hot part and waits until the compactor has committed a seeded number
 * of times. Returns how long to wait before the kill: nothing, to crash between two
 * transactions, or a seeded part of the time the last commit took, to crash inside
 * the next.
 */
async function importUntilPacking(
  page: Page,
  { victim, moment }: Kind,
  random: () => number,
): Promise<{ after: number; commits: number; left: StorageState }> {
  // At a commit: after an odd number of them, packing or merging (as likely), so that
  // a pack or a merge done in two commits would be cut between the two. Within:
  // after the second commit or a later one, so that the time the last took is known.
  const [phase, draw, part] = [random(), random(), random()];
  const odd = (n: number) => 1 + 2 * Math.floor(draw * Math.floor(n / 2));
  const commits =
    moment === 'within'
      ? 2 + Math.floor(draw * (PACKS + MERGES - 2))
      : phase < 0.5
        ? odd(PACKS)
        : PACKS + odd(MERGES);
  const total = HOT * STREAMS;
  // Watching from before the import: each change it sees is a commit as it happens.
  const watching = watchCompaction(page, {
    from: total,
    commits,
    settled: SETTLED,
    within: LOADED,
    terminate: victim === 'worker' && moment === 'at-commit',
  });
  await importFile(page, fixture.files[1]);
  const seen = await watching;
  expect(seen[0]?.hot, 'the hot tail never held the whole import').toBe(total);
  expect(
    seen.length - 1,
    `commits seen before compaction was done (${JSON.stringify(seen)}): are PACKS and MERGES still right?`,
  ).toBe(commits);
  const [previous, reached] = seen.slice(-2) as [StorageState, StorageState];
  const after =
    moment === 'at-commit' ? 0 : Math.round(part * (reached.at - previous.at));
  return { after, commits, left: reached };
}

/** One trial: returns a line for the summary. */
async function trial(seed: number): Promise<string> {
  const kind = kindOf(seed);
  const { victim, moment } = kind;
  const random = seeded(seed);
  const { context, tabs } = await openTabs(chromium(), 1);
  let page = tabs[0]!;
  const heard = listen(context);
  try {
    await importFile(page, fixture.files[0]);
    const armed = await armKill(page, victim);
    const { after, commits, left } = await importUntilPacking(
      page,
      kind,
      random,
    );
    if (victim === 'worker' && moment === 'at-commit') await armed.gone;
    else {
      if (after > 0) await pause(after);
      await armed.kill();
    }
    page = await reopen(context, page, victim);
    // Reopened, the compactor packs what the crash left hot and merges what it left
    // unfilled, with nothing else writing.
    const packing = { from: 0, commits: Infinity, settled: SETTLED };
    const [now] = (
      await watchCompaction(page, { ...packing, within: LOADED })
    ).slice(-1);
    expect(now, 'storage once compaction is done').toMatchObject(SETTLED);
    await expectConfirmedOnce(page);
    return `${seed} ${victim}/${moment}: killed ${after} ms after commit ${commits} of ${PACKS + MERGES} (${left.hot} events hot, ${left.segments} segments)`;
  } catch (error) {
    console.error(
      `compaction crash trial failed; replay with FORKLINE_SEED=${seed} FORKLINE_TRIALS=1\n${await describePage(page, heard)}`,
    );
    throw error;
  } finally {
    await context.close();
  }
}

/**
 * Every imported event is stored once, by id and by (actor, seq), hot or packed; each
 * stream has the canonical order and heads it had before; the log verifies; and the
 * page shows the document.
 */
async function expectConfirmedOnce(page: Page): Promise<void> {
  expect(await verifyInPage(page)).toBe(fixture.ids.length);
  const stored = await readStoredLog(page);
  expect(stored.unpaired, 'segments without their summary').toEqual([]);
  const events = stored.records.map((r) => r.event);
  expect(twice(events.map((e) => e.id))).toEqual([]);
  expect(twice(events.map((e) => `${e.actor} ${e.seq}`))).toEqual([]);
  expect(events.map((e) => e.id).sort()).toEqual([...fixture.ids].sort());
  for (const stream of fixture.streams) {
    const of = events.filter((e) => e.stream === stream);
    expect(canonicalIds(of), stream).toEqual(fixture.order.get(stream));
    expect(headsOf(of, stream), stream).toEqual(fixture.heads.get(stream));
    expect(
      stored.streams.find((s) => s.stream === stream)?.heads,
      stream,
    ).toEqual(fixture.heads.get(stream));
  }
  await page
    .getByRole('list', { name: 'Documents' })
    .getByRole('button', { name: TITLE, exact: true })
    .click({ timeout: LOADED });
  await expect
    .poll(() => documentText(page), { timeout: LOADED })
    .toBe(fixture.text);
}

/** Ids in canonical order: (hlc, id), which is a topological order (DESIGN §3). */
const canonicalIds = (events: LogEvent[]) =>
  [...events].sort(compareCanonical).map((e) => e.id);

describe('crash trials during compaction', { timeout: TIMEOUT }, () => {
  it(`${TRIALS} seeded kills of a tab or its worker while the compactor packs thousands of hot events`, () =>
    runTrials('compaction crash trials', SEED, TRIALS, trial));
});
