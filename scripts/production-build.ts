import { fileURLToPath } from 'node:url';
import { build, type InlineConfig } from 'vite';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Builds the app with the project's vite.config.ts into `outDir`, exactly as
 * `npm start` builds it. Vitest and Vite's module runner may set NODE_ENV to
 * something other than production, which would make Vite emit a development
 * bundle; it is production for the build and restored after.
 * @param extra build options merged over the config's (e.g. more inputs)
 */
export async function productionBuild(
  outDir: string,
  extra: InlineConfig['build'] = {},
): Promise<void> {
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      root: ROOT,
      mode: 'production',
      logLevel: 'error',
      build: { ...extra, outDir, emptyOutDir: true },
    });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
}
