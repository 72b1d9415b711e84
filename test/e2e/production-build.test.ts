import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, inject, it } from 'vitest';

/** What the fault tests reach into the log worker and the page with (test/e2e/support/faults.ts). */
const FAULT_HOOKS = [
  'forklineDropStorageConnection',
  'dropConnection',
  'forklineTerminateLogWorker',
];

/** `file: name` for each fault hook named in a file under `dir` (text or not). */
function faultHooksIn(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .flatMap((entry) => {
      const path = join(entry.parentPath, entry.name);
      const content = readFileSync(path, 'latin1');
      return FAULT_HOOKS.filter((name) => content.includes(name)).map(
        (name) => `${relative(dir, path)}: ${name}`,
      );
    })
    .sort();
}

describe('the production build', () => {
  it('ships no fault hook: none of its files names one', () => {
    // appRoot is built as `npm start` builds it (scripts/production-build.ts).
    expect(faultHooksIn(inject('appRoot'))).toEqual([]);
  });

  it('gets them only in the copy the e2e tests serve, in front of its log worker and its page', () => {
    // So the search above finds them when they are there.
    expect(faultHooksIn(inject('servedRoot'))).toEqual([
      expect.stringMatching(
        /^assets\/index-[\w-]+\.js: forklineTerminateLogWorker$/,
      ),
      expect.stringMatching(
        /^assets\/log-worker-[\w-]+\.js: forklineDropStorageConnection$/,
      ),
    ]);
  });
});
