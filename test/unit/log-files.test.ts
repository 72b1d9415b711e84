import { describe, expect, it } from 'vitest';
import { ImportError, openLog } from '../../src/index.ts';
import { MAX_LINE_LENGTH } from '../../src/log/jsonl.ts';
import { importFromFile } from '../../worker/log-files.ts';
import { collect } from '../support/records.ts';

/** An export of three events, as the bytes of a file. */
async function exported(): Promise<Uint8Array> {
  const log = await openLog({ actor: 'writer' });
  for (const text of ['café', 'naïve', 'piñata'])
    await log.append('doc/a', { type: 'note', data: { text } });
  return new TextEncoder().encode((await collect(log.export())).join(''));
}

describe('importing a file', () => {
  it('imports a UTF-8 export whole, its characters cut across reads anywhere', async () => {
    const bytes = await exported();
    // A Blob of one-byte parts: every multi-byte character split between reads.
    const file = new Blob([...bytes].map((b) => new Uint8Array([b])));
    const log = await openLog({ actor: 'reader' });
    const result = await importFromFile(log, file, () => undefined);
    expect(result).toMatchObject({ lines: 3, stored: 3 });
  });

  it('refuses bytes that are no UTF-8, naming their line, and stores nothing', async () => {
    const bytes = await exported();
    // "naïve" in Latin-1: ï as the single byte 0xEF, as a file saved in another
    // encoding holds it.
    const second = bytes.indexOf(0x0a) + 1;
    const at = bytes.indexOf(0xc3, second);
    const latin1 = new Uint8Array([
      ...bytes.subarray(0, at),
      0xef,
      ...bytes.subarray(at + 2),
    ]);
    const log = await openLog({ actor: 'reader' });
    const error = await importFromFile(
      log,
      new Blob([latin1]),
      () => undefined,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportError);
    expect(error).toMatchObject({ line: 2 });
    expect((error as Error).message).toMatch(/not UTF-8 text/);
    expect(await log.versionVector()).toEqual({});
  });

  it('refuses a line past any event’s length as soon as it has read that much, naming it, and stores nothing', async () => {
    const bytes = await exported();
    // A fourth line of 40 MiB, in 1 MiB parts: refused once 3 × the limit is read.
    const part = new Uint8Array(1 << 20).fill(0x78);
    const file = new Blob([
      new Uint8Array(bytes),
      ...Array.from({ length: 40 }, () => part),
    ]);
    let read = 0;
    const log = await openLog({ actor: 'reader' });
    const error = await importFromFile(log, file, (p) => {
      if (p.phase === 'reading') read = p.done;
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportError);
    expect(error).toMatchObject({ line: 4 });
    expect((error as Error).message).toMatch(
      /longer than 25,165,824 bytes; a line holds at most 8,388,608 characters/,
    );
    expect(read).toBeLessThan(3 * MAX_LINE_LENGTH + (2 << 20));
    expect(await log.versionVector()).toEqual({});
  });
});
