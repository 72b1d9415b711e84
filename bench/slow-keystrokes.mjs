// Reads a DevTools trace written by the keystroke benchmarks (FORKLINE_TRACE_DIR) and
// lists, for each keystroke slower than a threshold, the tasks of every thread of
// the browser that ran while it was on its way: what a slow key waited for.
//
//   node bench/slow-keystrokes.mjs /tmp/trace/keystroke-10k.trace.json [ms, default 5]
//
// The typing tab marks each key where it began (User Timing `key <n> <latency ms>`,
// bench/browser/keystroke-probe.ts). A task is shown with its start relative to the
// key's, its wall time, its thread's CPU time in it (less than the wall time: it
// waited for a core) and the longest things it did.
import { readFileSync } from 'node:fs';

const [file, limit = '5'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/slow-keystrokes.mjs TRACE.json [ms]');
  process.exit(2);
}
const threshold = Number(limit);
const raw = JSON.parse(readFileSync(file, 'utf8'));
const events = Array.isArray(raw) ? raw : raw.traceEvents;

const threads = new Map();
const processes = new Map();
for (const e of events) {
  if (e.ph !== 'M') continue;
  if (e.name === 'thread_name') threads.set(`${e.pid}:${e.tid}`, e.args.name);
  if (e.name === 'process_name') processes.set(e.pid, e.args.name);
}
const threadOf = (e) =>
  `${processes.get(e.pid) ?? 'pid'} ${e.pid}/${threads.get(`${e.pid}:${e.tid}`) ?? e.tid}`;

const keys = new Map();
for (const e of events) {
  const match = /^key (\d+) ([\d.]+)$/.exec(e.name ?? '');
  if (!match || !e.cat?.includes('user_timing')) continue;
  keys.set(Number(match[1]), { latency: Number(match[2]), ts: e.ts });
}
if (keys.size === 0) {
  console.error(`${file}: no keystroke marks (a trace of a keystroke run?)`);
  process.exit(1);
}

const isTask = (e) =>
  e.ph === 'X' &&
  (e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask');
const tasks = events.filter((e) => isTask(e) && e.dur >= 500);
const steps = events.filter((e) => e.ph === 'X' && !isTask(e) && e.dur >= 300);
const detail = (e) => {
  const data = e.args?.data ?? {};
  const what = data.functionName ?? data.type;
  return `${e.name}${what ? `(${what})` : ''} ${(e.dur / 1000).toFixed(1)}`;
};

const slow = [...keys].filter(([, k]) => k.latency > threshold);
console.log(
  `${keys.size} keystrokes, ${slow.length} over ${threshold} ms; tasks of 0.5 ms or more shown`,
);
for (const [n, key] of slow) {
  const from = key.ts;
  const to = from + key.latency * 1000;
  console.log(
    `\nkey ${n}: ${key.latency} ms (key ${n - 1}: ${keys.get(n - 1)?.latency ?? '-'}, key ${n + 1}: ${keys.get(n + 1)?.latency ?? '-'})`,
  );
  for (const task of tasks) {
    if (task.ts >= to || task.ts + task.dur <= from) continue;
    const inside = steps
      .filter(
        (e) =>
          e.pid === task.pid &&
          e.tid === task.tid &&
          e.ts >= task.ts &&
          e.ts < task.ts + task.dur,
      )
      .sort((a, b) => b.dur - a.dur)
      .slice(0, 5)
      .map(detail);
    const at = ((task.ts - from) / 1000).toFixed(1).padStart(6);
    const wall = (task.dur / 1000).toFixed(1);
    const cpu = ((task.tdur ?? 0) / 1000).toFixed(1);
    console.log(
      `  ${at} ms  ${wall} ms (cpu ${cpu})  ${threadOf(task)}  ${inside.join(', ')}`,
    );
  }
}
