// `npm start`'s command line (server/main.ts), run as a person runs it: the
// options reach the server, and one it cannot use stops it saying which.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const running: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const child of running.splice(0)) child.kill('SIGKILL');
});

/** Starts `node server/start.mjs args`; resolves to what it printed once it exits or says it runs. */
function serve(
  args: string[],
): Promise<{ url?: string; out: string; code?: number }> {
  const root = mkdtempSync(join(tmpdir(), 'forkline-root-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
  const child = spawn(
    process.execPath,
    [
      'server/start.mjs',
      '--root',
      root,
      '--data',
      mkdtempSync(join(tmpdir(), 'forkline-data-')),
      '--port',
      '0',
      ...args,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORKLINE_RELAY_LIMITS: '' },
    },
  );
  running.push(child);
  let out = '';
  return new Promise((resolve) => {
    const heard = (chunk: Buffer) => {
      out += chunk.toString();
      const url = /running at (http:\/\/\S+?)\/ /.exec(out)?.[1];
      if (url) resolve({ url, out });
    };
    child.stdout!.on('data', heard);
    child.stderr!.on('data', heard);
    child.on('exit', (code) => resolve({ out, code: code ?? -1 }));
  });
}

describe('npm start’s options', () => {
  it('take the log creation limits with --relay-limit (QA pass 15: 20 at once, fixed)', async () => {
    const { url, out } = await serve(['--relay-limit', 'logCreationBurst=2']);
    expect(url, out).toBeDefined();
    const create = () => fetch(`${url}/api/logs`, { method: 'POST' });
    expect((await create()).status).toBe(201);
    expect((await create()).status).toBe(201);
    const refused = await create();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('180');
  }, 60_000);

  it('refuse a limit they do not know, saying which, and start nothing', async () => {
    const { url, out, code } = await serve([
      '--relay-limit',
      'logCreationBurts=2',
    ]);
    expect(url).toBeUndefined();
    expect(code).toBe(1);
    expect(out).toMatch(
      /forkline cannot start: .*logCreationBurts=2.*the limits are .*logCreationBurst/,
    );
  }, 60_000);
});
