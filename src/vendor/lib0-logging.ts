// What Yjs uses of lib0/logging, in plain console calls (vite.config.ts aliases
// `lib0/logging` here). lib0's browser build styles its output with lib0/dom and
// lib0/schema, and its Node build pulls in lib0's JSON and colour handling: ~1 KB
// of the gzipped bundle for three warnings. Yjs 13 calls `print` with these colour
// markers and `warn`; a Yjs that needed more would fail the build (missing export).

export const BOLD = Symbol('bold');
export const UNBOLD = Symbol('unbold');
export const RED = Symbol('red');
export const ORANGE = Symbol('orange');

const text = (args: unknown[]) => args.filter((a) => typeof a !== 'symbol');

export const print = (...args: unknown[]): void => console.log(...text(args));
export const warn = (...args: unknown[]): void => console.warn(...text(args));
