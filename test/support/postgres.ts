import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  chmodSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** A PostgreSQL the tests may use, and how to give it back. */
export interface TestDatabase {
  url: string;
  /** Stops a cluster started for the tests; nothing for one that was there. */
  stop(): void;
}

/** A cluster of the tests' own, which a test may also restart. */
export interface Cluster extends TestDatabase {
  /** Stops the server at once, as a crash would. */
  down(): void;
  /** Starts it again on the same data. */
  up(): void;
}

/** Whether `url` answers a query within a few seconds. */
async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: 3000,
  });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Debian's PostgreSQL binaries, newest version first, if installed. */
function serverBinaries(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] && join(root, versions[0], 'bin');
}

/**
 * A throwaway cluster in a temporary directory, listening on a Unix socket there
 * only. PostgreSQL refuses to run as root: then as the `postgres` user Debian's
 * package creates.
 */
function startCluster(bin: string): Cluster {
  const dir = mkdtempSync(join(tmpdir(), 'forkline-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    chmodSync(dir, 0o777);
    execFileSync('chown', ['postgres', dir]);
  }
  const run = (command: string, args: string[]) => {
    const result = asRoot
      ? spawnSync('runuser', ['-u', 'postgres', '--', command, ...args], {
          encoding: 'utf8',
        })
      : spawnSync(command, args, { encoding: 'utf8' });
    if (result.status !== 0)
      throw new Error(
        `${command} failed: ${result.stderr || result.stdout || result.error?.message}`,
      );
  };
  const data = join(dir, 'data');
  run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust']);
  const start = () =>
    run(join(bin, 'pg_ctl'), [
      '-D',
      data,
      '-w',
      '-l',
      join(dir, 'log'),
      '-o',
      `-k ${dir} -c listen_addresses='' -p 5432`,
      'start',
    ]);
  start();
  return {
    url: `postgres://postgres@/postgres?host=${encodeURIComponent(dir)}`,
    down() {
      run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']);
    },
    up: start,
    stop() {
      try {
        run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * A throwaway cluster of the caller's own (one it may restart), from Debian's
 * packages; undefined when they are not installed.
 */
export async function throwawayCluster(): Promise<Cluster | undefined> {
  const bin = serverBinaries();
  if (!bin) return undefined;
  const cluster = startCluster(bin);
  if (!(await answers(cluster.url))) {
    cluster.stop();
    throw new Error(`a PostgreSQL cluster started from ${bin} does not answer`);
  }
  return cluster;
}

/**
 * The database the relay's PostgreSQL tests run against: FORKLINE_TEST_DATABASE when
 * set; else one answering on 127.0.0.1:5432; else a throwaway cluster from Debian's
 * packages (`npm test`'s setup installs them when run as root). Never a mock.
 * @throws an error saying what is missing, when none can be had
 */
export async function testDatabase(): Promise<TestDatabase> {
  const given = process.env.FORKLINE_TEST_DATABASE;
  if (given) {
    if (await answers(given)) return { url: given, stop: () => undefined };
    throw new Error(
      `FORKLINE_TEST_DATABASE (${given.replace(/\/\/[^@]*@/, '//…@')}) does not answer`,
    );
  }
  for (const url of [
    'postgres://postgres@127.0.0.1:5432/test',
    'postgres://postgres@127.0.0.1:5432/postgres',
  ])
    if (await answers(url)) return { url, stop: () => undefined };
  const bin = serverBinaries();
  if (!bin)
    throw new Error(
      'the relay tests need PostgreSQL: set FORKLINE_TEST_DATABASE to a database URL, run one on 127.0.0.1:5432 (user postgres, trust), or install Debian\'s "postgresql" package (the setup does as root)',
    );
  return (await throwawayCluster())!;
}
