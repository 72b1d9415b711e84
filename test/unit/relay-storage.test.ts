// The relay's durability promise, tested on real files: under a real file-size limit
// (a relay process run with `ulimit -f`), on a file made immutable, and for the
// modes of what it creates.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openLog, type LogEvent } from '../../src/index.ts';
import { CLOSE, encodeMessage } from '../../src/sync/messages.ts';
import {
  connectToRelay,
  type SocketLike,
  type SyncState,
} from '../../src/sync/relay-client.ts';
import { openFileLog } from '../../server/file-log.ts';
import { StorageFailedError } from '../../server/relay-errors.ts';
import { removeRelayBundle, startChildRelay } from '../support/child-relay.ts';
import {
  helloFrame,
  openPeer,
  startRelayServer,
  type PeerReply,
} from '../support/relay-peer.ts';
import { collect } from '../support/records.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(removeRelayBundle);

function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'forkline-storage-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Ids of the events in a relay log file, which must end with a whole line. */
function idsInFile(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  expect(text === '' || text.endsWith('\n')).toBe(true);
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => (JSON.parse(line) as { id: string }).id);
}

/** A writer with `count` events of about 3 KB each, in one stream. */
async function writerWith(count: number) {
  const writer = await openLog({ actor: 'writer' });
  for (let i = 0; i < count; i++)
    await writer.append('doc/big', {
      type: 'test.filler',
      data: { i, text: 'x'.repeat(3000) },
    });
  return { writer, events: await collect(writer.since({})) };
}

/**
 * Sends `events` four at a time, each batch once the last is acknowledged, until
 * all are or the relay closes the connection. `holds` is what the sender says it
 * holds, so the relay has nothing to send it. Returns the acknowledged ids.
 */
async function sendBatches(
  url: string,
  logId: string,
  token: string,
  events: LogEvent[],
  holds: Record<string, number> = {},
) {
  const peer = await openPeer(url);
  peer.ws.send(helloFrame(logId, token, holds));
  const welcome = await peer.next();
  expect(welcome).toMatchObject({ message: { type: 'welcome' } });
  const acknowledged: string[] = [];
  let ending: PeerReply | undefined;
  for (let i = 0; i < events.length && !ending; i += 4) {
    const batch = events.slice(i, i + 4);
    peer.ws.send(encodeMessage({ type: 'events', id: i + 1, events: batch }));
    const reply = await peer.next();
    if ('closed' in reply) ending = reply;
    else {
      expect(reply.message).toMatchObject({ type: 'ack', id: i + 1 });
      acknowledged.push(...batch.map((e) => e.id));
    }
  }
  peer.ws.close();
  return {
    welcome: (welcome as { message: { vector: Record<string, number> } })
      .message.vector,
    acknowledged,
    ending,
  };
}

describe('a relay whose disk fills up', () => {
  it('acknowledges only what is on disk, cuts a failed write back, and after a restart loads every acknowledged event and takes the rest', async () => {
    const dataDir = scratchDir();
    const { writer, events } = await writerWith(40);
    // 64 KiB: about 18 of the 40 events fit, and the limit falls inside a batch.
    const limited = await startChildRelay(
      { dataDir },
      { fileSizeLimitKiB: 64 },
    );
    cleanups.push(() => limited.stop());
    const { logId, token } = await limited.createLog();
    const path = join(dataDir, `${logId}.jsonl`);

    const first = await sendBatches(limited.url, logId, token, events);
    expect(first.ending).toEqual({
      closed: CLOSE.storageFailed,
      reason: 'relay storage failed, retry later',
    });
    expect(first.acknowledged.length).toBeGreaterThan(8);
    expect(first.acknowledged.length).toBeLessThan(events.length);
    // Cut back to the last acknowledged batch: no fragment for the next write to follow.
    expect(idsInFile(path)).toEqual(first.acknowledged);

    // A retry while the disk is still full fails the same way and harms nothing.
    const rest = events.slice(first.acknowledged.length);
    const retry = await sendBatches(limited.url, logId, token, rest, {
      writer: first.acknowledged.length,
    });
    expect(retry.welcome).toEqual({ writer: first.acknowledged.length });
    expect(retry.ending).toMatchObject({ closed: CLOSE.storageFailed });
    expect(retry.acknowledged).toEqual([]);
    expect(idsInFile(path)).toEqual(first.acknowledged);
    expect(limited.said.join('\n')).toMatch(/File too large|EFBIG/);
    await limited.stop();

    // Restarted with room: every acknowledged event is there, and the client's retry succeeds.
    const restarted = await startRelayServer({ dataDir });
    cleanups.push(() => restarted.stop());
    const states: SyncState[] = [];
    const client = connectToRelay(writer, {
      url: restarted.url,
      logId,
      token,
      createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
      onState: (s) => states.push(s),
    });
    cleanups.push(() => client.close());
    await expect
      .poll(() => states.at(-1)?.kind, { timeout: 20_000 })
      .toBe('synced');
    await restarted.stop();
    const file = await openFileLog(path, () => undefined);
    expect(await file.log.versionVector()).toEqual({ writer: 40 });
    expect((await file.log.verify()).ok).toBe(true);
    await file.close();
  }, 60_000);
});

/** chattr +i needs root and a file system that keeps the flag (ext4, xfs…): probed once. */
function canMakeImmutable(): boolean {
  const probe = join(tmpdir(), `forkline-chattr-${process.pid}`);
  try {
    execFileSync('touch', [probe]);
    execFileSync('chattr', ['+i', probe], { stdio: 'ignore' });
    execFileSync('chattr', ['-i', probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { force: true });
  }
}

describe('a relay log whose failed write cannot be undone', () => {
  it.skipIf(!canMakeImmutable())(
    'refuses every later write until it is reopened, and then holds every acknowledged event',
    async () => {
      const dir = scratchDir();
      const path = join(dir, 'log.jsonl');
      const { events } = await writerWith(3);
      const file = await openFileLog(path, () => undefined);
      await file.log.ingest(events.slice(0, 1));
      // Immutable: the write fails (EPERM), and so does cutting the file back.
      execFileSync('chattr', ['+i', path]);
      cleanups.push(() => void execFileSync('chattr', ['-i', path]));
      const failed = await file.log.ingest(events.slice(1, 2)).catch((e) => e);
      expect(failed).toBeInstanceOf(StorageFailedError);
      expect(failed).toMatchObject({
        code: 'STORAGE_FAILED',
        recovered: false,
      });
      expect(file.broken).toBe(true);
      execFileSync('chattr', ['-i', path]);
      // Writable again, but this open log no longer trusts its file.
      const refused = await file.log.ingest(events.slice(1, 2)).catch((e) => e);
      expect(refused).toMatchObject({
        code: 'STORAGE_FAILED',
        recovered: false,
      });
      expect(await file.log.versionVector()).toEqual({ writer: 1 });
      await file.close();

      const reopened = await openFileLog(path, () => undefined);
      expect(await reopened.log.versionVector()).toEqual({ writer: 1 });
      await reopened.log.ingest(events.slice(1));
      expect(await reopened.log.versionVector()).toEqual({ writer: 3 });
      await reopened.close();
    },
  );
});

describe('a relay whose log file cannot be cut back', () => {
  it.skipIf(!canMakeImmutable())(
    'ends every session of the log with 4005, drops it, and on the next hello reloads it with every acknowledged event',
    async () => {
      const dataDir = scratchDir();
      const { relay, url, stop } = await startRelayServer({ dataDir });
      cleanups.push(stop);
      const { logId, token } = await relay.createLog();
      const path = join(dataDir, `${logId}.jsonl`);
      const { events } = await writerWith(8);
      const bystander = await openPeer(url);
      bystander.ws.send(helloFrame(logId, token));
      expect(await bystander.next()).toMatchObject({
        message: { type: 'welcome' },
      });
      const first = await sendBatches(url, logId, token, events.slice(0, 4));
      expect(first.acknowledged).toHaveLength(4);

      execFileSync('chattr', ['+i', path]);
      cleanups.push(() => void execFileSync('chattr', ['-i', path]));
      const failed = await sendBatches(url, logId, token, events.slice(4), {
        writer: 4,
      });
      expect(failed.ending).toEqual({
        closed: CLOSE.storageFailed,
        reason: 'relay storage failed, retry later',
      });
      expect(await bystander.closed).toEqual({
        closed: CLOSE.storageFailed,
        reason: 'relay storage failed, retry later',
      });
      await expect.poll(() => relay.stats().openLogs).toBe(0);

      execFileSync('chattr', ['-i', path]);
      const retry = await sendBatches(url, logId, token, events.slice(4), {
        writer: 4,
      });
      expect(retry.welcome).toEqual({ writer: 4 });
      expect(retry.acknowledged).toHaveLength(4);
      expect(idsInFile(path)).toEqual(events.map((e) => e.id));
    },
  );
});

describe('the files a relay creates', () => {
  it('makes its data directory 0700 and each log 0600, before createLog resolves', async () => {
    const dataDir = join(scratchDir(), 'nested', 'data');
    const { relay, stop } = await startRelayServer({ dataDir });
    cleanups.push(stop);
    const { logId } = await relay.createLog();
    const mode = (p: string) => statSync(p).mode & 0o777;
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(join(dataDir, `${logId}.meta.json`))).toBe(0o600);
    expect(mode(join(dataDir, `${logId}.jsonl`))).toBe(0o600);
  });
});
