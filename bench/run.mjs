// Entry of `npm run bench`. Plain JavaScript, so Node 20 runs it as is; the
// scenarios are TypeScript, loaded through Vite's module runner so that src/ runs
// unchanged, exactly as the app and the tests see it.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runnerImport } from 'vite';

const USAGE = `usage: npm run bench -- [--quick] [--only NAME] [--json FILE] [--trace FILE]

  --quick      smoke mode: small sizes, warm-up + 2 runs, about 35 s
  --only NAME  run only the scenarios whose name starts with NAME
  --json FILE  also write the report as JSON (DESIGN §13)
  --trace FILE an editing trace (editing-traces format, gzipped JSON) for the
               trace scenarios to replay instead of their defaults: a sequential
               one for trace.sequential and storage.bytes-per-event, a concurrent
               one ("kind": "concurrent") for trace.concurrent and
               engine.trace.concurrent
  --help       this text and the list of scenarios`;

let flags;
try {
  flags = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      json: { type: 'string' },
      trace: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values;
} catch (error) {
  console.error(`${error.message}\n\n${USAGE}`);
  process.exit(2);
}

// runnerImport closes its Vite environment once the module is loaded: the
// scenarios must import statically everything they use.
const { module: bench } = await runnerImport(
  fileURLToPath(new URL('./run-benchmarks.ts', import.meta.url)),
  { root: fileURLToPath(new URL('..', import.meta.url)), logLevel: 'error' },
);

if (flags.help) {
  console.log(`${USAGE}\n\nscenarios:\n${bench.describeScenarios()}`);
} else {
  try {
    await bench.runBenchmarks({
      quick: flags.quick,
      only: flags.only,
      json: flags.json,
      trace: flags.trace,
    });
  } catch (error) {
    console.error(
      error instanceof Error ? (error.stack ?? error.message) : error,
    );
    process.exitCode = 1;
  }
}
