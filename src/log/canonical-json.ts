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
  try {
    // Most data is already in canonical shape (keys in sorted order, as JSON.parse
    // of canonical text gives them): then the engine's own serialiser writes it.
    if (inCanonicalOrder(value, 0)) return JSON.stringify(value);
    return write(value, 0);
  } catch (error) {
    if (error instanceof NotJsonError) throw locate(value, error.reason);
    throw error;
  }
}

/** Re-walks a value that failed, to name where: paths are built only on this cold path. */
function locate(value: unknown, reason: string): NotJsonError {
  const visit = (
    v: unknown,
    path: string,
    depth: number,
  ): string | undefined => {
    try {
      write(v, depth);
      return undefined;
    } catch {
      if (typeof v !== 'object' || v === null || depth >= MAX_JSON_DEPTH)
        return path;
      for (const key of Array.isArray(v) ? v.keys() : Object.keys(v).sort()) {
        if (key === '__proto__') return path;
        const found = visit(
          (v as Record<string, unknown>)[key as string],
          `${path}/${key}`,
          depth + 1,
        );
        if (found !== undefined) return found;
      }
      return path;
    }
  };
  return new NotJsonError(visit(value, '', 0) ?? '', reason);
}

/**
 * Whether JSON.stringify writes `value` exactly as `write` would: only JSON values,
 * within MAX_JSON_DEPTH, plain objects whose own keys already come in sorted order
 * (V8 lists integer-like keys first, numerically: such objects are sorted only when
 * that order is also the code-unit order) and without `__proto__` keys. A `toJSON`
 * key cannot hold a function here, so JSON.stringify calls none.
 */
function inCanonicalOrder(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (depth >= MAX_JSON_DEPTH) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++)
          if (!inCanonicalOrder(value[i], depth + 1)) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      const keys = Object.keys(value);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        if (key === '__proto__' || (i > 0 && !(keys[i - 1]! < key)))
          return false;
        if (
          !inCanonicalOrder((value as Record<string, unknown>)[key], depth + 1)
        )
          return false;
      }
      return true;
    }
    default:
      return false;
  }
}

function write(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value))
        throw new NotJsonError('', `${value} is not a JSON number`);
      return JSON.stringify(value);
    case 'object':
      if (value === null) return 'null';
      if (depth >= MAX_JSON_DEPTH) {
        throw new NotJsonError(
          '',
          `nested deeper than ${MAX_JSON_DEPTH} levels`,
        );
      }
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          out += write(value[i], depth + 1);
        }
        return out + ']';
      }
      return writeObject(value, depth);
    default:
      throw new NotJsonError('', `${typeof value} is not a JSON value`);
  }
}

function writeObject(value: object, depth: number): string {
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    const name =
      (value as { constructor?: { name?: string } }).constructor?.name ??
      'object';
    throw new NotJsonError('', `${name} is not a plain JSON object`);
  }
  const keys = Object.keys(value).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (key === '__proto__')
      throw new NotJsonError('', 'the key "__proto__" is not allowed');
    if (i > 0) out += ',';
    out += JSON.stringify(key) + ':';
    out += write((value as Record<string, unknown>)[key], depth + 1);
  }
  return out + '}';
}
