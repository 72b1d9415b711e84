import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ImportError, openLog } from '../../src/index.ts';
import type { Log } from '../../src/index.ts';
import { assertProperty, propertyTimeout } from '../support/property.ts';
import { collect } from '../support/records.ts';

/** A test's time: its sample's in `npm test`; a fuzz run's, with FC_RUNS. */
const TIMEOUT = propertyTimeout(60_000);

/** A small log with forks, merges, bytes and several actors, exported once. */
async function exportedLog(): Promise<string[]> {
  const a = await openLog({ actor: 'device-a' });
  const b = await openLog({ actor: 'device-b' });
  const [root] = await a.append('doc/x', {
    type: 'doc.created',
    data: { title: 'x', list: [1, 'two', null] },
  });
  await b.ingest(await collect(a.since({})));
  await a.append('doc/x', [
    { type: 't', data: 'a1' },
    { type: 't', data: new Uint8Array([1, 2, 3]) },
  ]);
  await b.append(
    'doc/x',
    { type: 't', data: 'b1' },
    { expected: [root!.event.id] },
  );
  await b.append('doc/y', {
    type: 't',
    data: { nested: { deep: true } },
    author: 'Tab 2',
  });
  await a.ingest(await collect(b.since(await a.versionVector())));
  await a.append('doc/x', { type: 't', data: 'merge' });
  return (await collect(a.export())).map((l) => l.trimEnd());
}

type Mutation =
  | { kind: 'flip'; line: number; at: number; char: number }
  | { kind: 'drop'; line: number }
  | { kind: 'duplicate'; line: number }
  | { kind: 'swap'; line: number; other: number }
  | { kind: 'field'; line: number; field: string; value: unknown }
  | { kind: 'huge'; line: number; depth: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    line: fc.nat(),
    at: fc.nat(),
    char: fc.integer({ min: 32, max: 0x2fff }),
  }),
  fc.record({ kind: fc.constant('drop' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), line: fc.nat() }),
  fc.record({
    kind: fc.constant('swap' as const),
    line: fc.nat(),
    other: fc.nat(),
  }),
  fc.record({
    kind: fc.constant('field' as const),
    line: fc.nat(),
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
      'data',
    ),
    value: fc.oneof(
      fc.string(),
      fc.integer(),
      fc.constant(null),
      fc.constant('AAAAAAAAAAAAAAAAAAAAAA'),
      fc.constant('999'),
    ),
  }),
  fc.record({
    kind: fc.constant('huge' as const),
    line: fc.nat(),
    depth: fc.integer({ min: 60, max: 1000 }),
  }),
);

/** A line as an object, or undefined when an earlier mutation already broke its JSON. */
function parsed(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function apply(lines: string[], m: Mutation): string[] {
  const out = [...lines];
  const i = m.line % out.length;
  switch (m.kind) {
    case 'flip': {
      const l = out[i]!;
      const at = m.at % l.length;
      out[i] = l.slice(0, at) + String.fromCharCode(m.char) + l.slice(at + 1);
      break;
    }
    case 'drop':
      out.splice(i, 1);
      break;
    case 'duplicate':
      out.splice(i, 0, out[i]!);
      break;
    case 'swap': {
      const j = m.other % out.length;
      [out[i], out[j]] = [out[j]!, out[i]!];
      break;
    }
    case 'field': {
      const event = parsed(out[i]!);
      if (!event) break;
      event[m.field] = m.value;
      out[i] = JSON.stringify(event);
      break;
    }
    case 'huge': {
      const event = parsed(out[i]!);
      if (!event) break;
      event.data = JSON.parse('['.repeat(m.depth) + ']'.repeat(m.depth));
      delete event.data_base64;
      out[i] = JSON.stringify(event);
      break;
    }
  }
  return out;
}

async function snapshot(log: Log) {
  return {
    vector: await log.versionVector(),
    events: (await collect(log.since({}))).map((e) => e.id).sort(),
  };
}

describe('importing mutated exports', () => {
  it(
    'either refuses with a line and reason and changes nothing, or gives the original result',
    async () => {
      const original = await exportedLog();
      const reference = await openLog({ actor: 'reader' });
      await reference.import(original);
      const expected = await snapshot(reference);
      await assertProperty(
        fc.asyncProperty(
          fc.array(mutation, { minLength: 1, maxLength: 3 }),
          async (mutations) => {
            const mutated = mutations.reduce(apply, original);
            const log = await openLog({ actor: 'reader' });
            const before = await snapshot(log);
            let refused: unknown;
            try {
              await log.import(mutated);
            } catch (error) {
              refused = error;
            }
            if (refused) {
              expect(refused).toBeInstanceOf(ImportError);
              expect((refused as ImportError).line).toBeGreaterThanOrEqual(1);
              expect((refused as ImportError).line).toBeLessThanOrEqual(
                mutated.length,
              );
              expect(await snapshot(log)).toEqual(before);
            } else {
              // Accepted: no event can be invented (any change to content changes its id),
              // the log verifies, and reorderings or duplicates give exactly the original.
              // (Dropping a line no other depends on leaves a smaller, valid log.)
              const stored = await snapshot(log);
              expect(
                stored.events.every((id) => expected.events.includes(id)),
              ).toBe(true);
              expect((await log.verify()).ok).toBe(true);
              if (
                mutations.every(
                  (m) => m.kind === 'swap' || m.kind === 'duplicate',
                )
              ) {
                expect(stored).toEqual(expected);
              }
            }
          },
        ),
        300,
      );
    },
    TIMEOUT,
  );
});
