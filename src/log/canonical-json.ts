import type { Json } from './types.ts';

/** Deepest nesting accepted in event data; deeper input is hostile, not a document. */
export const MAX_JSON_DEPTH = 64;

/** Thrown by `canonicalJson` with a JSON-pointer-like path to the offending value. */
export class NotJsonError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path || '(root)'}: ${reason}`);
  }
}

/**
 * RFC 8785 (JCS) serialisation: no whitespace, object keys sorted by UTF-16 code
 * units, numbers and strings as ECMAScript's JSON.stringify writes them.
 * Throws NotJsonError for anything JSON cannot carry faithfully: undefined,
 * functions, non-finite numbers, non-plain objects, cycles, `__proto__` keys
 * (a prototype-pollution vector in every consumer that copies data by assignment)
 * and nesting deeper than MAX_JSON_DEPTH.
 */
export function canonicalJson(value: unknown): string {
  return write(value, '', 0);
}

function write(value: unknown, path: string, depth: number): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value))
        throw new NotJsonError(path, `${value} is not a JSON number`);
      return JSON.stringify(value);
    case 'object':
      if (value === null) return 'null';
      if (depth >= MAX_JSON_DEPTH) {
        throw new NotJsonError(
          path,
          `nested deeper than ${MAX_JSON_DEPTH} levels`,
        );
      }
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          out += write(value[i], `${path}/${i}`, depth + 1);
        }
        return out + ']';
      }
      return writeObject(value, path, depth);
    default:
      throw new NotJsonError(path, `${typeof value} is not a JSON value`);
  }
}

function writeObject(value: object, path: string, depth: number): string {
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    const name =
      (value as { constructor?: { name?: string } }).constructor?.name ??
      'object';
    throw new NotJsonError(path, `${name} is not a plain JSON object`);
  }
  const keys = Object.keys(value).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (key === '__proto__')
      throw new NotJsonError(path, 'the key "__proto__" is not allowed');
    if (i > 0) out += ',';
    out += JSON.stringify(key) + ':';
    out += write(
      (value as Record<string, unknown>)[key],
      `${path}/${key}`,
      depth + 1,
    );
  }
  return out + '}';
}

/** True when `value` is a JSON value canonicalJson accepts. */
export function isJson(value: unknown): value is Json {
  try {
    canonicalJson(value);
    return true;
  } catch {
    return false;
  }
}
