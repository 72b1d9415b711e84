// What the lib0 modules in the app's bundle use of lib0/environment (vite.config.ts
// points lib0's imports of it here): Yjs reads one variable (`node_env`, to freeze
// content in development) and lib0/buffer asks whether it runs in a browser page.
// lib0's module also parses URL parameters, argv and localStorage configuration,
// with lib0/storage and lib0/conditions: ~1.2 KB of the gzipped bundle for two
// answers that never change here. A lib0 that needed more would fail the build.

const nodeProcess = (
  globalThis as {
    process?: { release?: { name?: string }; env?: Record<string, string> };
  }
).process;

/** As lib0 decides it: a Node-like process object is present. */
export const isNode = /node|io\.js/.test(nodeProcess?.release?.name ?? '');

export const isBrowser =
  typeof window !== 'undefined' && typeof document !== 'undefined' && !isNode;

/**
 * An environment variable in Node (`node_env` reads NODE_ENV), as lib0 reads it;
 * null elsewhere, where lib0 would look in localStorage, which the app never sets.
 */
export const getVariable = (name: string): string | null =>
  (isNode
    ? nodeProcess?.env?.[name.toUpperCase().replaceAll('-', '_')]
    : undefined) ?? null;
