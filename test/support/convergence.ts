import fc from 'fast-check';
import type { EventId, LogEvent } from '../../src/index.ts';

// The random replica workload shared by the convergence properties (memory store in
// Node and Chromium, IndexedDB workers in Chromium).

export const STREAMS = ['doc/a', 'doc/b', 'ledger/c'];

export type Command =
  | {
      kind: 'append';
      replica: number;
      stream: number;
      staleness: number;
      batch: number;
    }
  | {
      kind: 'sync';
      from: number;
      to: number;
      prefix: number;
      shuffle: number[];
    }
  | { kind: 'resend'; from: number; to: number };

export const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      replica: fc.nat(),
      stream: fc.nat(),
      staleness: fc.nat(4),
      batch: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('sync' as const),
      from: fc.nat(),
      to: fc.nat(),
      prefix: fc.double({ min: 0, max: 1, noNaN: true }),
      shuffle: fc.array(fc.nat(), { maxLength: 8 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('resend' as const),
      from: fc.nat(),
      to: fc.nat(),
    }),
  },
);

/** Ancestors (inclusive) by plain recursion over every stored event: the oracle. */
export function ancestorsBruteForce(
  events: Map<EventId, LogEvent>,
  tips: EventId[],
): Set<EventId> {
  const out = new Set<EventId>();
  const visit = (id: EventId) => {
    if (out.has(id)) return;
    out.add(id);
    for (const parent of events.get(id)!.parents) visit(parent);
  };
  tips.forEach(visit);
  return out;
}

export function permute<T>(items: T[], seeds: number[]): T[] {
  const out = [...items];
  seeds.forEach((s, i) => {
    if (out.length < 2) return;
    const a = i % out.length;
    const b = s % out.length;
    [out[a], out[b]] = [out[b]!, out[a]!];
  });
  return out;
}
