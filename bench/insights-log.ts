import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import {
  openDocument,
  openLog,
  type DocumentHandle,
  type Log,
} from '../src/index.ts';
import { seededRandom } from './seeded-random.ts';

export const AUTHORS = ['Ada', 'Bo', 'Cy', 'Di', 'Ed'];
export const DOCUMENTS = 50;
/** Every replica takes in the others' events after this many edits: most edits are sequential. */
const SYNC_EVERY = 40;
const WORDS = ['log ', 'fold ', 'event ', 'head ', 'fork ', 'merge ', 'state '];

async function syncInto(to: Log, from: Log): Promise<void> {
  const missing = [];
  for await (const e of from.since(await to.versionVector())) missing.push(e);
  if (missing.length > 0) await to.ingest(missing);
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
  const lengths = new Map<string, number>();
  for (const [d, id] of docIds.entries()) {
    await handles[0]![d]!.setField('title', `Document ${d + 1}`);
    lengths.set(id, 0);
  }
  for (const log of logs.slice(1)) await syncInto(log, logs[0]!);
  let written = DOCUMENTS;
  while (written < events) {
    const a = random.int(0, AUTHORS.length - 1);
    // Busy documents: the first few take most of the edits.
    const d = Math.min(
      DOCUMENTS - 1,
      Math.floor(DOCUMENTS * random.next() ** 3),
    );
    const doc = handles[a]![d]!;
    const { text } = await doc.summary();
    if (random.chance(0.01))
      await doc.setField('title', `Document ${d + 1} by ${AUTHORS[a]}`);
    else if (text.length > 10 && random.chance(0.15))
      await doc.editText(text.length - 3, 3, '');
    else await doc.editText(text.length, 0, random.pick(WORDS));
    written++;
    if (written % SYNC_EVERY === 0)
      for (const to of logs)
        for (const from of logs) if (to !== from) await syncInto(to, from);
  }
  for (const to of logs)
    for (const from of logs) if (to !== from) await syncInto(to, from);
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
