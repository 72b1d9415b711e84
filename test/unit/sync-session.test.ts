import { describe, expect, it } from 'vitest';
import { openLog, type Log } from '../../src/index.ts';
import type { SyncedLog } from '../../src/sync/sync-session.ts';
import { collect } from '../support/records.ts';
import { wireSessions } from '../support/sessions.ts';

/** A log with `count` events from each of `actors` writers named `name`-N. */
async function withWriters(
  name: string,
  actors: number,
  count: number,
): Promise<Log> {
  const log = await openLog({ actor: `${name}-holder` });
  for (let w = 0; w < actors; w++) {
    const writer = await openLog({ actor: `${name}-${w}` });
    for (let i = 0; i < count; i++)
      await writer.append(`doc/${w}`, { type: 't', data: i });
    await log.ingest(await collect(writer.since({})));
    await writer.close();
  }
  return log;
}

describe('a sync session', () => {
  it("acknowledges a batch with how far the batch's actors reached, reading no version vector", async () => {
    const relay = await withWriters('writer', 20, 3);
    const client = await openLog({ actor: 'client' });
    for (let i = 0; i < 4; i++)
      await client.append('doc/mine', { type: 't', data: i });
    let vectorReads = 0;
    const counted: SyncedLog = {
      since: (v) => relay.since(v),
      ingest: (events) => relay.ingest(events),
      versionVector: () => {
        vectorReads++;
        return relay.versionVector();
      },
    };
    // The client already holds everything the relay holds: only its events move.
    await client.ingest(await collect(relay.since({})));
    const link = wireSessions(
      counted,
      client,
      await relay.versionVector(),
      await client.versionVector(),
    );
    await link.run();
    const acks = link.sent.filter(
      (s) => s.from === 'a' && s.message.type === 'ack',
    );
    expect(acks.map((s) => s.message)).toEqual([
      { type: 'ack', id: 1, vector: { client: 4 } },
    ]);
    expect(vectorReads).toBe(0);
    await Promise.all([relay.close(), client.close()]);
  });

  it('is caught up on both sides once everything moved, with acks naming only their batches', async () => {
    const a = await withWriters('a-writer', 5, 4);
    const b = await withWriters('b-writer', 3, 2);
    for (let i = 0; i < 700; i++)
      await b.append('doc/long', { type: 't', data: i });
    const link = wireSessions(
      a,
      b,
      await a.versionVector(),
      await b.versionVector(),
    );
    await link.run();
    expect(await a.versionVector()).toEqual(await b.versionVector());
    expect(await Promise.all(link.sessions.map((s) => s.caughtUp()))).toEqual([
      true,
      true,
    ]);
    // Two batches from b (500 + the rest), one from a.
    expect(link.sent.filter((s) => s.message.type === 'events').length).toBe(3);
    await Promise.all([a.close(), b.close()]);
  });
});
