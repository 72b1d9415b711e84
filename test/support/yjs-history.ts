import * as Y from 'yjs';
import { expect } from 'vitest';
import type { LogEvent } from '../../src/index.ts';

/**
 * Yjs corrupts a document when one client id has two histories (DESIGN §6): the
 * events whose updates share a client id must form one causal chain. `events` must
 * be in a topological order (canonical order is).
 */
export function expectOneHistoryPerClientId(events: LogEvent[]): void {
  const ancestors = new Map<string, Set<string>>();
  for (const e of events) {
    const set = new Set<string>();
    for (const p of e.parents)
      [p, ...ancestors.get(p)!].forEach((x) => set.add(x));
    ancestors.set(e.id, set);
  }
  const lastByClient = new Map<number, LogEvent>();
  for (const e of events) {
    if (!(e.data instanceof Uint8Array)) continue;
    for (const client of new Set(
      Y.decodeUpdate(e.data).structs.map((s) => s.id.client),
    )) {
      const previous = lastByClient.get(client);
      if (previous)
        expect(
          ancestors.get(e.id)!.has(previous.id),
          `client ${client} has two histories`,
        ).toBe(true);
      lastByClient.set(client, e);
    }
  }
}
