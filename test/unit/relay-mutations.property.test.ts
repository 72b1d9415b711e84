// A mutation fuzzer for the sync protocol at the relay: frames recorded from a real
// session are mutated and sent to a real relay, with a bystander client of the same
// log connected throughout.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openLog, type LogEvent } from '../../src/index.ts';
import { CLOSE, encodeMessage, PROTOCOL } from '../../src/sync/messages.ts';
import { SyncSession } from '../../src/sync/sync-session.ts';
import { createRelay, type Relay } from '../../server/relay.ts';
import { assertProperty, propertyTimeout } from '../support/property.ts';
import { collect } from '../support/records.ts';

/** A test's time: its sample's in `npm test`; a fuzz run's, with FC_RUNS. */
const TIMEOUT = propertyTimeout(600_000);

let relay: Relay;
let server: Server;
let url: string;
let dataDir: string;
/** The events frames a real client sent, in order, and every event in them. */
let sessionFrames: string[];
let originals: Map<string, LogEvent>;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'forkline-relay-fuzz-'));
  relay = await createRelay({ dataDir, say: () => undefined });
  server = createServer();
  relay.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `ws://127.0.0.1:${(server.address() as { port: number }).port}/sync`;
  ({ frames: sessionFrames, events: originals } = await recordSession());
});
afterAll(async () => {
  await relay.close();
  server.closeAllConnections();
  server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/**
 * A client's side of a real session: three pushes of a log with two actors, a fork,
 * bytes and several streams, as SyncSession frames them.
 */
async function recordSession() {
  const a = await openLog({ actor: 'device-a' });
  const b = await openLog({ actor: 'device-b' });
  const frames: string[] = [];
  const session = new SyncSession(
    a,
    { send: (text) => frames.push(text), close: () => undefined },
    {},
  );
  const [root] = await a.append('doc/x', {
    type: 'doc.created',
    data: { title: 'x', list: [1, 'two', null] },
  });
  await a.append('doc/x', { type: 't', data: new Uint8Array([1, 2, 3]) });
  await session.push();
  await b.ingest(await collect(a.since({})));
  await b.append(
    'doc/x',
    [
      { type: 't', data: 'b1' },
      { type: 't', data: { nested: { deep: true } }, author: 'Tab 2' },
    ],
    { expected: [root!.event.id] },
  );
  await a.append('doc/y', { type: 't', data: 'a-y' });
  await a.ingest(await collect(b.since(await a.versionVector())));
  await session.push();
  await a.append('doc/x', { type: 't', data: 'merge' });
  await session.push();
  const events = new Map(
    (await collect(a.since({}))).map((e) => [e.id, e] as const),
  );
  return { frames, events };
}

type Mutation =
  | { kind: 'flip'; at: number; char: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'field'; field: string; value: unknown }
  | { kind: 'event-field'; event: number; field: string; value: unknown }
  | { kind: 'drop-event'; event: number }
  | { kind: 'swap-events'; event: number; other: number }
  | { kind: 'duplicate-event'; event: number }
  | { kind: 'nest'; event: number; depth: number }
  | { kind: 'pad'; bytes: number }
  | { kind: 'binary' };

const oddValue = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.constantFrom(
    null,
    -1,
    0,
    2,
    1.5,
    2 ** 53,
    '1',
    '',
    [],
    {},
    'AAAAAAAAAAAAAAAAAAAAAA',
    { __proto__: null, constructor: 1 },
  ),
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    char: fc.integer({ min: 0, max: 0x2fff }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('field' as const),
    field: fc.constantFrom(
      'type',
      'id',
      'events',
      'protocol',
      'log',
      'token',
      'vector',
    ),
    value: fc.oneof(
      oddValue,
      fc.constantFrom('hello', 'welcome', 'ack', 'events'),
      fc.constant({ 'device-a': -1 }),
      fc.constant({ 'device-a': 99 }),
    ),
  }),
  fc.record({
    kind: fc.constant('event-field' as const),
    event: fc.nat(),
    field: fc.constantFrom(
      'id',
      'parents',
      'seq',
      'hlc',
      'type',
      'subject',
      'actor',
      'time',
      'specversion',
      'source',
      'data',
      'data_base64',
      'author',
    ),
    value: oddValue,
  }),
  fc.record({ kind: fc.constant('drop-event' as const), event: fc.nat() }),
  fc.record({
    kind: fc.constant('swap-events' as const),
    event: fc.nat(),
    other: fc.nat(),
  }),
  fc.record({ kind: fc.constant('duplicate-event' as const), event: fc.nat() }),
  fc.record({
    kind: fc.constant('nest' as const),
    event: fc.nat(),
    depth: fc.integer({ min: 50, max: 5000 }),
  }),
  fc.record({
    kind: fc.constant('pad' as const),
    bytes: fc.constantFrom(1000, 100_000, 5 * 1024 * 1024),
  }),
  fc.record({ kind: fc.constant('binary' as const) }),
);

/** Mutations that keep every event and only reorder or repeat them: harmless. */
const harmless = (m: Mutation) =>
  m.kind === 'swap-events' || m.kind === 'duplicate-event';

function parsed(frame: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(frame);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const NESTED = 'nested-data-goes-here';

/**
 * Structural edits first, then deep nesting, then edits of the text, then binary:
 * a frame nested thousands deep is never parsed and re-serialised by the test.
 */
function inApplyOrder(mutations: Mutation[]): Mutation[] {
  const rank = (m: Mutation) =>
    m.kind === 'binary'
      ? 3
      : m.kind === 'flip' || m.kind === 'truncate'
        ? 2
        : m.kind === 'nest'
          ? 1
          : 0;
  return [...mutations].sort((a, b) => rank(a) - rank(b));
}

/** Applies `m`; a structural mutation of a frame an earlier one broke leaves it as is. */
function mutate(frame: string | Buffer, m: Mutation): string | Buffer {
  if (typeof frame !== 'string') return frame;
  if (m.kind === 'binary') return Buffer.from(frame);
  if (m.kind === 'flip') {
    const at = m.at % frame.length;
    return (
      frame.slice(0, at) + String.fromCharCode(m.char) + frame.slice(at + 1)
    );
  }
  if (m.kind === 'truncate') return frame.slice(0, m.at % frame.length);
  if (m.kind === 'nest' && frame.includes('[[[[')) return frame; // nested once already
  const message = parsed(frame);
  if (!message) return frame;
  const events = Array.isArray(message.events)
    ? (message.events as Record<string, unknown>[])
    : undefined;
  const pick = (i: number) =>
    events && events.length > 0 ? i % events.length : undefined;
  switch (m.kind) {
    case 'field':
      message[m.field] = m.value;
      break;
    case 'pad':
      message.pad = 'x'.repeat(m.bytes);
      break;
    case 'event-field': {
      const i = pick(m.event);
      if (i !== undefined && typeof events![i] === 'object' && events![i])
        events![i]![m.field] = m.value;
      break;
    }
    case 'drop-event': {
      const i = pick(m.event);
      if (i !== undefined) events!.splice(i, 1);
      break;
    }
    case 'duplicate-event': {
      const i = pick(m.event);
      if (i !== undefined) events!.splice(i, 0, events![i]!);
      break;
    }
    case 'swap-events': {
      const i = pick(m.event);
      const j = pick(m.other);
      if (i !== undefined && j !== undefined)
        [events![i], events![j]] = [events![j]!, events![i]!];
      break;
    }
    case 'nest': {
      const i = pick(m.event);
      if (i !== undefined && typeof events![i] === 'object' && events![i]) {
        events![i]!.data = NESTED;
        delete events![i]!.data_base64;
        // Spliced in as text: JSON.stringify itself recurses too deep for these.
        return JSON.stringify(message).replace(
          JSON.stringify(NESTED),
          '['.repeat(m.depth) + ']'.repeat(m.depth),
        );
      }
      break;
    }
  }
  return JSON.stringify(message);
}

interface Connection {
  ws: WebSocket;
  /** Resolves with the next message, or with how the connection closed. */
  next(): Promise<
    { message: Record<string, unknown> } | { closed: number; reason: string }
  >;
}

function connect(): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const inbox: (
      { message: Record<string, unknown> } | { closed: number; reason: string }
    )[] = [];
    let waiting: (() => void) | undefined;
    const put = (item: (typeof inbox)[number]) => {
      inbox.push(item);
      waiting?.();
    };
    ws.on('message', (data) => put({ message: JSON.parse(String(data)) }));
    ws.on('close', (code, reason) =>
      put({ closed: code, reason: String(reason) }),
    );
    ws.on('error', () => undefined);
    ws.on('open', () =>
      resolve({
        ws,
        async next() {
          while (inbox.length === 0)
            await new Promise<void>((r) => (waiting = r));
          // A close stays at the head: every later read sees it too.
          return 'closed' in inbox[0]! ? inbox[0]! : inbox.shift()!;
        },
      }),
    );
    ws.on('unexpected-response', () => reject(new Error('no upgrade')));
  });
}

const hello = (logId: string, token: string) =>
  encodeMessage({
    type: 'hello',
    protocol: PROTOCOL,
    log: logId,
    token,
    vector: {},
  });

/** Reads the relay's file for `logId` the way an import does: every line verified. */
async function relayFile(logId: string) {
  const lines = readFileSync(join(dataDir, `${logId}.jsonl`), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
  const log = await openLog({ actor: 'auditor' });
  await log.import(lines);
  expect((await log.verify()).ok).toBe(true);
  return new Set((await collect(log.since({}))).map((e) => e.id));
}

const REFUSALS: number[] = [
  CLOSE.badMessage,
  CLOSE.invalidEvents,
  CLOSE.tooBig,
  CLOSE.unauthorized,
  CLOSE.unknownLog,
];

describe('the relay receiving mutated sync messages', () => {
  it(
    'refuses each with a close code and reason and stores none of it, or accepts it with only original events; the bystander is unaffected',
    async () => {
      const tally = new Map<string, number>();
      await assertProperty(
        fc.asyncProperty(
          // 0 is the hello; 1.. the events frames, sent in order up to the mutated one.
          fc.nat(),
          fc.array(mutation, { minLength: 1, maxLength: 3 }),
          async (target, mutations) => {
            const { logId, token } = await relay.createLog();
            const index = target % (sessionFrames.length + 1);
            const bystander = await connect();
            bystander.ws.send(hello(logId, token));
            expect(await bystander.next()).toMatchObject({
              message: { type: 'welcome' },
            });
            const received = new Set<string>();
            const vector: Record<string, number> = {};
            bystander.ws.on('message', (data) => {
              const m = JSON.parse(String(data)) as {
                type: string;
                id: number;
                events: { id: string; actor: string; seq: string }[];
              };
              if (m.type !== 'events') return;
              for (const e of m.events) {
                received.add(e.id);
                vector[e.actor] = Math.max(vector[e.actor] ?? 0, Number(e.seq));
              }
              bystander.ws.send(
                encodeMessage({ type: 'ack', id: m.id, vector: { ...vector } }),
              );
            });

            const attacker = await connect();
            const stored = new Set<string>();
            let outcome: 'accepted' | { closed: number; reason: string } =
              'accepted';
            const frames = [
              hello(logId, token),
              ...sessionFrames.slice(0, index),
            ];
            const mutated = inApplyOrder(mutations).reduce<string | Buffer>(
              mutate,
              index === 0 ? frames[0]! : sessionFrames[index - 1]!,
            );
            for (const [i, original] of frames.entries()) {
              const last = i === index;
              const frame = last ? mutated : original;
              attacker.ws.send(frame);
              const reply = await attacker.next();
              if ('closed' in reply) {
                expect(last).toBe(true); // only the mutated frame may be refused
                outcome = reply;
                break;
              }
              expect(reply.message.type).toBe(i === 0 ? 'welcome' : 'ack');
              // Events a frame carried, as sent: stored once it is acknowledged.
              const events = (
                typeof frame === 'string' ? parsed(frame) : undefined
              )?.events;
              if (i > 0 && Array.isArray(events))
                for (const e of events as { id?: unknown }[])
                  if (typeof e?.id === 'string') stored.add(e.id);
            }

            const label =
              outcome === 'accepted' ? 'accepted' : `closed ${outcome.closed}`;
            tally.set(label, (tally.get(label) ?? 0) + 1);
            if (outcome !== 'accepted') {
              expect(REFUSALS).toContain(outcome.closed);
              if (outcome.closed !== CLOSE.tooBig)
                expect(outcome.reason.length).toBeGreaterThan(0);
              expect(mutations.every(harmless)).toBe(false);
            } else {
              attacker.ws.close();
            }
            // Nothing invented: every stored event is an original, and a refused frame left nothing.
            const inFile = await relayFile(logId);
            for (const id of inFile) expect(originals.has(id)).toBe(true);
            const accepted = new Set(
              [...stored].filter((id) => originals.has(id)),
            );
            expect(inFile).toEqual(accepted);
            // The bystander got exactly what was stored, and is still connected.
            await expect
              .poll(() => received.size, { timeout: 5000, interval: 5 })
              .toBe(inFile.size);
            expect(received).toEqual(inFile);
            expect(bystander.ws.readyState).toBe(WebSocket.OPEN);
            bystander.ws.close();
          },
        ),
        300,
      );
      console.info(
        `relay mutation outcomes: ${[...tally].map(([k, n]) => `${k}: ${n}`).join(', ')}`,
      );
    },
    TIMEOUT,
  );
});
