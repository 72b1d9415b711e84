import fc from 'fast-check';
import type { AppendResult, EventId, Log, LogEvent } from '../../src/index.ts';
import { collect } from './records.ts';

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

export interface WorkloadHooks {
  /** After an append: what the writer's stream held before it, and what it stored. */
  appended?(
    results: AppendResult[],
    expected: EventId[],
    before: Map<EventId, LogEvent>,
  ): void | Promise<void>;
  /** After a sync or resend delivered into `to`. */
  synced?(to: Log): void | Promise<void>;
}

/**
 * Runs the random workload on in-memory replicas: appends against each replica's
 * stale views of its streams, partial and shuffled syncs, and resends.
 */
export async function runCommands(
  logs: Log[],
  commands: Command[],
  hooks: WorkloadHooks = {},
): Promise<void> {
  const n = logs.length;
  // Heads each replica has observed per stream, oldest first: the stale views writers use.
  const views = logs.map(() => STREAMS.map(() => [[]] as EventId[][]));
  let counter = 0;
  for (const c of commands) {
    if (c.kind === 'append') {
      const log = logs[c.replica % n]!;
      const s = c.stream % STREAMS.length;
      const stream = STREAMS[s]!;
      const seen = views[c.replica % n]![s]!;
      const expected = seen[Math.max(0, seen.length - 1 - c.staleness)]!;
      const before = hooks.appended
        ? new Map((await collect(log.read(stream))).map((e) => [e.id, e]))
        : new Map<EventId, LogEvent>();
      const results = await log.append(
        stream,
        Array.from({ length: c.batch }, () => ({
          type: 'test.appended',
          data: { n: counter++ },
        })),
        { expected },
      );
      await hooks.appended?.(results, expected, before);
      seen.push(await log.heads(stream));
    } else {
      const to = logs[c.to % n]!;
      const missing = await collect(
        logs[c.from % n]!.since(await to.versionVector()),
      );
      await to.ingest(
        c.kind === 'sync'
          ? permute(
              missing.slice(0, Math.ceil(missing.length * c.prefix)),
              c.shuffle,
            )
          : [...missing, ...missing],
      );
      for (let s = 0; s < STREAMS.length; s++)
        views[c.to % n]![s]!.push(await to.heads(STREAMS[s]!));
      await hooks.synced?.(to);
    }
  }
}

/** Everything everywhere: two passes round a ring reach every replica with everything. */
export async function syncAll(logs: Log[]): Promise<void> {
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < logs.length; i++) {
      const from = logs[i]!;
      const to = logs[(i + 1) % logs.length]!;
      await to.ingest(await collect(from.since(await to.versionVector())));
    }
  }
}
