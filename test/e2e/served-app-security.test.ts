import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, inject, it } from 'vitest';

/** Every file of the build, relative to its root. */
const filesOf = (root: string) =>
  readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));

describe('the served app', () => {
  it('ships no source maps: no .map file, and no script points to one', () => {
    // appRoot is built as `npm start` builds it (scripts/production-build.ts).
    const root = inject('appRoot');
    const files = filesOf(root);
    expect(files.filter((file) => file.endsWith('.map'))).toEqual([]);
    expect(
      files.filter(
        (file) =>
          file.endsWith('.js') &&
          readFileSync(join(root, file), 'utf8').includes('sourceMappingURL'),
      ),
    ).toEqual([]);
  });

  it('serves the page, its scripts and its service worker with the security headers', async () => {
    const app = inject('appUrl');
    const page = await fetch(`${app}/`);
    const script = /<script type="module" crossorigin src="([^"]+)"/.exec(
      await page.text(),
    )?.[1];
    expect(script).toBeDefined();
    for (const answer of [
      page,
      await fetch(`${app}${script}`),
      await fetch(`${app}/sw.js`),
    ]) {
      const policy = answer.headers.get('content-security-policy') ?? '';
      expect(policy).toContain("frame-ancestors 'none'");
      expect(policy).toMatch(/connect-src 'self'(;|$)/);
      expect(answer.headers.get('x-frame-options')).toBe('DENY');
      expect(answer.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });
});
