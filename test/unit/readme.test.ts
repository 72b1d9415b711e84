import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, it, vi } from 'vitest';

it('the README example runs as written', async () => {
  const readme = readFileSync(resolve(__dirname, '../../README.md'), 'utf8');
  const example =
    /## The engine in Node\s+<!-- prettier-ignore -->\s+```ts\n([\s\S]*?)```/.exec(
      readme,
    )?.[1];
  expect(example).toBeDefined();
  expect(example!.trim().split('\n').length).toBeLessThanOrEqual(13);
  const dir = mkdtempSync(join(resolve(__dirname), '.readme-'));
  const file = join(dir, 'example.ts');
  const source = resolve(__dirname, '../../src/index.ts');
  writeFileSync(
    file,
    example!.replace("'./src/index.ts'", JSON.stringify(source)),
  );
  const logged: unknown[] = [];
  const spy = vi
    .spyOn(console, 'log')
    .mockImplementation((...args) => void logged.push(args[0]));
  try {
    await import(/* @vite-ignore */ file);
  } finally {
    spy.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  }
  expect(logged[0]).toHaveLength(1);
  expect(logged[1]).toMatchObject([
    { kind: 'concurrent-appends', state: 'unresolved' },
  ]);
});
