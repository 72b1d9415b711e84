// A token holder writing under another writer's Yjs client id (QA pass 11): one
// event, dated just after its parent so that it sorts before the victim's next
// edit, took the clocks the victim then typed at; folded in canonical order the
// victim's synced text vanished and the rest scrambled, on every reload.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  memoryStore,
  openDocument,
  streamOfDoc,
  TEXT_EDITED,
  type Log,
} from '../../src/index.ts';
import { openLogOn } from '../../src/log/log.ts';
import { loadDocument } from '../../src/doc/document-snapshots.ts';
import { ClientClaims } from '../../src/doc/client-claims.ts';
import { syncAll } from '../support/convergence.ts';
import { collect } from '../support/records.ts';
import { clientsOf, forgedUnder } from '../support/forgery.ts';

const STREAM = streamOfDoc('collide');

/** The document's text as `log` folds it, opened anew. */
const textOn = async (log: Log) =>
  (await (await openDocument(log, 'collide')).view()).text;

/**
 * How the forger writes under the victim's client id: its Yjs state built on the
 * victim's "hello" and the update of its own insertion ('built on'); the same with
 * the whole state, the victim's structs copied in from clock 0 ('copied'); or from
 * an empty state, concurrently with "hello" (its parents), beginning the id's
 * history itself ('concurrent').
 */
type Forgery = 'built on' | 'copied' | 'concurrent';

async function attack(how: Forgery = 'built on') {
  let victimTime = Date.UTC(2026, 11, 6, 9);
  const victimStore = memoryStore();
  const victim = await openLogOn(victimStore, {
    actor: 'victim',
    now: () => victimTime,
  });
  // The attacker's clock behind: its event sorts just past its parents.
  const attacker = await openLogOn(memoryStore(), {
    actor: 'mallory',
    now: () => Date.UTC(2026, 11, 6, 8, 40),
  });
  const doc = await openDocument(victim, 'collide', { author: 'Vi' });
  const hello = (await doc.editText(0, 0, 'hello')).event;
  await syncAll([victim, attacker]);
  // The victim goes on typing, a second later, under the same client id.
  victimTime += 1000;
  const world = (await doc.editText(5, 0, ' world')).event;
  const [client] = clientsOf(hello);
  expect(clientsOf(world)).toEqual(new Set([client]));

  const empty = Y.encodeStateAsUpdate(new Y.Doc());
  const base = how === 'concurrent' ? empty : (hello.data as Uint8Array);
  let update = forgedUnder(client!, base, 0, 'EVIL ');
  if (how === 'copied') {
    const whole = new Y.Doc();
    Y.applyUpdate(whole, base);
    Y.applyUpdate(whole, update);
    update = Y.encodeStateAsUpdate(whole);
  }
  // Concurrently: written by a replica of the forger's that holds nothing, so
  // that its clock dates the event before "hello" (a hand-made event may carry any
  // past time).
  const writer =
    how === 'concurrent'
      ? await openLogOn(memoryStore(), {
          actor: 'mallory',
          now: () => Date.UTC(2026, 11, 6, 8, 40),
        })
      : attacker;
  const forgery = (
    await writer.append(
      STREAM,
      { type: TEXT_EDITED, data: update },
      how === 'concurrent' ? {} : { expected: [hello.id] },
    )
  )[0]!.event;
  if (writer !== attacker) {
    await attacker.ingest(await collect(writer.since({})));
    await writer.close();
  }
  await syncAll([victim, attacker]);
  victimTime += 1000;
  await doc.editText(11, 0, ' more');
  const all = await collect(victim.read(STREAM));
  return { victim, victimStore, attacker, forgery, world, all };
}

describe("a writer's Yjs client id", () => {
  for (const how of ['built on', 'copied'] as const)
    it(`is not gone on with by another writer's event (${how}): the fold keeps the owner's text, from the first event or a snapshot`, async () => {
      const { victim, victimStore, attacker, forgery, world, all } =
        await attack(how);
      // The forgery sorts before the victim's " world", as the attack needs.
      expect(all.map((e) => e.id).indexOf(forgery.id)).toBeLessThan(
        all.map((e) => e.id).indexOf(world.id),
      );
      for (const every of [Infinity, 1]) {
        const ignored: Error[] = [];
        const loaded = await loadDocument(victimStore, STREAM, {
          text: true,
          every,
          onIgnoredError: (e) => ignored.push(e as Error),
        });
        expect(loaded.plain).toBe('hello world more');
        expect(ignored.map((e) => e.message)).toEqual([
          expect.stringMatching(
            new RegExp(
              `^event ${forgery.id}: its text goes on with Yjs client \\d+'s history, which victim's events began`,
            ),
          ),
        ]);
      }
      // Opened again from the snapshot saved above: the same.
      expect(await textOn(victim)).toBe('hello world more');
      // And on the attacker's replica, once it holds everything too.
      await syncAll([victim, attacker]);
      expect(await textOn(attacker)).toBe('hello world more');
      await victim.close();
      await attacker.close();
    });

  it("is begun by both when another writer begins it concurrently: the owner's later text stays, colliding only where both wrote (QA pass 12)", async () => {
    const { victim, attacker, forgery, all } = await attack('concurrent');
    // Dated before it, the forgery sorts first: an owner-only rule gave it the id,
    // and the victim's text vanished whole.
    expect(all[0]!.id).toBe(forgery.id);
    const text = await textOn(victim);
    expect(text).toContain(' world more');
    await syncAll([victim, attacker]);
    expect(await textOn(attacker)).toBe(text);
    await victim.close();
    await attacker.close();
  });

  it("leaves another writer's edits under their own client ids folded", async () => {
    const { victim, attacker } = await attack();
    const theirs = await openDocument(attacker, 'collide', { author: 'Mal' });
    await theirs.editText(0, 0, 'Hi, ');
    await syncAll([victim, attacker]);
    expect(await textOn(victim)).toBe('Hi, hello world more');
    await victim.close();
    await attacker.close();
  });

  it('is left for a fresh one once the replica writes as another actor (after an actor fork)', async () => {
    const store = memoryStore();
    const laptop = await openLogOn(store, { actor: 'laptop' });
    const doc = await openDocument(laptop, 'moved');
    const first = (await doc.editText(0, 0, 'one')).event;
    // A copy of the profile writes as the same actor: the log moves to a fresh one.
    const copy = await openLogOn(memoryStore(), { actor: 'laptop' });
    await copy.append('notes/elsewhere', { type: 'test.note', data: 1 });
    await expect(
      laptop.ingest(await collect(copy.read('notes/elsewhere'))),
    ).rejects.toMatchObject({ code: 'ACTOR_FORK' });
    expect(laptop.actor).not.toBe('laptop');
    // The same document state writes on, as the new actor, under a new client id.
    const second = (await doc.editText(3, 0, ' two')).event;
    expect(second.actor).toBe(laptop.actor);
    expect([...clientsOf(second)].some((c) => clientsOf(first).has(c))).toBe(
      false,
    );
    const loaded = await loadDocument(store, streamOfDoc('moved'), {
      text: true,
      onIgnoredError: (e) => {
        throw e;
      },
    });
    expect(loaded.plain).toBe('one two');
    await laptop.close();
    await copy.close();
  });

  it('are kept as a snapshot keeps them, and a malformed list is read as none', () => {
    const claims = new ClientClaims([[7, ['ana'], 5]]);
    const read = ClientClaims.read(claims.entries());
    expect(read?.mayWrite(7, 'ana')).toBe(true);
    expect(read?.mayWrite(7, 'bo')).toBe(false);
    expect(read?.mayWrite(8, 'bo')).toBe(true);
    for (const bad of [
      null,
      {},
      [[7]],
      [[7, 'ana', 5]],
      [['7', ['ana'], 5]],
      [[7, [8], 5]],
      [[7, ['ana'], 1.5]],
    ])
      expect(ClientClaims.read(bad)).toBeUndefined();
  });
});
