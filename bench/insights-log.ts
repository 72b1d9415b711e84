import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import {
  mkdir,
  mkdtemp,
  readFile,
  rename,
  rm,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as Y from 'yjs';
import {
  docIdOf,
  openDocument,
  openLog,
  type DocumentHandle,
  type Log,
  type LogEvent,
} from '../src/index.ts';
import { textUpdateOf } from '../src/doc/doc-events.ts';
import { BODY } from '../src/doc/doc-state.ts';
import { seededRandom } from './seeded-random.ts';

export const AUTHORS = ['Ada', 'Bo', 'Cy', 'Di', 'Ed'];
export const DOCUMENTS = 50;
/** Every replica takes in the others' events after this many edits: most edits are sequential. */
const SYNC_EVERY = 40;
const WORDS = ['log ', 'fold ', 'event ', 'head ', 'fork ', 'merge ', 'state '];

/** The events `to` lacks, taken in from `from`; returns them. */
async function syncInto(to: Log, from: Log): Promise<LogEvent[]> {
  const missing = [];
  for await (const e of from.since(await to.versionVector())) missing.push(e);
  if (missing.length > 0) await to.ingest(missing);
  return missing;
}

/**
 * Each replica's documents' texts as Y.Docs the harness keeps beside the logs, fed
 * the same updates: where to type next is the text's length, which a document's
 * summary would give by building the whole text at every edit (quadratic at 260k).
 */
function mirrors(replicas: number) {
  const docs = Array.from({ length: replicas }, () => new Map<string, Y.Doc>());
  const of = (replica: number, docId: string) => {
    let doc = docs[replica]!.get(docId);
    if (!doc) docs[replica]!.set(docId, (doc = new Y.Doc()));
    return doc;
  };
  return {
    take(replica: number, events: LogEvent[]) {
      for (const event of events) {
        const update = textUpdateOf(event);
        if (update) Y.applyUpdate(of(replica, docIdOf(event.stream)), update);
      }
    },
    length: (replica: number, docId: string) =>
      of(replica, docId).getText(BODY).length,
  };
}

/**
 * A log of `events` events over DOCUMENTS documents written by five authors, each
 * on a replica of their own: some documents far busier than others, typing with
 * now and then a deletion, and the replicas synced every SYNC_EVERY edits, so that
 * two authors editing one document between syncs make a concurrent episode (and
 * now and then a concurrent rename). Exported as JSON Lines to `dir`.
 */
export async function insightsLog(
  dir: string,
  events: number,
  seed = 17,
): Promise<{ file: string; events: number; docIds: string[] }> {
  const random = seededRandom(seed);
  const logs = await Promise.all(
    AUTHORS.map((a) => openLog({ actor: `replica-${a}` })),
  );
  const docIds = Array.from({ length: DOCUMENTS }, (_, i) => `insights-${i}`);
  const handles: DocumentHandle[][] = await Promise.all(
    logs.map((log, a) =>
      Promise.all(
        docIds.map((id) => openDocument(log, id, { author: AUTHORS[a]! })),
      ),
    ),
  );
  for (const d of docIds.keys())
    await handles[0]![d]!.setField('title', `Document ${d + 1}`);
  const texts = mirrors(logs.length);
  for (const [r, log] of logs.entries())
    if (r > 0) texts.take(r, await syncInto(log, logs[0]!));
  let written = DOCUMENTS;
  while (written < events) {
    const a = random.int(0, AUTHORS.length - 1);
    // Busy documents: the first few take most of the edits.
    const d = Math.min(
      DOCUMENTS - 1,
      Math.floor(DOCUMENTS * random.next() ** 3),
    );
    const doc = handles[a]![d]!;
    const length = texts.length(a, docIds[d]!);
    if (random.chance(0.01))
      await doc.setField('title', `Document ${d + 1} by ${AUTHORS[a]}`);
    else if (length > 10 && random.chance(0.15))
      texts.take(a, [(await doc.editText(length - 3, 3, '')).event]);
    else
      texts.take(a, [
        (await doc.editText(length, 0, random.pick(WORDS))).event,
      ]);
    written++;
    if (written % SYNC_EVERY === 0) await syncAll(logs, texts);
  }
  await syncAll(logs, texts);
  const file = join(dir, `insights-${events}.jsonl`);
  const out = createWriteStream(file);
  let lines = 0;
  for await (const line of logs[0]!.export()) {
    out.write(line + '\n');
    lines++;
  }
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
  await Promise.all(logs.map((l) => l.close()));
  return { file, events: lines, docIds };
}

async function syncAll(logs: Log[], texts: ReturnType<typeof mirrors>) {
  for (const [t, to] of logs.entries())
    for (const from of logs)
      if (to !== from) texts.take(t, await syncInto(to, from));
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE = join(ROOT, 'node_modules', '.cache', 'forkline-bench');

/**
 * `insightsLog(…, events)`, made once and kept in node_modules/.cache for as long
 * as what makes it is unchanged: the 260k log takes 12–14 minutes to make. Keyed by
 * the committed trees of src/ and this file; with either changed and not committed
 * (or outside git), it is made afresh every time, as before.
 */
export async function cachedInsightsLog(events: number): Promise<{
  file: string;
  events: number;
  docIds: string[];
  /** Whether it was made before, and read from the cache. */
  cached: boolean;
  /** Deletes the file unless it is kept in the cache. */
  done: () => Promise<void>;
}> {
  // FORKLINE_INSIGHTS_LOG: a log made before (its .jsonl, beside its .json), for
  // A/B runs of code that changed src/ (which makes the cached one stale).
  const given = process.env.FORKLINE_INSIGHTS_LOG?.replace(/\.jsonl?$/, '');
  if (given) {
    const made = JSON.parse(await readFile(`${given}.json`, 'utf8')) as {
      events: number;
      docIds: string[];
    };
    if (made.events !== events)
      throw new Error(
        `FORKLINE_INSIGHTS_LOG holds ${made.events} events, not ${events}`,
      );
    return {
      file: `${given}.jsonl`,
      ...made,
      cached: true,
      done: async () => undefined,
    };
  }
  const key = sourceKey();
  if (!key) {
    const dir = await mkdtemp(join(tmpdir(), 'forkline-insights-'));
    const made = await insightsLog(dir, events);
    return {
      ...made,
      cached: false,
      done: () => rm(dir, { recursive: true, force: true }),
    };
  }
  const kept = async () => undefined;
  const base = join(CACHE, `insights-${events}-${key}`);
  try {
    const made = JSON.parse(await readFile(`${base}.json`, 'utf8')) as {
      events: number;
      docIds: string[];
    };
    return { file: `${base}.jsonl`, ...made, cached: true, done: kept };
  } catch {
    // Not made yet (or unreadable): made now.
  }
  const dir = await mkdtemp(join(tmpdir(), 'forkline-insights-'));
  try {
    const made = await insightsLog(dir, events);
    await mkdir(CACHE, { recursive: true });
    await rename(made.file, `${base}.jsonl`).catch(async () => {
      // Another file system: copied by writing it again.
      await writeFile(`${base}.jsonl`, await readFile(made.file));
    });
    await writeFile(
      `${base}.json`,
      JSON.stringify({ events: made.events, docIds: made.docIds }),
    );
    return { ...made, file: `${base}.jsonl`, cached: false, done: kept };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The committed trees of src/ and this file, if neither has changes: else undefined. */
function sourceKey(): string | undefined {
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  try {
    const paths = ['src', 'bench/insights-log.ts'];
    if (git('status', '--porcelain', '--', ...paths) !== '') return undefined;
    return git('rev-parse', ...paths.map((p) => `HEAD:${p}`))
      .split('\n')
      .map((hash) => hash.slice(0, 10))
      .join('-');
  } catch {
    return undefined;
  }
}
