import { readdirSync, readFileSync } from 'node:fs';

/**
 * Clock ticks a second in /proc's CPU times: USER_HZ, 100 on every Linux port Node
 * runs on (`getconf CLK_TCK`).
 */
const TICKS_PER_SECOND = 100;

interface ProcessTimes {
  parent: number;
  /** The command name (/proc/PID/comm, at most 15 characters). */
  name: string;
  /** User and system time, in ticks. */
  ticks: number;
}

/** Every process's parent and CPU time, from /proc; undefined where there is no /proc. */
function processTimes(): Map<number, ProcessTimes> | undefined {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const out = new Map<number, ProcessTimes>();
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue; // gone since the listing
    }
    // The command name, in parentheses, may hold spaces: fields follow the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(Number(name), {
      name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
      parent: Number(fields[1]),
      ticks: Number(fields[11]) + Number(fields[12]),
    });
  }
  return out;
}

/** The pid of the process whose command line holds `argument` and no `--type=` (a browser's, not its children's). */
export function browserProcess(argument: string): number | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${name}/cmdline`, 'latin1').split('\0');
    } catch {
      continue;
    }
    if (args.includes(argument) && !args.some((a) => a.startsWith('--type=')))
      return Number(name);
  }
  return undefined;
}

/** Ticks of each of `roots` and of every process under them (renderers, GPU, utilities). */
function treeTicks(
  times: Map<number, ProcessTimes>,
  roots: readonly number[],
): Map<number, number> {
  const children = new Map<number, number[]>();
  for (const [pid, { parent }] of times) {
    const siblings = children.get(parent);
    if (siblings) siblings.push(pid);
    else children.set(parent, [pid]);
  }
  const out = new Map<number, number>();
  const visit = (pid: number) => {
    const own = times.get(pid);
    if (!own || out.has(pid)) return;
    out.set(pid, own.ticks);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  for (const root of roots) visit(root);
  return out;
}

/**
 * Starts counting the CPU time of the processes `roots` and everything under them:
 * `stop()` returns the milliseconds they used since, every thread of every process
 * counted (a browser's renderers, workers, GPU and network processes). A process
 * that ended meanwhile is left out. Undefined where there is no /proc (not Linux).
 */
export function countCpu(...roots: number[]): { stop(): number } | undefined {
  const first = processTimes();
  if (!first) return undefined;
  const before = treeTicks(first, roots);
  return {
    stop() {
      const after = treeTicks(processTimes() ?? new Map(), roots);
      let ticks = 0;
      for (const [pid, now] of after) ticks += now - (before.get(pid) ?? 0);
      return (ticks * 1000) / TICKS_PER_SECOND;
    },
  };
}

/**
 * The roots of the processes named `name` on this machine: those whose parent has
 * another name (a PostgreSQL server's postmaster, not its backends). Empty where
 * there is no /proc, or none runs.
 */
export function processRoots(name: string): number[] {
  const times = processTimes() ?? new Map<number, ProcessTimes>();
  return [...times]
    .filter(([, t]) => t.name === name && times.get(t.parent)?.name !== name)
    .map(([pid]) => pid);
}

/**
 * Starts counting the machine's busy time, every core's: user, system, interrupts
 * and software interrupts (where the kernel moves loopback traffic, which no
 * process is charged for) and time stolen by a hypervisor. `stop()` returns the
 * milliseconds since; undefined where there is no /proc/stat.
 */
export function countMachineCpu(): { stop(): number } | undefined {
  const busy = (): number | undefined => {
    let line: string;
    try {
      line = readFileSync('/proc/stat', 'latin1').split('\n')[0]!;
    } catch {
      return undefined;
    }
    // cpu user nice system idle iowait irq softirq steal (guest time is in user).
    const [user, nice, system, , , irq, softirq, steal] = line
      .split(/\s+/)
      .slice(1, 9)
      .map(Number);
    return user! + nice! + system! + irq! + softirq! + steal!;
  };
  const before = busy();
  if (before === undefined) return undefined;
  return {
    stop: () => (((busy() ?? before) - before) * 1000) / TICKS_PER_SECOND,
  };
}
