import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import type { RelayOptions, RelayStats } from '../../server/relay.ts';
import type { ChildMemory } from './relay-process.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
let bundled: Promise<{ file: string; dir: string }> | undefined;

/**
 * Bundles test/support/relay-process.ts and the relay into one plain JavaScript file
 * (Node 20 runs no TypeScript), once per test file; `removeRelayBundle` deletes it.
 */
function relayBundle(): Promise<{ file: string; dir: string }> {
  bundled ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'forkline-relay-bundle-'));
    await build({
      configFile: false,
      root,
      logLevel: 'silent',
      build: {
        ssr: join(root, 'test/support/relay-process.ts'),
        outDir: dir,
        emptyOutDir: true,
        minify: false,
        target: 'node20',
      },
      ssr: { noExternal: true },
    });
    return { file: join(dir, 'relay-process.js'), dir };
  })();
  return bundled;
}

export async function removeRelayBundle(): Promise<void> {
  if (!bundled) return;
  const { dir } = await bundled;
  bundled = undefined;
  await rm(dir, { recursive: true, force: true });
}

export interface ChildRelay {
  url: string;
  port: number;
  process: ChildProcess;
  /** What the relay said (its `say` messages), in order. */
  said: string[];
  /** Memory when it started listening. */
  started: ChildMemory;
  createLog(): Promise<{ logId: string; token: string }>;
  /** The relay's own accounting. */
  stats(): Promise<RelayStats>;
  /** The process's memory, after a full collection. */
  memory(): Promise<ChildMemory>;
  /** Closes the relay as a shutdown does and waits for the process to exit. */
  stop(): Promise<void>;
}

export interface ChildRelayOptions {
  /** Runs the relay under `ulimit -f` of this many KiB: writes past it fail with EFBIG. */
  fileSizeLimitKiB?: number;
  port?: number;
  /** Caps the relay's JavaScript heap (`--max-old-space-size`), as an operator would. */
  heapMiB?: number;
  /**
   * Over a database, other relays reach this one at its loopback address, so it may
   * write a log for them (RelayOptions.peerUrl). True unless said otherwise, or
   * FORKLINE_RELAY_PEER=0 (to compare with relays that take a log's lock in turn).
   */
  peer?: boolean;
  /** Caps each of the young generation's semi-spaces (`--max-semi-space-size`): V8
   * keeps up to three of them besides the old space. */
  semiSpaceMiB?: number;
}

/** Starts a relay in a child process with --expose-gc, listening on 127.0.0.1. */
export async function startChildRelay(
  options: Omit<RelayOptions, 'say'>,
  child: ChildRelayOptions = {},
): Promise<ChildRelay> {
  const { file } = await relayBundle();
  const env = {
    ...process.env,
    RELAY_OPTIONS: JSON.stringify(options),
    RELAY_PORT: String(child.port ?? 0),
    ...(options.database !== undefined &&
    (child.peer ?? process.env.FORKLINE_RELAY_PEER !== '0')
      ? { RELAY_PEER: '1' }
      : {}),
  };
  const flags = [
    '--expose-gc',
    ...(child.heapMiB === undefined
      ? []
      : [`--max-old-space-size=${child.heapMiB}`]),
    ...(child.semiSpaceMiB === undefined
      ? []
      : [`--max-semi-space-size=${child.semiSpaceMiB}`]),
  ];
  const stdio: ['ignore', 'inherit', 'inherit', 'ipc'] = [
    'ignore',
    'inherit',
    'inherit',
    'ipc',
  ];
  // SIGXFSZ would kill the process at the limit; ignored, the write fails with EFBIG.
  const proc =
    child.fileSizeLimitKiB === undefined
      ? spawn(
          process.execPath,
          [
            ...flags,
            // FORKLINE_RELAY_PROFILE_DIR: a CPU profile of the relay, written as it exits.
            ...(process.env.FORKLINE_RELAY_PROFILE_DIR
              ? [
                  '--cpu-prof',
                  `--cpu-prof-dir=${process.env.FORKLINE_RELAY_PROFILE_DIR}`,
                ]
              : []),
            file,
          ],
          { env, stdio },
        )
      : spawn(
          'bash',
          [
            '-c',
            `trap '' XFSZ; ulimit -f ${child.fileSizeLimitKiB}; exec "$0" "$@"`,
            process.execPath,
            ...flags,
            file,
          ],
          { env, stdio },
        );
  const said: string[] = [];
  const pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  let nextId = 1;
  const exited = once(proc, 'exit');
  const listening = new Promise<{ port: number; memory: ChildMemory }>(
    (resolve, reject) => {
      proc.on('message', (message: Record<string, unknown>) => {
        if (message.type === 'said') said.push(message.message as string);
        else if (message.type === 'listening')
          resolve(message as unknown as { port: number; memory: ChildMemory });
        else {
          const waiter = pending.get(message.id as number);
          pending.delete(message.id as number);
          if (message.error) waiter?.reject(new Error(String(message.error)));
          else waiter?.resolve(message.value);
        }
      });
      exited.then(([code]) => {
        const error = new Error(`the relay process exited with ${code}`);
        reject(error);
        for (const waiter of pending.values()) waiter.reject(error);
      }, reject);
    },
  );
  const request = <T>(type: string) =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, {
        resolve: resolve as (v: unknown) => void,
        reject,
      });
      proc.send({ id, type });
    });
  const { port, memory } = await listening;
  return {
    url: `ws://127.0.0.1:${port}/sync`,
    port,
    process: proc,
    said,
    started: memory,
    createLog: () => request('createLog'),
    stats: () => request('stats'),
    memory: () => request('memory'),
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      await request('close').catch(() => undefined);
      await exited;
    },
  };
}
