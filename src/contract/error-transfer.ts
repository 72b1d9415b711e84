import { transferHandlers } from 'comlink';

interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  fields: Record<string, unknown>;
}

/**
 * Comlink clones only an error's name, message and stack. Our errors carry the facts
 * needed to act (code, stream, expected and actual heads, the line of an import), so
 * both sides register this handler and errors arrive with every own field intact.
 * Call once per thread, before the first call crosses.
 */
export function installErrorTransfer(): void {
  const fallback = transferHandlers.get('throw')!;
  transferHandlers.set('throw', {
    canHandle: (value): value is unknown => fallback.canHandle(value),
    serialize(thrown) {
      const value = (thrown as { value: unknown }).value;
      if (!(value instanceof Error)) return fallback.serialize(thrown);
      const fields: Record<string, unknown> = {};
      for (const [key, field] of Object.entries(value)) {
        try {
          fields[key] = structuredClone(field);
        } catch {
          fields[key] = String(field);
        }
      }
      if ('code' in value) fields.code = (value as { code: unknown }).code;
      const serialized: SerializedError = {
        name: value.name,
        message: value.message,
        stack: value.stack,
        fields,
      };
      return [{ isError: true, value: serialized }, []];
    },
    deserialize(serialized) {
      const { isError, value } = serialized as {
        isError: boolean;
        value: SerializedError;
      };
      if (!isError) throw value;
      const error = Object.assign(new Error(value.message), value.fields);
      error.name = value.name;
      if (value.stack) error.stack = value.stack;
      throw error;
    },
  });
}
