import { EditingDoc, type TracePatch } from './editing-doc.ts';
import { seededRandom, type SeededRandom } from './seeded-random.ts';

export type { TracePatch } from './editing-doc.ts';

export interface ConcurrentTxn {
  /** Indexes of the txns this one starts from: their states merged, then `patches` applied. */
  parents: number[];
  /** How many later txns name this one as a parent. */
  numChildren: number;
  agent: number;
  patches: TracePatch[];
}

/** The concurrent format of the public editing traces (github.com/josephg/editing-traces). */
export interface ConcurrentTrace {
  kind: 'concurrent';
  endContent: string;
  numAgents: number;
  txns: ConcurrentTxn[];
}

export interface ConcurrentTraceOptions {
  agents: number;
  /** Total txns, the opening one and the closing merge included. */
  txns: number;
  seed: number;
}

/** Chance that the agent who typed last types again: writers type in bursts. */
const KEEP_TYPING = 0.6;
/** Chance that an agent merges from others after a txn: every few txns. */
const MERGE_AFTER_TXN = 0.25;
const KEYS = [...'etaoin shrdlu cmfwyp vbgkqj xz'];

interface Agent {
  index: number;
  editor: EditingDoc;
  /** Per agent, how many of its txns this agent has seen (its own included). */
  seen: Int32Array;
  /** Where the agent types, as an offset into its own paragraph. */
  cursor: number;
}

/**
 * A deterministic synthetic concurrent editing trace, made by simulating agents that
 * each type into their own Y.Doc and every few txns merge from one or more others.
 *
 * The document is one paragraph per agent, each ended by a newline nobody deletes;
 * an agent edits only its own paragraph (near its cursor). So no two agents ever
 * insert concurrently at the same place, as the editing-traces rules require, and
 * any CRDT replays the trace to `endContent` whatever its tie-breaking.
 */
export function generateConcurrentTrace(
  options: ConcurrentTraceOptions,
): ConcurrentTrace {
  const { agents: numAgents, txns: total, seed } = options;
  if (numAgents < 1 || total < 2)
    throw new RangeError('need at least 1 agent and 2 txns');
  const random = seededRandom(seed);
  const sim = new Simulation(numAgents);

  // The opening txn lays out the paragraphs: one newline each, no text yet.
  sim.record(sim.agents[0]!, [[0, 0, '\n'.repeat(numAgents)]], 0);
  for (const agent of sim.agents.slice(1)) sim.merge(agent, sim.agents[0]!);

  let writer = sim.agents[0]!;
  while (sim.txns.length < total - 1) {
    if (!random.chance(KEEP_TYPING)) writer = random.pick(sim.agents);
    sim.record(writer, sim.typeSomething(writer, random));
    if (numAgents > 1 && random.chance(MERGE_AFTER_TXN)) {
      const others = shuffled(
        sim.agents.filter((a) => a !== writer),
        random,
      );
      for (const other of others.slice(0, random.int(1, others.length)))
        sim.merge(writer, other);
    }
  }

  // Everyone converges through agent 0, whose empty last txn contains every other.
  const hub = sim.agents[0]!;
  for (const agent of sim.agents.slice(1)) sim.merge(hub, agent);
  for (const agent of sim.agents.slice(1)) sim.merge(agent, hub);
  sim.record(hub, []);

  const endContent = hub.editor.toString();
  for (const agent of sim.agents) {
    if (agent.editor.toString() !== endContent) {
      throw new Error(
        `trace generator (seed ${seed}): agent ${agent.index} did not converge`,
      );
    }
  }
  return { kind: 'concurrent', endContent, numAgents, txns: sim.txns };
}

class Simulation {
  readonly agents: Agent[];
  readonly txns: ConcurrentTxn[] = [];
  /** txnsOf[agent][k]: index of the agent's (k+1)-th txn. */
  private readonly txnsOf: number[][];
  /** paragraphLength[agent][k]: length of the agent's paragraph after its k-th txn. */
  private readonly paragraphLength: number[][];
  /** Per txn: its agent's `seen` right after it, i.e. everything it contains. */
  private readonly contains: Int32Array[] = [];

  constructor(numAgents: number) {
    this.agents = Array.from({ length: numAgents }, (_, index) => ({
      index,
      editor: new EditingDoc(),
      seen: new Int32Array(numAgents),
      cursor: 0,
    }));
    this.txnsOf = this.agents.map(() => []);
    this.paragraphLength = this.agents.map(() => [0]);
  }

  record(
    agent: Agent,
    patches: TracePatch[],
    paragraphChange = lengthChange(patches),
  ): void {
    const index = this.txns.length;
    const parents = this.frontierOf(agent.seen);
    agent.editor.edit(patches);
    for (const parent of parents) this.txns[parent]!.numChildren++;
    this.txns.push({ parents, numChildren: 0, agent: agent.index, patches });
    this.txnsOf[agent.index]!.push(index);
    const own = this.paragraphLength[agent.index]!;
    own.push(own[own.length - 1]! + paragraphChange);
    agent.seen[agent.index]!++;
    this.contains.push(agent.seen.slice());
    if (agent.editor.text.length !== this.documentLength(agent)) {
      throw new Error(
        `trace generator: txn ${index} left agent ${agent.index} out of step`,
      );
    }
  }

  /** `into` takes everything `from` has, by Yjs state vector. */
  merge(into: Agent, from: Agent): void {
    into.editor.pullFrom(from.editor);
    for (let x = 0; x < into.seen.length; x++) {
      into.seen[x] = Math.max(into.seen[x]!, from.seen[x]!);
    }
  }

  /** One keystroke-sized txn near the agent's cursor, now and then two edits or a jump. */
  typeSomething(agent: Agent, random: SeededRandom): TracePatch[] {
    let length = this.ownLength(agent);
    let cursor = Math.min(agent.cursor, length);
    if (random.chance(0.02)) cursor = random.int(0, length);
    else if (random.chance(0.1))
      cursor = clamp(cursor + random.int(-8, 8), 0, length);
    const start = this.paragraphStart(agent);
    const patches: TracePatch[] = [];
    for (let edits = random.chance(0.05) ? 2 : 1; edits > 0; edits--) {
      if (length > 0 && random.chance(0.3)) {
        const backspace =
          cursor > 0 && (cursor === length || random.chance(0.8));
        const room = backspace ? cursor : length - cursor;
        const del = random.int(1, Math.min(3, room));
        if (backspace) cursor -= del;
        patches.push([start + cursor, del, '']);
        length -= del;
      } else {
        const ins = random.chance(0.9) ? random.pick(KEYS) : word(random);
        patches.push([start + cursor, 0, ins]);
        cursor += ins.length;
        length += ins.length;
      }
    }
    agent.cursor = cursor;
    return patches;
  }

  /** The minimal set of txns whose states together make up `seen`. */
  private frontierOf(seen: Int32Array): number[] {
    const tips: number[] = [];
    for (let x = 0; x < seen.length; x++) {
      const count = seen[x]!;
      if (count === 0) continue;
      // Agent x's latest seen txn is a tip unless another agent's tip already contains it.
      const contained = this.agents.some(
        (y) =>
          y.index !== x &&
          seen[y.index]! > 0 &&
          this.latestContains(y.index, seen, x),
      );
      if (!contained) tips.push(this.txnsOf[x]![count - 1]!);
    }
    return tips.sort((a, b) => a - b);
  }

  private latestContains(y: number, seen: Int32Array, x: number): boolean {
    const tip = this.txnsOf[y]![seen[y]! - 1]!;
    return this.contains[tip]![x]! >= seen[x]!;
  }

  private ownLength(agent: Agent): number {
    return this.paragraphLength[agent.index]![agent.seen[agent.index]!]!;
  }

  /** Paragraphs before the agent's, as the agent sees them, plus their newlines. */
  private paragraphStart(agent: Agent): number {
    let start = 0;
    for (let x = 0; x < agent.index; x++)
      start += this.paragraphLength[x]![agent.seen[x]!]! + 1;
    return start;
  }

  private documentLength(agent: Agent): number {
    if (agent.seen[0] === 0) return 0;
    let length = this.agents.length;
    for (let x = 0; x < this.agents.length; x++) {
      length += this.paragraphLength[x]![agent.seen[x]!]!;
    }
    return length;
  }
}

function lengthChange(patches: readonly TracePatch[]): number {
  let change = 0;
  for (const [, del, ins] of patches) change += ins.length - del;
  return change;
}

/** A pasted or autocompleted word, now and then, instead of one keystroke. */
function word(random: SeededRandom): string {
  let text = '';
  for (let n = random.int(2, 8); n > 0; n--) text += random.pick(KEYS);
  return text;
}

function shuffled<T>(items: T[], random: SeededRandom): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

function clamp(value: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, value));
}
