import type { Json } from '../index.ts';
import { CHOICE_SHOWN, clipped } from './clipped.ts';

/**
 * A field's values as a person reads them: “A”, or “A” and “B”; a missing one as
 * none. Each clipped, as values from other replicas are wherever they are choices.
 */
function valuesText(values: readonly Json[]): string {
  const quoted = values.map((v) =>
    v === ''
      ? 'empty'
      : typeof v === 'string'
        ? `“${clipped(v, CHOICE_SHOWN)}”`
        : v === null
          ? 'nothing'
          : clipped(JSON.stringify(v), CHOICE_SHOWN),
  );
  return quoted.length <= 1
    ? (quoted[0] ?? 'nothing')
    : `${quoted.slice(0, -1).join(', ')} and ${quoted[quoted.length - 1]}`;
}

const same = (a: readonly Json[], b: readonly Json[]) => {
  const key = (values: readonly Json[]) =>
    values
      .map((v) => JSON.stringify(v))
      .sort()
      .join('\n');
  return key(a) === key(b);
};

const nameOf = (field: string) =>
  field === 'title' ? 'the title' : `the field “${field}”`;

/**
 * What restoring a version does to the fields besides the text, in words, one line a
 * field that it changes: the same comparison the restore makes (`restore` in
 * src/doc/document.ts), so a person sees before restoring that the title changes
 * too, or that a title conflict still open is settled by it. The preview showed only
 * the text, and "Restore this version" then renamed the document without a word
 * (QA pass 8). Fields named with "@" (deletion) are the restore's own business.
 */
export function restoreChanges(
  past: Record<string, Json[]>,
  now: Record<string, Json[]>,
): string[] {
  const lines: string[] = [];
  for (const field of new Set([...Object.keys(now), ...Object.keys(past)])) {
    if (field.startsWith('@')) continue;
    const before = now[field] ?? [];
    // A field the version did not have is written as null (cleared).
    const after = past[field]?.length ? past[field] : [null];
    if (same(before, after)) continue;
    const current = valuesText(before);
    if (after.length > 1)
      lines.push(
        `Restoring brings back ${valuesText(after)} for ${nameOf(field)}, kept side by side until one is picked (now ${current}).`,
      );
    else if (before.length > 1)
      lines.push(
        `Restoring settles ${nameOf(field)}, now in conflict between ${current}: it becomes ${valuesText(after)}.`,
      );
    else if (after[0] === null)
      lines.push(`Restoring clears ${nameOf(field)} (now ${current}).`);
    else
      lines.push(
        `Restoring sets ${nameOf(field)} to ${valuesText(after)} (now ${current}).`,
      );
  }
  return lines;
}
