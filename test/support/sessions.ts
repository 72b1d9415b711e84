import { expect } from 'vitest';
import type { VersionVector } from '../../src/index.ts';
import { decodeMessage, type SyncMessage } from '../../src/sync/messages.ts';
import { SyncSession, type SyncedLog } from '../../src/sync/sync-session.ts';

/** Two sessions back to back, with every message either sends kept in order. */
export function wireSessions(
  a: SyncedLog,
  b: SyncedLog,
  va: VersionVector,
  vb: VersionVector,
) {
  const pending = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  const sent: { from: 'a' | 'b'; message: SyncMessage }[] = [];
  const closed: string[] = [];
  const sessions: SyncSession[] = [];
  const wire = (from: 'a' | 'b', to: () => SyncSession) => ({
    send: (text: string) => {
      sent.push({ from, message: decodeMessage(text) });
      track(to().receive(text));
    },
    close: (code: number, reason: string) => closed.push(`${code} ${reason}`),
  });
  sessions.push(
    new SyncSession(
      a,
      wire('a', () => sessions[1]!),
      vb,
    ),
  );
  sessions.push(
    new SyncSession(
      b,
      wire('b', () => sessions[0]!),
      va,
    ),
  );
  return {
    sessions,
    sent,
    async run() {
      track(sessions[0]!.push());
      track(sessions[1]!.push());
      while (pending.size > 0) await Promise.all([...pending]);
      expect(closed).toEqual([]);
    },
  };
}
