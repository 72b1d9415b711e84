import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openLog, type Log } from '../../src/index.ts';
import { collect } from '../support/records.ts';
import { raise, seqIn, vectorFrom } from '../../src/log/version-vector.ts';
import { wireSessions } from '../support/sessions.ts';
import { assertProperty } from '../support/property.ts';

// Actor ids are chosen by other replicas: names that are also members of
// Object.prototype must behave like any other name in every version vector.
const ACTORS = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
  'plain-actor',
];

/** Two sessions wired back to back, as a relay connection is, run until both are quiet. */
async function syncThroughSessions(a: Log, b: Log): Promise<void> {
  const [va, vb] = [await a.versionVector(), await b.versionVector()];
  await wireSessions(a, b, va, vb).run();
}

describe('actors named like Object.prototype members', () => {
  it('sync like any other actor: since, ingest and sessions converge', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.uniqueArray(fc.constantFrom(...ACTORS), {
          minLength: 2,
          maxLength: 4,
        }),
        fc.array(
          fc.record({
            writer: fc.nat(),
            peer: fc.nat(),
            count: fc.integer({ min: 0, max: 3 }),
            direct: fc.boolean(),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        async (actors, steps) => {
          const logs = await Promise.all(
            actors.map((actor) => openLog({ actor })),
          );
          for (const step of steps) {
            const writer = logs[step.writer % logs.length]!;
            const peer = logs[step.peer % logs.length]!;
            for (let i = 0; i < step.count; i++)
              await writer.append('doc/a', { type: 't', data: i });
            if (writer === peer) continue;
            if (step.direct)
              await peer.ingest(
                await collect(writer.since(await peer.versionVector())),
              );
            else await syncThroughSessions(writer, peer);
          }
          for (let i = 1; i < logs.length; i++)
            await syncThroughSessions(logs[0]!, logs[i]!);
          for (let i = 1; i < logs.length; i++)
            await syncThroughSessions(logs[0]!, logs[i]!);

          const expected = await logs[0]!.versionVector();
          for (const log of logs) {
            const vector = await log.versionVector();
            expect({ ...vector }).toEqual({ ...expected });
            expect(Object.getPrototypeOf(vector)).toBe(null);
            expect(await collect(log.since({}))).toHaveLength(
              Object.values(expected).reduce((sum, n) => sum + n, 0),
            );
            expect(await log.heads('doc/a')).toEqual(
              await logs[0]!.heads('doc/a'),
            );
          }
          await Promise.all(logs.map((log) => log.close()));
        },
      ),
      60,
    );
  });

  it('a peer vector parsed from JSON with such keys asks for exactly what it lacks', async () => {
    const log = await openLog({ actor: 'constructor' });
    await log.append('doc/a', [
      { type: 't', data: 1 },
      { type: 't', data: 2 },
    ]);
    const other = await openLog({ actor: '__proto__' });
    await other.ingest(await collect(log.since({})));
    await other.append('doc/a', { type: 't', data: 3 });
    const peer = JSON.parse('{"constructor": 1, "__proto__": 0}');
    const missing = await collect(other.since(peer));
    expect(missing.map((e) => [e.actor, e.seq])).toEqual([
      ['constructor', 2],
      ['__proto__', 1],
    ]);
  });

  it('read from a vector of the engine or one from elsewhere, each name is its own property or 0', () => {
    const own = vectorFrom(ACTORS.slice(0, 3).map((a, i) => [a, i + 1]));
    const parsed = JSON.parse(
      '{"__proto__": 1, "constructor": 2, "toString": 3, "odd": "4"}',
    ) as Record<string, number>;
    for (const actor of ACTORS) {
      const i = ACTORS.indexOf(actor);
      expect(seqIn(own, actor)).toBe(i < 3 ? i + 1 : 0);
      expect(seqIn(parsed, actor)).toBe(i < 3 ? i + 1 : 0);
    }
    // Not a number: covers nothing, rather than compare as text.
    expect(seqIn(parsed, 'odd')).toBe(0);
    // Only its own: a number it inherits is not in it.
    const heir = Object.create({ inherited: 7 }) as Record<string, number>;
    heir.mine = 2;
    expect([seqIn(heir, 'inherited'), seqIn(heir, 'mine')]).toEqual([0, 2]);
    const raised = vectorFrom([]);
    for (const actor of ACTORS) raise(raised, actor, 5);
    expect(ACTORS.map((a) => seqIn(raised, a))).toEqual(ACTORS.map(() => 5));
  });
});
